"""Read the deployment's configuration: a TOML file, or a document already parsed.

Every problem raises :class:`ConfigError` naming the key (``sites[0].counters[2].services``)
and the reason, so the server refuses to start with a message a provincial IT officer can act
on, and a form can show the reason beside its input. The rules are the models'
(:mod:`server.config.models`); this module reads the file and turns pydantic's errors into
keys and reasons (:mod:`server.config.translate`). Unknown keys are errors too: a misspelt
key silently ignored is a setting silently lost. Secrets (tokens, the server secret,
password hashes) never appear in a message.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from server.config.errors import ConfigError
from server.config.models import SettingsModel, SiteContext, SiteModel
from server.config.secret import ensure_secret
from server.config.settings import Settings, SiteSettings
from server.config.translate import config_error

__all__ = ["ConfigError", "SiteContext", "ensure_secret", "load_settings", "parse_settings",
           "parse_site"]


def load_settings(path: Path | None = None) -> Settings:
    """Read and parse a TOML file; ``None`` loads the bundled demo configuration."""
    if path is None:
        text = resources.files("server.config").joinpath("demo.toml").read_text("utf-8")
        source = "demo.toml"
    else:
        try:
            text = path.read_text("utf-8")
        except OSError as error:
            raise ConfigError("", f"cannot read {path}: {error.strerror}") from error
        except UnicodeDecodeError as error:
            raise ConfigError("", f"{path} is not UTF-8 text: {error.reason}") from error
        source = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError("", f"{source} is not valid TOML: {error}") from error
    return parse_settings(data)


def parse_settings(data: Mapping[str, Any]) -> Settings:
    """Build :class:`Settings` from a parsed document, checking every key and reference.

    ``data`` is what :func:`tomllib.loads` gives (or :func:`settings_document` made). Raises
    :class:`ConfigError` with the first problem's key (``sites[0].counters[3].services[1]``)
    and reason, and every problem found in ``problems``.
    """
    try:
        model = SettingsModel.model_validate(data)
    except ValidationError as error:
        # ``from None``: pydantic's own error repeats the values, secrets included.
        raise config_error(error, SettingsModel) from None
    return model.settings()


def parse_site(data: Mapping[str, Any], context: SiteContext | None = None) -> SiteSettings:
    """Build one site's :class:`SiteSettings` from its table alone, as a form edits it.

    The same rules as :func:`parse_settings`, with keys relative to the site
    (``counters[3].services[1]``). ``context`` (``SiteContext.around(settings, code)``) is the
    rest of the deployment: the site's code and tokens must not be another site's or the
    server's. Without it only the site itself is checked. What the change would do to today's
    queue is not checked here.
    """
    try:
        model = SiteModel.model_validate(data, context=context or SiteContext())
    except ValidationError as error:
        raise config_error(error, SiteModel) from None
    return model.settings()
