"""The server secret kept in the data directory when the configuration gives none."""

from __future__ import annotations

import os
import secrets
from dataclasses import replace
from pathlib import Path

from server.config.errors import ConfigError
from server.config.settings import Settings
from server.config.values import MINIMUM_SECRET_LENGTH

SECRET_FILE_NAME = "secret.key"


def ensure_secret(settings: Settings, data_dir: Path) -> Settings:
    """``settings`` with a server secret: the configured one, else one kept in ``data_dir``.

    Without ``server.secret`` in the file, the secret lives in ``data_dir/secret.key``: read
    when it exists, made with :func:`secrets.token_urlsafe` (readable by the owner only)
    when it does not, so tracking codes stay valid across restarts.
    """
    if settings.server.secret:
        return settings
    path = data_dir / SECRET_FILE_NAME
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        secret = _read_secret(path)
        if secret is None:
            secret = secrets.token_urlsafe(32)
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                # Another process made it first: use theirs.
                secret = _read_secret(path) or secret
            else:
                with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                    file.write(secret + "\n")
                os.chmod(path, 0o600)
    except OSError as error:
        raise ConfigError("server.data_dir", f"cannot keep the server secret in {path}: "
                                             f"{error.strerror}") from error
    if len(secret) < MINIMUM_SECRET_LENGTH:
        raise ConfigError("server.secret", f"{path} holds fewer than {MINIMUM_SECRET_LENGTH} "
                                           "characters; delete it to have a new secret made")
    return replace(settings, server=replace(settings.server, secret=secret))


def _read_secret(path: Path) -> str | None:
    """The secret kept in ``path``, or ``None`` when there is no such file."""
    try:
        return path.read_text("utf-8").strip()
    except FileNotFoundError:
        return None
