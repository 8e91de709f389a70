"""The operations subcommands of ``qms``: their options and what each runs.

    qms install-service --role server --config /etc/qms/centre.toml [--dry-run]
    qms install-service --role kiosk [--dry-run] -- --server ws://10.0.0.5:8765/ws --token T
    qms uninstall-service --role server
    qms migrate --config /etc/qms/centre.toml [--check]
    qms backup --config /etc/qms/centre.toml --out /srv/qms-backup.sqlite3
    qms backup --config /etc/qms/centre.toml --out-dir /var/lib/qms/backups --keep 14
    qms restore /srv/qms-backup.sqlite3 --config /etc/qms/centre.toml
    qms status --config /etc/qms/centre.toml [--json]

:mod:`server.cli` adds them to its parser (:func:`add_commands`) and hands their parsed
arguments to :func:`run`, which returns the exit status: 0 done, 1 ``migrate --check``
found migrations waiting or ``status`` found a site with no live server process, 2 refused or
failed (the message says why, on stderr).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import replace
from pathlib import Path

from server.ops.errors import OperationError, ServiceError
from server.ops.units import ServerUnits
from server.protocol.enrolment_client import settings_path

__all__ = ["COMMANDS", "add_commands", "database_location", "database_options", "run"]

COMMANDS = frozenset({"install-service", "uninstall-service", "migrate", "backup", "restore",
                      "status"})
ROLES = ("server", "kiosk", "counter", "display", "bridge")
_TIME_OF_DAY = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the operations subcommands to ``qms``'s parser."""
    install = commands.add_parser(
        "install-service", help="install and enable the systemd units of a server or an app",
        description="Write and enable systemd units: for the server (as root) a system "
                    "service with its own user and a nightly backup; for an app (as the "
                    "person who signs in at that machine) a user service of the graphical "
                    "session. The app's own options follow `--`.")
    install.add_argument("--role", choices=ROLES, required=True)
    install.add_argument("--config", type=Path,
                         help="the centre's configuration file (server; required)")
    install.add_argument("--user", default="qms", help="the server's user (default: qms)")
    install.add_argument("--backup-time", default="02:30",
                         help="time of the nightly backup, HH:MM (default: 02:30)")
    install.add_argument("--keep", type=int, default=14,
                         help="nightly backups kept (default: 14)")
    install.add_argument("--unit-dir", type=Path,
                         help="where the units go (default: /etc/systemd/system for the "
                              "server, ~/.config/systemd/user for an app)")
    install.add_argument("--no-start", action="store_true",
                         help="enable for the next boot or sign-in, do not start now")
    install.add_argument("--dry-run", action="store_true",
                         help="print what would be written and run, and change nothing")
    install.add_argument("app_arguments", nargs=argparse.REMAINDER,
                         help="after `--`: the app's options (qms ROLE --help)")

    uninstall = commands.add_parser("uninstall-service",
                                    help="stop, disable and remove the units of a role")
    uninstall.add_argument("--role", choices=ROLES, required=True)
    uninstall.add_argument("--unit-dir", type=Path, help="where the units are")
    uninstall.add_argument("--dry-run", action="store_true",
                           help="print what would be done, and change nothing")

    migrate = commands.add_parser(
        "migrate", help="bring the database's schema to this release's (--check: only say)")
    database_options(migrate)
    migrate.add_argument("--check", action="store_true",
                         help="change nothing; say what would change (exit 1 if anything)")

    backup = commands.add_parser(
        "backup", help="copy the whole database to a file, the server running or not")
    database_options(backup)
    target = backup.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="the backup file to write")
    target.add_argument("--out-dir", type=Path,
                        help="write qms-YYYYMMDD-HHMMSS.sqlite3 (or .pgdump) in this folder")
    backup.add_argument("--keep", type=int,
                        help="with --out-dir: keep only the newest N backups there")

    restore = commands.add_parser(
        "restore", help="replace the database with a backup (the server stopped)")
    restore.add_argument("file", type=Path, help="a file made by qms backup")
    database_options(restore)

    status = commands.add_parser(
        "status", help="which server process serves which site (several processes on "
                       "PostgreSQL); exit 1 when a site has none")
    database_options(status)
    status.add_argument("--json", action="store_true", help="print it as JSON")


def database_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path,
                        help="the server's configuration file (its database_url, data_dir)")
    parser.add_argument("--db", help="database URL (default: the configuration's)")
    parser.add_argument("--data-dir", type=Path,
                        help="data directory, as given to qms server (default: the "
                             "configuration's)")
    parser.add_argument("--log-level", default="WARNING",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])


def run(arguments: argparse.Namespace) -> int:
    """Run one operations subcommand; returns its exit status."""
    from server.config import ConfigError
    from server.store.errors import StoreError

    try:
        if arguments.command == "install-service":
            return _install(arguments)
        if arguments.command == "uninstall-service":
            return _uninstall(arguments)
        from server.logs import configure_logging

        configure_logging(arguments.command, arguments.log_level)
        try:
            if arguments.command == "migrate":
                return _migrate(arguments)
            if arguments.command == "backup":
                return _backup(arguments)
            if arguments.command == "status":
                return _status(arguments)
            return _restore(arguments)
        except ModuleNotFoundError as error:
            # A kiosk's or a counter's installation has no database stack (its extra).
            print(f"qms {arguments.command}: this installation lacks the server's packages "
                  f"({error.name} is missing): pip install 'qms[server]'", file=sys.stderr)
    except ConfigError as error:
        print(f"qms: configuration error: {error}", file=sys.stderr)
    except StoreError as error:
        print(f"qms: database error: {error}", file=sys.stderr)
    except OperationError as error:
        print(f"qms {arguments.command}: {error}", file=sys.stderr)
    return 2


def database_location(arguments: argparse.Namespace) -> tuple[str, Path]:
    """The database URL and data directory, as ``qms server`` with the same options would
    use them."""
    from server.config import ConfigError, load_settings

    if arguments.config is None and arguments.db is None:
        raise ConfigError("--config", "or --db is required: the server's configuration file "
                                      "(or the database URL)")
    if arguments.config is None:
        data_directory = arguments.data_dir or Path("data")
        return arguments.db, data_directory
    server = load_settings(arguments.config).server
    if arguments.data_dir is not None:
        server = replace(server, data_dir=arguments.data_dir)
    return arguments.db or server.resolved_database_url(), server.data_dir


def _migrate(arguments: argparse.Namespace) -> int:
    from server.ops.schema import apply_migrations, check_schema

    url, _data_directory = database_location(arguments)
    report = check_schema(url) if arguments.check else apply_migrations(url)
    print(report.text, file=sys.stdout if report.status != 2 else sys.stderr)
    return report.status


def _status(arguments: argparse.Namespace) -> int:
    from server.ops.status import as_json, ownership_status

    url, _data_directory = database_location(arguments)
    report = ownership_status(url)
    print(as_json(report) if arguments.json else report.text)
    return report.status


def _backup(arguments: argparse.Namespace) -> int:
    from server.ops.backup import backup, backup_to_directory
    from server.store.database import describe_database

    url, _data_directory = database_location(arguments)
    if arguments.out is not None:
        if arguments.keep is not None:
            raise OperationError("--keep goes with --out-dir")
        outcome = backup(url, arguments.out)
    else:
        outcome = backup_to_directory(url, arguments.out_dir,
                                      14 if arguments.keep is None else arguments.keep)
    print(f"backed up {describe_database(url)} (schema {outcome.revision}) to {outcome.path}")
    for path in outcome.removed:
        print(f"removed the older backup {path}")
    return 0


def _restore(arguments: argparse.Namespace) -> int:
    from server.ops.backup import restore
    from server.store.database import describe_database

    url, data_directory = database_location(arguments)
    outcome = restore(url, arguments.file, data_directory / "backups")
    print(f"restored {arguments.file} (schema {outcome.revision}) into "
          f"{describe_database(url)}")
    if outcome.path is not None:
        print(f"what was there before is in {outcome.path}")
    print("start the server again: it migrates an older schema on start")
    return 0


def _install(arguments: argparse.Namespace) -> int:
    from server.ops.service import (
        app_install_plan,
        qms_command,
        role_is_installed,
        server_install_plan,
        system_unit_directory,
        user_unit_directory,
    )

    _refuse_without_systemd()
    missing = role_is_installed(arguments.role)
    if missing:
        raise ServiceError(f"this installation lacks what the {arguments.role} needs "
                           f"({', '.join(missing)}): pip install 'qms[{arguments.role}]'")
    app_arguments = list(arguments.app_arguments)
    if app_arguments[:1] == ["--"]:
        app_arguments = app_arguments[1:]
    if arguments.role == "server":
        if app_arguments:
            raise ServiceError(f"the server takes no options after --: {app_arguments}")
        options = _server_units(arguments, qms_command())
        if not arguments.dry_run and os.geteuid() != 0:
            raise ServiceError("the server's service is installed as root: sudo qms "
                               "install-service --role server ...")
        plan = server_install_plan(options, arguments.unit_dir or system_unit_directory(),
                                   start=not arguments.no_start)
    else:
        if not app_arguments and not settings_path(arguments.role, os.environ).exists():
            # An enrolled app needs none: it starts from its stored settings.
            raise ServiceError(f"give the {arguments.role}'s options after --: qms "
                               f"install-service --role {arguments.role} -- --server "
                               f"ws://SERVER:8765/ws --token TOKEN ..., or enrol it first: "
                               f"qms {arguments.role} --enrol CODE --server ADDRESS")
        if not arguments.dry_run and arguments.unit_dir is None and os.geteuid() == 0:
            raise ServiceError(f"the {arguments.role} runs as the person who signs in at this "
                               "machine: run this as that user, not as root")
        plan = app_install_plan(arguments.role, qms_command(), app_arguments,
                                arguments.unit_dir or user_unit_directory(),
                                start=not arguments.no_start)
    if arguments.dry_run:
        print(plan.describe())
        return 0
    plan.carry_out()
    for note in plan.notes:
        print(f"note: {note}")
    return 0


def _server_units(arguments: argparse.Namespace, command: tuple[str, ...]) -> ServerUnits:
    from server.config import ConfigError, load_settings

    if arguments.config is None:
        raise ConfigError("--config", "is required: the centre's configuration file, which "
                                      "the service reads at every start (/etc/qms/centre.toml)")
    config = arguments.config.absolute()
    load_settings(config)  # a configuration that would not start is refused now, not at boot
    if not _TIME_OF_DAY.fullmatch(arguments.backup_time):
        raise ConfigError("--backup-time", f"must be HH:MM, got {arguments.backup_time!r}")
    if arguments.keep < 1:
        raise ConfigError("--keep", "must be at least 1")
    return ServerUnits(command=command, config=config, user=arguments.user,
                       backup_time=arguments.backup_time, keep_backups=arguments.keep)


def _uninstall(arguments: argparse.Namespace) -> int:
    from server.ops.service import (
        app_uninstall_plan,
        server_uninstall_plan,
        system_unit_directory,
        user_unit_directory,
    )

    _refuse_without_systemd()
    if arguments.role == "server":
        plan = server_uninstall_plan(arguments.unit_dir or system_unit_directory())
    else:
        plan = app_uninstall_plan(arguments.role, arguments.unit_dir or user_unit_directory())
    if arguments.dry_run:
        print(plan.describe())
        return 0
    plan.carry_out()
    for note in plan.notes:
        print(f"note: {note}")
    return 0


def _refuse_without_systemd() -> None:
    if os.name == "nt":
        raise ServiceError("systemd units are for Linux; on Windows, start the apps from an "
                           "autostart entry (docs/install.md, Windows)")
