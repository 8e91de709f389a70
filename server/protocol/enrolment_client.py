"""A device's enrolment and its stored settings: ``qms kiosk --enrol CODE --server URL``.

Qt-free and server-free, like the rest of this package (standard library only). Every app
(kiosk, counter, display, bridge) enrols the same way:

1. :func:`enrol` posts the code to the server's ``POST /enrol`` and gets the device's
   settings (WebSocket address, site, role, token, name, profile); the code is used up.
2. :func:`save` writes them to the platform's configuration folder
   (:func:`settings_path`: ``$XDG_CONFIG_HOME/qms/<role>.toml`` or ``~/.config/qms/...`` on
   Linux, ``%APPDATA%\\qms\\<role>.toml`` on Windows), readable by its owner only (0600: it
   holds the token) and written atomically (a whole new file, renamed over the old one).
3. Started with no options, the app reads them back (:func:`load`): the server, token and
   site to connect with, the name, and the profile to start from until the server's own
   arrives. Options on the command line still override everything.

Over ``https://`` the server's certificate is verified like the apps' ``wss://`` connections
(:mod:`server.protocol.tls`): against the system's trust store, or against the CA file given
with ``--ca-file`` (a province's private CA), whose absolute path is then stored with the
settings so the app trusts the same CA when it connects.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import ssl
import sys
import tomllib
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from server.protocol.tls import CaFileError, check_ca_file, client_context, explain_failure

ROLES = ("kiosk", "counter", "display", "bridge")
TIMEOUT_SECONDS = 15.0


class EnrolmentError(Exception):
    """Enrolment failed; the message says why (the server's own words when it refused)."""


class StoredSettingsError(Exception):
    """The stored settings file cannot be used; the message names it."""


@dataclass(frozen=True, slots=True)
class DeviceSettings:
    """What enrolment gave the device: enough to connect, and its profile."""

    server: str
    site: str
    role: str
    token: str = field(repr=False)
    name: str
    profile: dict[str, str | int] = field(default_factory=dict)
    # The CA file the server's certificate is checked against (absolute); "": the system's.
    ca_file: str = ""

    def described(self) -> str:
        """What was stored, for the person at the device (never the token)."""
        lines = [f"server:  {self.server}", f"site:    {self.site}", f"role:    {self.role}",
                 f"name:    {self.name}", "token:   (stored, not shown)"]
        if self.ca_file:
            lines.append(f"ca_file: {self.ca_file}")
        lines += [f"{key + ':':<9}{value}" for key, value in sorted(self.profile.items())]
        return "\n".join(lines)


def config_directory(environment: Mapping[str, str], platform: str = sys.platform) -> Path:
    """The folder device settings are stored in on this platform."""
    if platform.startswith("win"):
        base = environment.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / "qms"
    base = environment.get("XDG_CONFIG_HOME") or ""
    if not base or not Path(base).is_absolute():  # the XDG rule: a relative one is ignored
        base = str(Path(environment.get("HOME") or Path.home()) / ".config")
    return Path(base) / "qms"


def settings_path(role: str, environment: Mapping[str, str],
                  platform: str = sys.platform) -> Path:
    return config_directory(environment, platform) / f"{role}.toml"


def enrolment_address(server: str | None, code: str) -> tuple[str, str]:
    """The ``POST /enrol`` address and the code, from ``--server`` (ws://, http:// or
    host:port) and ``--enrol`` (a code, or the address the QR code holds, which names the
    server itself)."""
    if "://" in code:
        parts = urlsplit(code)
        typed = parse_qs(parts.query).get("code", [""])[0]
        if not typed:
            raise EnrolmentError(f"--enrol {code!r}: an address without a code")
        server, code = server or urlunsplit((parts.scheme, parts.netloc, "", "", "")), typed
    if not server or not server.strip(", "):
        raise EnrolmentError("--server is required with --enrol CODE: the server's address, "
                             "like http://10.0.0.5:8765")
    # Several addresses (a deployment's server processes): any of them enrols.
    candidate = next(item.strip() for item in server.split(",") if item.strip())
    if "://" not in candidate:
        candidate = f"http://{candidate}"
    parts = urlsplit(candidate)
    scheme = {"ws": "http", "http": "http", "wss": "https", "https": "https"}.get(
        parts.scheme.lower())
    if scheme is None or not parts.hostname:
        raise EnrolmentError(f"--server: not a server address: {server!r}")
    return urlunsplit((scheme, parts.netloc, "/enrol", "", "")), code.strip()


def enrol(server: str | None, code: str, role: str, ca_file: str | None = None,
          timeout: float = TIMEOUT_SECONDS) -> DeviceSettings:
    """Use ``code`` at ``server`` for a device of ``role``; its settings.

    ``ca_file``: an ``https://`` server's certificate must come from this CA (else the
    system's trust store decides); its absolute path is kept in the settings returned.
    Raises :class:`EnrolmentError` (nothing stored; the server's message when it refused, or
    which server's certificate could not be trusted and why)."""
    address, code = enrolment_address(server, code)
    try:
        ca_path = check_ca_file(ca_file) if ca_file else None
        context = client_context(ca_path) if address.startswith("https://") else None
    except CaFileError as error:
        raise EnrolmentError(f"--ca-file: {error}") from None
    body = json.dumps({"code": code, "role": role}).encode("utf-8")
    request = urllib.request.Request(address, data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            answer = json.loads(response.read(64 * 1024))
    except urllib.error.HTTPError as error:
        raise EnrolmentError(_refusal(error)) from None
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, ssl.SSLError):
            raise EnrolmentError(explain_failure(reason, address, ca_path)) from None
        raise EnrolmentError(f"cannot reach {address}: {reason}") from None
    except ValueError as error:
        raise EnrolmentError(f"{address} did not answer with JSON: {error}") from None
    # The trust is the device's own choice, never the server's answer.
    return dataclasses.replace(_settings(answer, f"the answer of {address}"),
                               ca_file=ca_path or "")


def save(settings: DeviceSettings, path: Path) -> None:
    """Write ``settings`` to ``path``: owner-only (0600, in a 0700 folder it makes), atomic."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    text = _toml(settings)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o600)  # whatever the umask or an older file's mode was
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def load(role: str, environment: Mapping[str, str],
         platform: str = sys.platform) -> DeviceSettings | None:
    """The stored settings of ``role``'s device, or None when nothing is stored.

    Raises :class:`StoredSettingsError` for a file that cannot be read or used."""
    path = settings_path(role, environment, platform)
    try:
        document = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise StoredSettingsError(f"{path}: {error}") from None
    try:
        settings = _settings(document, str(path))
    except EnrolmentError as error:
        raise StoredSettingsError(str(error)) from None
    if settings.role != role:
        raise StoredSettingsError(f"{path}: holds a {settings.role}'s settings, not a {role}'s")
    return settings


def first_run_wanted(role: str, argv: Sequence[str], environment: Mapping[str, str],
                     token_variable: str | None = None) -> bool:
    """Whether a desktop app should ask for the server and a code (its first-run window):
    started with no option at all, with no token in ``token_variable`` and nothing stored
    (a stored file that cannot be read is reported by the app instead)."""
    if argv or (token_variable is not None and environment.get(token_variable)):
        return False
    try:
        return load(role, environment) is None
    except StoredSettingsError:
        return False


def enrol_command(role: str, argv: Sequence[str], environment: Mapping[str, str]
                  ) -> int | None:
    """``--enrol CODE [--server URL]`` among an app's options: enrol, store, say what was
    stored, and return the exit status (0, or 2 when it failed); None when ``--enrol`` is
    not there (the app runs as usual)."""
    if not any(item == "--enrol" or item.startswith("--enrol=") for item in argv):
        return None
    parser = argparse.ArgumentParser(prog=f"qms {role}", add_help=False)
    parser.add_argument("--enrol", required=True)
    parser.add_argument("--server", action="append")
    parser.add_argument("--ca-file")
    arguments, _ = parser.parse_known_args(list(argv))
    try:
        settings = enrol(",".join(arguments.server or []), arguments.enrol, role,
                         arguments.ca_file)
        if settings.role != role:
            raise EnrolmentError(f"the code was for a {settings.role}: run "
                                 f"qms {settings.role} --enrol on that device")
        path = settings_path(role, environment)
        save(settings, path)
    except (EnrolmentError, OSError) as error:
        print(f"qms {role}: enrolment failed: {error}", file=sys.stderr)
        return 2
    print(f"Enrolled. Stored in {path}:\n{settings.described()}\n"
          f"Start it with: qms {role}")
    return 0


def add_enrol_options(parser: argparse.ArgumentParser) -> None:
    """``--enrol`` and ``--ca-file`` in an app's ``--help`` (:func:`enrol_command` reads
    ``--enrol`` first; the app reads ``--ca-file`` with :func:`ca_file_option`)."""
    parser.add_argument("--enrol", metavar="CODE",
                        help="enrol this device with the code made on its administration "
                             "page (with --server), store its settings and exit; then start "
                             "with no options")
    parser.add_argument("--ca-file", metavar="PEM",
                        help="trust only this CA for a wss:// or https:// server (a "
                             "province's private CA; default: the enrolled one, else the "
                             "system's trusted CAs). Stored when given with --enrol")


def ca_file_option(given: str | None, stored: DeviceSettings | None) -> str | None:
    """The CA file an app connects with: ``--ca-file``, else the enrolled one, else None
    (the system's trust store). Checked now, so a wrong file stops the start with its reason.

    Raises :class:`CaFileError` naming the file (and ``--ca-file`` or the stored settings)."""
    if given:
        try:
            return check_ca_file(given)
        except CaFileError as error:
            raise CaFileError(f"--ca-file: {error}") from None
    if stored is not None and stored.ca_file:
        try:
            return check_ca_file(stored.ca_file)
        except CaFileError as error:
            raise CaFileError(f"stored settings' ca_file: {error}") from None
    return None


def _refusal(error: urllib.error.HTTPError) -> str:
    try:
        answer = json.loads(error.read(16 * 1024))
        message = str(answer["error"]["message"])
    except (ValueError, KeyError, TypeError, OSError):
        return f"the server answered {error.code} {error.reason}"
    return message.removeprefix("field 'code': ")


def _settings(document: Any, where: str) -> DeviceSettings:
    if not isinstance(document, dict):
        raise EnrolmentError(f"{where}: not a table of settings")
    values: dict[str, str] = {}
    for key in ("server", "site", "role", "token", "name"):
        value = document.get(key)
        if not isinstance(value, str) or not value:
            raise EnrolmentError(f"{where}: {key!r} is missing")
        values[key] = value
    if values["role"] not in ROLES:
        raise EnrolmentError(f"{where}: role {values['role']!r} is not a device's")
    profile = document.get("profile", {})
    if not isinstance(profile, dict) or not all(
            isinstance(key, str) and isinstance(value, str | int) and not isinstance(value, bool)
            for key, value in profile.items()):
        raise EnrolmentError(f"{where}: 'profile' is not a table of texts and numbers")
    ca_file = document.get("ca_file", "")
    if not isinstance(ca_file, str):
        raise EnrolmentError(f"{where}: 'ca_file' is not a file's path")
    return DeviceSettings(values["server"], values["site"], values["role"], values["token"],
                          values["name"], dict(profile), ca_file)


def _toml(settings: DeviceSettings) -> str:
    def text(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string

    lines = ["# Written by `qms --enrol`: this device's settings from its server.",
             "# It holds the device's token: keep it private (owner-only).",
             f"server = {text(settings.server)}", f"site = {text(settings.site)}",
             f"role = {text(settings.role)}", f"name = {text(settings.name)}",
             f"token = {text(settings.token)}"]
    if settings.ca_file:
        lines.append(f"ca_file = {text(settings.ca_file)}")
    lines += ["", "[profile]"]
    lines += [f"{key} = {value if isinstance(value, int) else text(value)}"
              for key, value in sorted(settings.profile.items())]
    return "\n".join(lines) + "\n"
