"""``qms install-service`` / ``qms uninstall-service``: a plan of steps, shown or carried out.

A plan is a list of small steps (write a unit, create the service user, hand the
configuration to its group, run ``systemctl``). ``--dry-run`` prints each step (a unit with
its whole text) and does nothing; otherwise each is carried out in order, and the first that
fails stops the rest with its reason.

- ``--role server`` (as root): the ``qms`` system user, ``/etc/systemd/system/qms-server
  .service`` with the nightly backup's service and timer, the configuration file made
  readable to that user's group only (it holds tokens and the secret), then ``systemctl
  enable --now``. Uninstalling disables and removes the units and keeps the data and the user.
- ``--role kiosk|counter|display|bridge`` (as the person who signs in at that machine, not
  root): ``~/.config/systemd/user/qms-<role>.service`` with the app's own options, then
  ``systemctl --user enable --now``.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from server.ops.errors import ServiceError
from server.ops.units import (
    APP_DESCRIPTIONS,
    BACKUP_TIMER,
    DATA_DIRECTORY,
    SERVER_SERVICE,
    ServerUnits,
    UnitFile,
    app_unit,
    app_unit_name,
    server_units,
)

__all__ = ["Plan", "app_install_plan", "app_uninstall_plan", "qms_command", "role_is_installed",
           "server_install_plan", "server_uninstall_plan", "system_unit_directory",
           "unreachable_by_others", "user_unit_directory"]

# "PySide6<6.12,>=6.7; extra == \"kiosk\"" as importlib.metadata gives it (PEP 508).
_EXTRA_REQUIREMENT = re.compile(
    r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)[^;]*;\s*extra\s*==\s*[\"'](?P<extra>[\w-]+)[\"']")
Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def _run(arguments: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(arguments), capture_output=True, text=True, check=False)


@dataclass(frozen=True)
class WriteUnit:
    """Write one unit file (mode 0600 when it holds a token, else 0644)."""

    path: Path
    unit: UnitFile

    def describe(self) -> str:
        mode = "0600" if self.unit.private else "0644"
        return f"write {self.path} (mode {mode}):\n{_indent(self.unit.text)}"

    def perform(self, run: Runner) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        # Created with its final mode, so a token is never readable by others, even briefly.
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                             0o600 if self.unit.private else 0o644)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(self.unit.text)
        os.replace(partial, self.path)


@dataclass(frozen=True)
class RemoveFile:
    path: Path

    def describe(self) -> str:
        return f"remove {self.path}"

    def perform(self, run: Runner) -> None:
        self.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class RunCommand:
    """Run a command; ``may_fail``: a failure is reported but does not stop the plan (a
    unit to disable that was never enabled)."""

    arguments: tuple[str, ...]
    may_fail: bool = False

    def describe(self) -> str:
        return "run " + shlex.join(self.arguments)

    def perform(self, run: Runner) -> None:
        try:
            finished = run(self.arguments)
        except OSError as error:
            raise ServiceError(f"{shlex.join(self.arguments)}: {error}") from error
        if finished.returncode != 0 and not self.may_fail:
            reason = (finished.stderr or finished.stdout or "").strip()
            raise ServiceError(f"{shlex.join(self.arguments)} failed "
                               f"(exit {finished.returncode}): {reason}")


@dataclass(frozen=True)
class CreateSystemUser:
    """The server's own user and group, with no login and no home of its own (systemd makes
    its data directory)."""

    name: str

    def describe(self) -> str:
        return f"create the system user {self.name!r} unless it exists: " + shlex.join(
            self.arguments())

    def arguments(self) -> tuple[str, ...]:
        return ("useradd", "--system", "--user-group", "--home-dir", str(DATA_DIRECTORY),
                "--no-create-home", "--shell", "/usr/sbin/nologin",
                "--comment", "QMS queue server", self.name)

    def perform(self, run: Runner) -> None:
        try:
            pwd.getpwnam(self.name)
            return
        except KeyError:
            pass
        RunCommand(self.arguments()).perform(run)


@dataclass(frozen=True)
class ShareWithGroup:
    """Make the configuration readable by the service user's group and nobody else: it
    holds the device tokens and the secret, and the service must read it."""

    path: Path
    user: str

    def describe(self) -> str:
        return (f"chgrp (the group of {self.user}) {self.path}; chmod 0640 {self.path} "
                "(it holds tokens)")

    def perform(self, run: Runner) -> None:
        try:
            group_id = pwd.getpwnam(self.user).pw_gid  # the user's own group (useradd -U)
            os.chown(self.path, -1, group_id)
            os.chmod(self.path, 0o640)
        except (KeyError, OSError) as error:
            raise ServiceError(f"cannot give {self.path} to the group of {self.user!r}: "
                               f"{error}") from error


Step = WriteUnit | RemoveFile | RunCommand | CreateSystemUser | ShareWithGroup


@dataclass(frozen=True)
class Plan:
    """Steps to carry out in order; ``notes``: what the person should know (printed)."""

    steps: tuple[Step, ...]
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        lines = [f"{number}. {step.describe()}" for number, step in enumerate(self.steps, 1)]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def carry_out(self, run: Runner = _run, say: Callable[[str], None] = print) -> None:
        for step in self.steps:
            say(step.describe().splitlines()[0].rstrip(":"))
            step.perform(run)


def _indent(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.splitlines()).rstrip("\n")


def qms_command() -> tuple[str, ...]:
    """How a unit runs this installation's ``qms``: the ``qms`` script beside this
    interpreter (a virtual environment's), else the interpreter with ``-m server.cli``."""
    interpreter = Path(sys.executable).absolute()
    script = interpreter.with_name("qms.exe" if os.name == "nt" else "qms")
    if script.is_file():
        return (str(script),)
    return (str(interpreter), "-m", "server.cli")


def unreachable_by_others(paths: Sequence[Path]) -> list[Path]:
    """The folders above ``paths`` that another user cannot enter (no ``x`` for others), so
    a service running as its own user could not start this installation (a virtual
    environment under ``/root``, or on a Python there)."""
    blocked: list[Path] = []
    for path in paths:
        for folder in Path(path).absolute().parents:
            try:
                if not folder.stat().st_mode & 0o001 and folder not in blocked:
                    blocked.append(folder)
            except OSError:
                continue
    return blocked


def system_unit_directory() -> Path:
    return Path("/etc/systemd/system")


def user_unit_directory(environment: dict[str, str] | None = None) -> Path:
    environment = dict(os.environ) if environment is None else environment
    base = environment.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def server_install_plan(options: ServerUnits, unit_directory: Path, start: bool = True) -> Plan:
    """Write the server's units, create its user, hand it the configuration, enable."""
    units = server_units(options)
    notes = []
    blocked = unreachable_by_others([Path(options.command[0]), Path(sys.base_prefix)])
    if blocked:
        notes.append(f"the user {options.user!r} cannot enter {', '.join(map(str, blocked))}, "
                     f"so the service could not start this installation; install QMS where "
                     f"every user may read it (python3 -m venv /opt/qms, docs/install.md)")
    enable = ("systemctl", "enable", *(("--now",) if start else ()), SERVER_SERVICE,
              BACKUP_TIMER)
    steps: list[Step] = [CreateSystemUser(options.user)]
    steps += [WriteUnit(unit_directory / unit.name, unit) for unit in units]
    steps += [ShareWithGroup(options.config, options.user),
              RunCommand(("systemctl", "daemon-reload")), RunCommand(enable)]
    notes.append(f"data: {DATA_DIRECTORY}; log: journalctl -u {SERVER_SERVICE}; backups: "
                 f"{DATA_DIRECTORY}/backups, nightly at {options.backup_time}, the newest "
                 f"{options.keep_backups} kept")
    return Plan(tuple(steps), tuple(notes))


def server_uninstall_plan(unit_directory: Path) -> Plan:
    """Stop and remove the server's units; the data, the backups and the user stay."""
    units = [SERVER_SERVICE, "qms-backup.service", BACKUP_TIMER]
    steps: list[Step] = [RunCommand(("systemctl", "disable", "--now", SERVER_SERVICE,
                                     BACKUP_TIMER), may_fail=True)]
    steps += [RemoveFile(unit_directory / name) for name in units]
    steps.append(RunCommand(("systemctl", "daemon-reload")))
    return Plan(tuple(steps), (f"kept: the data and backups in {DATA_DIRECTORY} and the user "
                               "'qms' (remove them by hand: rm -r /var/lib/qms; userdel qms)",))


def app_install_plan(role: str, command: Sequence[str], arguments: Sequence[str],
                     unit_directory: Path, start: bool = True) -> Plan:
    """Write the app's user unit and enable it for the graphical session (the bridge: for
    the user's session)."""
    unit = app_unit(role, command, arguments)
    enable = ("systemctl", "--user", "enable", *(("--now",) if start else ()), unit.name)
    notes = [f"log: journalctl --user -u {unit.name}"]
    if role == "bridge":
        notes.append("the bridge needs the serial port: add this user to the dialout group; "
                     "to start it at boot without signing in: loginctl enable-linger")
    return Plan((WriteUnit(unit_directory / unit.name, unit),
                 RunCommand(("systemctl", "--user", "daemon-reload")), RunCommand(enable)),
                tuple(notes))


def app_uninstall_plan(role: str, unit_directory: Path) -> Plan:
    name = app_unit_name(role)
    return Plan((RunCommand(("systemctl", "--user", "disable", "--now", name), may_fail=True),
                 RemoveFile(unit_directory / name),
                 RunCommand(("systemctl", "--user", "daemon-reload"))))


def role_is_installed(role: str) -> list[str]:
    """The packages of ``qms[role]`` missing from this installation (none: it can run).

    Read from this installation's own metadata, so it is always the pyproject's extras.
    """
    if role != "server" and role not in APP_DESCRIPTIONS:
        raise ValueError(f"no role {role!r}")
    try:
        requirements = metadata.requires("qms") or []
    except metadata.PackageNotFoundError:
        return []  # run from a source tree without installing: nothing to compare with
    missing = []
    for requirement in requirements:
        found = _EXTRA_REQUIREMENT.fullmatch(requirement.strip())
        if found is None or found.group("extra") != role:
            continue
        distribution = found.group("name")
        try:
            metadata.version(distribution)
        except metadata.PackageNotFoundError:
            missing.append(distribution)
    return missing
