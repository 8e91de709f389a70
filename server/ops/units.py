"""The text of the systemd units (pure: no file is read or written here).

- The server: ``qms-server.service``, a system service run as its own user (``qms``) with its
  data in ``/var/lib/qms`` (``StateDirectory``), its log in the journal, restarted when it
  fails (``qms server`` exits 1 when it loses its writer process, 2 when the database cannot
  be opened at boot: both are worth another try). ``qms-backup.service`` and
  ``qms-backup.timer`` make a backup every night and keep the newest few.
- The apps: ``qms-kiosk.service`` and the like, user services of the person who signs in at
  that machine, started with the graphical session (the kiosk, counter and display need its
  screen) and restarted when they fail. The bridge has no window: it starts with the user's
  service manager (``default.target``), and at boot with ``loginctl enable-linger``.

The units were checked with ``systemd-analyze verify`` (tests/server/ops/test_units.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["APP_DESCRIPTIONS", "BACKUP_SERVICE", "BACKUP_TIMER", "DATA_DIRECTORY",
           "SERVER_SERVICE", "ServerUnits", "UnitFile", "app_unit", "app_unit_name",
           "exec_line", "server_units"]

SERVER_SERVICE = "qms-server.service"
BACKUP_SERVICE = "qms-backup.service"
BACKUP_TIMER = "qms-backup.timer"
STATE_DIRECTORY_NAME = "qms"
DATA_DIRECTORY = Path("/var/lib") / STATE_DIRECTORY_NAME
BACKUP_DIRECTORY = DATA_DIRECTORY / "backups"
ENVIRONMENT_FILE = Path("/etc/qms/qms.env")
APP_DESCRIPTIONS = {
    "kiosk": "QMS kiosk (touch screen that prints queue tickets)",
    "counter": "QMS counter terminal",
    "display": "QMS lobby display",
    "bridge": "QMS hardware bridge (keypads, LED boards and rating pads on the serial bus)",
}
WINDOWED_ROLES = frozenset({"kiosk", "counter", "display"})
# Characters systemd takes as they are in an ExecStart argument; anything else is quoted.
_PLAIN_ARGUMENT = re.compile(r"[A-Za-z0-9_@+=:,./-]+")


@dataclass(frozen=True)
class UnitFile:
    """One unit: its file name and text. ``private``: it holds a token (an app's command
    line), so only its owner may read it."""

    name: str
    text: str
    private: bool = False


@dataclass(frozen=True)
class ServerUnits:
    """What the server's units need to know.

    ``command``: how to run ``qms`` (an absolute path, or the interpreter and ``-m
    server.cli``). ``config``: the centre's configuration file, absolute. ``backup_time``:
    a systemd calendar time of day (``02:30``). ``keep_backups``: how many nightly backups
    stay; older ones are removed after each new one is complete.
    """

    command: tuple[str, ...]
    config: Path
    user: str = "qms"
    backup_time: str = "02:30"
    keep_backups: int = 14


def exec_line(arguments: Sequence[str]) -> str:
    """``arguments`` as one ``ExecStart=`` value, quoted as systemd.service(5) reads it:
    ``%`` (a specifier) and ``$`` (a variable) doubled, anything unusual double-quoted."""
    return " ".join(_quote(argument) for argument in arguments)


def _quote(argument: str) -> str:
    escaped = argument.replace("%", "%%").replace("$", "$$")
    if _PLAIN_ARGUMENT.fullmatch(argument):
        return escaped
    escaped = escaped.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def server_units(options: ServerUnits) -> list[UnitFile]:
    """The server's service, the nightly backup's service and its timer."""
    serve = [*options.command, "server", "--config", str(options.config),
             "--data-dir", str(DATA_DIRECTORY)]
    backup = [*options.command, "backup", "--config", str(options.config),
              "--data-dir", str(DATA_DIRECTORY), "--out-dir", str(BACKUP_DIRECTORY),
              "--keep", str(options.keep_backups)]
    server = f"""\
[Unit]
Description=QMS queue server (hệ thống xếp hàng tự động)
# Ordering only: PostgreSQL, when it runs on this machine, starts first.
After=network-online.target postgresql.service
Wants=network-online.target

[Service]
Type=exec
User={options.user}
StateDirectory={STATE_DIRECTORY_NAME}
StateDirectoryMode=0750
WorkingDirectory={DATA_DIRECTORY}
# QMS_ADMIN_TOKEN and the like, kept out of this file (the leading - : optional).
EnvironmentFile=-{ENVIRONMENT_FILE}
Environment=PYTHONUNBUFFERED=1
ExecStart={exec_line(serve)}
# Exit 1: the server lost its database writer; 2: the database could not be opened (not up
# yet at boot, say). Both are worth another try; the start reads the truth back.
Restart=on-failure
RestartSec=5
# The server commits what is queued before it stops (docs/architecture.md).
TimeoutStopSec=30
NoNewPrivileges=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectSystem=strict
ProtectHome=read-only
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes
UMask=0027

[Install]
WantedBy=multi-user.target
"""
    backup_service = f"""\
[Unit]
Description=QMS database backup (keeps the newest {options.keep_backups})
After={SERVER_SERVICE}

[Service]
Type=oneshot
User={options.user}
StateDirectory={STATE_DIRECTORY_NAME}
WorkingDirectory={DATA_DIRECTORY}
EnvironmentFile=-{ENVIRONMENT_FILE}
ExecStart={exec_line(backup)}
Nice=10
IOSchedulingClass=idle
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=read-only
UMask=0077
"""
    timer = f"""\
[Unit]
Description=Nightly backup of the QMS database

[Timer]
OnCalendar=*-*-* {options.backup_time}:00
# A night the machine was off is made up for at the next start.
Persistent=true
RandomizedDelaySec=10min

[Install]
WantedBy=timers.target
"""
    return [UnitFile(SERVER_SERVICE, server), UnitFile(BACKUP_SERVICE, backup_service),
            UnitFile(BACKUP_TIMER, timer)]


def app_unit_name(role: str) -> str:
    return f"qms-{role}.service"


def app_unit(role: str, command: Sequence[str], arguments: Sequence[str]) -> UnitFile:
    """The user service that runs ``qms <role> <arguments>``; private, since ``arguments``
    usually hold the device's token."""
    if role not in APP_DESCRIPTIONS:
        raise ValueError(f"no app role {role!r}")
    if role in WINDOWED_ROLES:
        # Started and stopped with the desktop, which gives it DISPLAY / WAYLAND_DISPLAY.
        unit_section = ("PartOf=graphical-session.target\n"
                        "After=graphical-session.target\n")
        wanted_by = "graphical-session.target"
    else:
        unit_section = ""
        wanted_by = "default.target"
    text = f"""\
[Unit]
Description={APP_DESCRIPTIONS[role]}
{unit_section}# Keep trying for as long as it takes: a kiosk that gave up helps nobody.
StartLimitIntervalSec=0

[Service]
Type=exec
Environment=PYTHONUNBUFFERED=1
ExecStart={exec_line([*command, role, *arguments])}
Restart=on-failure
RestartSec=5

[Install]
WantedBy={wanted_by}
"""
    return UnitFile(app_unit_name(role), text, private=True)
