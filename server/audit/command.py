"""``qms audit export``: the audit log as CSV, without a browser.

    qms audit export --from 01/11/2026 --to 30/11/2026 [--site hcc-tinh] \\
                     [--actor lan] [--action ticket] --out audit.csv \\
                     (--config /etc/qms/centre.toml | --db URL)

It reads the database on a connection of its own, so it may run while ``qms server`` runs on
the same database. ``--config``, ``--db`` and ``--data-dir`` mean what they mean for ``qms
migrate``. Days are the local days of the sites (the time zone of the configuration in force
in the database: the first site's, Asia/Ho_Chi_Minh without one); ``--site`` (repeatable)
keeps the entries of those sites, and without it every entry is written, those of no one site
(web sign-ins, accounts) included. The file is the one the web page downloads
(server.audit.export), written readable by its owner only, whole or not at all; the export is
itself recorded in the audit log (``audit.export``, by the system user running it).

Exit status: 0 with the file written; 2 for anything wrong (a day that is not one, a range
ending before it starts, an unknown site or action, no database, a folder that is not
there), with one line saying which option and why, and no file written.
"""

from __future__ import annotations

import argparse
import getpass
import os
import socket
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.audit.export import csv_header, csv_rows
from server.audit.model import Action, Actor, ActorKind, AuditEntry, Channel
from server.audit.redaction import encoded
from server.ops.commands import database_location, database_options
from server.ops.errors import OperationError

if TYPE_CHECKING:  # the database stack is imported when the command runs
    from server.audit.store import AuditQuery, AuditStore

__all__ = ["main"]

BATCH = 5000
DEFAULT_ZONE = "Asia/Ho_Chi_Minh"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qms audit", description="Nhật ký kiểm tra / the audit log: who did what, from "
                                      "which device and address, and when.")
    commands = parser.add_subparsers(dest="action", required=True)
    export = commands.add_parser("export", help="write the audit log's entries as CSV")
    export.add_argument("--from", dest="first", required=True, metavar="DAY",
                        help="first local day: dd/mm/yyyy or yyyy-mm-dd")
    export.add_argument("--to", dest="last", required=True, metavar="DAY",
                        help="last local day (included)")
    export.add_argument("--site", action="append", metavar="CODE",
                        help="a site code; repeat for several (default: every entry)")
    export.add_argument("--actor", help="only actors whose name contains this (any case)")
    export.add_argument("--action", dest="what",
                        help="only this action code, or a family (ticket, config, ...)")
    export.add_argument("--out", required=True, type=Path, help="the CSV file to write")
    database_options(export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``qms audit ...``; returns the exit status."""
    arguments = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    from server.config import ConfigError
    from server.store.errors import StoreError

    try:
        written = _export(arguments)
    except ModuleNotFoundError as error:
        print(f"qms audit: this installation lacks the server's packages ({error.name} is "
              "missing): pip install 'qms[server]'", file=sys.stderr)
    except ConfigError as error:
        print(f"qms audit: configuration error: {error}", file=sys.stderr)
    except StoreError as error:
        print(f"qms audit: database error: {error}", file=sys.stderr)
    except OperationError as error:
        print(f"qms audit export: {error}", file=sys.stderr)
    else:
        print(f"qms audit: wrote {arguments.out} ({written} entries)")
        return 0
    return 2


def _export(arguments: argparse.Namespace) -> int:
    from sqlalchemy import inspect

    from server.audit.store import AuditQuery, AuditStore
    from server.store.configuration import ConfigurationStore
    from server.store.database import open_engines

    first, last = _day("--from", arguments.first), _day("--to", arguments.last)
    if last < first:
        raise OperationError(f"--to: {arguments.last} is before --from {arguments.first}")
    families = {action.value.split(".")[0] for action in Action}
    if arguments.what and arguments.what not in {action.value for action in Action} | families:
        raise OperationError(f"--action: {arguments.what!r} is no action code nor family "
                             f"({', '.join(sorted(families))})")
    if not arguments.out.parent.is_dir():
        raise OperationError(f"--out: the folder {str(arguments.out.parent)!r} does not exist")
    url, _data_directory = database_location(arguments)
    engines = open_engines(url)
    try:
        with engines.reader.connect() as connection:
            tables = inspect(connection)
            if not tables.has_table("audit_log"):
                raise OperationError("the database has no audit log yet (its schema is "
                                     "older: run qms migrate, or start the server once)")
            has_configuration = tables.has_table("configuration_versions")
        latest = ConfigurationStore(engines).latest() if has_configuration else None
        sites = [site for site in (latest.document.get("sites", []) if latest else [])
                 if isinstance(site, dict)]
        known = {str(site.get("code")) for site in sites}
        for code in arguments.site or []:
            if known and code not in known:
                raise OperationError(f"--site: {code!r} is not a site of the configuration "
                                     f"in force ({', '.join(sorted(known))})")
        zone = _zone(sites[0].get("timezone", DEFAULT_ZONE) if sites else DEFAULT_ZONE)
        query = AuditQuery(datetime.combine(first, time(), zone),
                           datetime.combine(last + timedelta(days=1), time(), zone),
                           tuple(arguments.site) if arguments.site else None,
                           arguments.actor or None, arguments.what or None)
        store = AuditStore(engines)
        written = _write(arguments.out, store, query, zone)
        user = f"{getpass.getuser()}@{socket.gethostname()}"
        shown: dict[str, Any] = {"from": first.isoformat(), "to": last.isoformat(),
                                 "sites": arguments.site or [], "entries": written}
        store.insert([AuditEntry(datetime.now(UTC), arguments.site[0]
                                 if arguments.site and len(arguments.site) == 1 else None,
                                 Actor(ActorKind.SYSTEM, user, Channel.CLI),
                                 Action.AUDIT_EXPORT.value, arguments.out.name[:200],
                                 None, encoded(shown))])
    finally:
        engines.dispose()
    return written


def _write(path: Path, store: AuditStore, query: AuditQuery, zone: ZoneInfo) -> int:
    """Write the entries of ``query`` to ``path`` in batches; how many."""
    temporary = path.with_name(f".{path.name}.part")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    written = 0
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(csv_header())
            last = 0
            while True:
                batch = store.batch(query, last, BATCH)
                if batch:
                    file.write(csv_rows(batch, zone))
                    written += len(batch)
                    last = batch[-1].id
                if len(batch) < BATCH:
                    break
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return written


def _day(option: str, text: str) -> date:
    from server.reports.errors import ReportError
    from server.reports.request import parse_day

    try:
        return parse_day(option, text)
    except ReportError as error:
        raise OperationError(f"{option}: {error.message}") from None


def _zone(name: object) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)
