"""``qms config export`` and ``qms config import``: the configuration as a TOML file.

Once the server has started, the configuration (sites and accounts) lives in the database
and changes from the administration pages; the TOML file is the seed of a new deployment and
an export format:

    qms config export --config /etc/qms/centre.toml [--out centre-now.toml]
    qms config import centre-now.toml --config /etc/qms/centre.toml [--dry-run] [--yes]

**Export** writes the version in force (its number, author and time in a header comment)
with the ``[server]`` table of ``--config``: a file ``qms server --config`` starts from, and
one ``import`` reads back to the same configuration (round trip). It holds the device tokens
and password hashes, so it is written readable by its owner only.

**Import** checks the file with the same rules as the server and the pages (the key and the
reason of every problem), then weighs it against the day the database holds, as a change in
the pages is weighed (server.domain.impact): refused while it would break today's queue,
and, where it changes what people see, made only with ``--yes``. It is saved as a new
version (who, when, from which file), which the server runs on when it next starts. It is
refused while a server has the database open: a running server would go on with the
configuration it holds and number its next change as this one (change a running server in
its pages instead). The file's own ``[server]`` table is not imported: where to listen, the
database and the limits stay those of ``--config``.

Exit status: 0 done, 1 changes waiting for ``--yes`` (nothing saved), 2 refused or failed.
"""

from __future__ import annotations

import argparse
import getpass
import os
import socket
import sys
import tomllib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from server.config import ConfigError, Settings, load_settings, settings_document
from server.ops.commands import database_location, database_options
from server.ops.errors import OperationError
from server.store.errors import StoreError

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qms config", description="Export or import the configuration (sites, services, "
                                       "counters, officers, devices, accounts) as TOML.")
    commands = parser.add_subparsers(dest="action", required=True)
    export = commands.add_parser("export", help="write the configuration in force as TOML")
    database_options(export)
    export.add_argument("--out", type=Path,
                        help="the file to write (default: standard output)")
    imported = commands.add_parser(
        "import", help="make a TOML file the configuration (used at the server's next start)")
    imported.add_argument("file", type=Path, help="the TOML file to import")
    database_options(imported)
    imported.add_argument("--comment", default="", help="why (kept with the version)")
    imported.add_argument("--yes", action="store_true",
                          help="make the changes that alter what people see (listed first)")
    imported.add_argument("--dry-run", action="store_true",
                          help="check the file and list what it would change; save nothing")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``qms config ...``; returns the exit status."""
    arguments = build_parser().parse_args(argv)
    try:
        if arguments.action == "export":
            return _export(arguments)
        return _import(arguments)
    except ModuleNotFoundError as error:
        print(f"qms config: this installation lacks the server's packages ({error.name} is "
              "missing): pip install 'qms[server]'", file=sys.stderr)
    except ConfigError as error:
        print(f"qms config: configuration error: {error}", file=sys.stderr)
        for problem in error.problems[1:]:
            print(f"  also {problem.key}: {problem.reason}", file=sys.stderr)
    except StoreError as error:
        print(f"qms config: database error: {error}", file=sys.stderr)
    except OperationError as error:
        print(f"qms config {arguments.action}: {error}", file=sys.stderr)
    return 2


# --- export ---------------------------------------------------------------------------------


def _export(arguments: argparse.Namespace) -> int:
    from server.config.toml_writer import toml_text
    from server.store.configuration import ConfigurationStore
    from server.store.database import open_engines

    url, _data_directory = database_location(arguments)
    file_settings = load_settings(arguments.config) if arguments.config else None
    engines = open_engines(url)
    try:
        latest = ConfigurationStore(engines).latest() if _has_versions(engines) else None
    finally:
        engines.dispose()
    document: dict[str, Any] = {}
    if file_settings is not None:
        document["server"] = settings_document(file_settings)["server"]
    if latest is not None:
        document.update(sites=latest.document.get("sites", []),
                        accounts=latest.document.get("accounts", []))
        header = (f"QMS configuration version {latest.version}, by {latest.author} at "
                  f"{latest.created_at.isoformat(timespec='seconds')}"
                  + (f" ({latest.comment})" if latest.comment else ""))
    elif file_settings is not None:
        whole = settings_document(file_settings)
        document.update(sites=whole.get("sites", []), accounts=whole.get("accounts", []))
        header = "QMS configuration from the file: the database holds no version yet"
        print("qms config export: the database holds no configuration yet (the server has "
              "not started on it): this is the file's", file=sys.stderr)
    else:
        raise OperationError("the database holds no configuration yet, and no --config file "
                             "was given to export instead")
    if not document.get("accounts"):
        document.pop("accounts", None)
    lines = [f"# {header}", f"# exported {datetime.now(UTC).isoformat(timespec='seconds')}; "
             "it holds device tokens and password hashes: keep it private"]
    if "server" not in document:
        lines.append("# no [server] table: exported with --db alone (qms config import reads "
                     "it as is; qms server needs one)")
    text = "\n".join(lines) + "\n\n" + toml_text(document)
    if arguments.out is None:
        sys.stdout.write(text)
    else:
        _write_private(arguments.out, text)
        print(f"configuration written to {arguments.out}", file=sys.stderr)
    return 0


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only, whole or not at all."""
    temporary = path.with_name(f".{path.name}.part")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# --- import ---------------------------------------------------------------------------------


def _import(arguments: argparse.Namespace) -> int:
    from server.app.configuration import settings_from_document
    from server.ops.backup import refuse_if_in_use
    from server.store.configuration import ConfigurationStore, ConfigurationVersion
    from server.store.database import migrate, open_engines

    url, _data_directory = database_location(arguments)
    document = _read(arguments.file)
    server_settings = _server_settings(arguments, document)
    # The same rules as the server's and the pages' (the key and the reason of a problem).
    new = settings_from_document(server_settings, document)
    kept = {"sites": document.get("sites", []), "accounts": document.get("accounts", [])}
    refuse_if_in_use(url, "import")
    engines = open_engines(url)
    try:
        migrate(engines)
        store = ConfigurationStore(engines)
        latest = store.latest()
        old = (settings_from_document(server_settings, latest.document) if latest is not None
               else server_settings)
        impacts = _impacts(engines, old, new)
        refused = [line for level, line in impacts if level == "refused"]
        confirm = [line for level, line in impacts if level == "confirm"]
        for line in refused:
            print(f"refused: {line}", file=sys.stderr)
        if refused:
            print("qms config import: nothing imported; the day's queue first (or import "
                  "after the day ends)", file=sys.stderr)
            return 2
        for line in confirm:
            print(f"changes: {line}", file=sys.stderr)
        if arguments.dry_run:
            print(f"{arguments.file}: valid; {len(confirm)} change(s) to confirm; nothing "
                  "saved (--dry-run)")
            return 0
        if confirm and not arguments.yes:
            print("qms config import: nothing imported; run again with --yes to make these "
                  "changes", file=sys.stderr)
            return 1
        number = 1 if latest is None else latest.version + 1
        user = f"{getpass.getuser()}@{socket.gethostname()}"
        author = f"import by {user}"
        comment = arguments.comment or f"imported from {arguments.file.name}"
        now = datetime.now(UTC)
        store.insert(ConfigurationVersion(number, now, author, comment, kept),
                     [_audit_entry(now, user, arguments.file.name, latest, kept, number)])
    finally:
        engines.dispose()
    print(f"imported {arguments.file} as configuration version {number}; the server runs on "
          "it when it next starts")
    return 0


def _audit_entry(now: datetime, user: str, file_name: str, latest: Any,
                 kept: dict[str, Any], number: int) -> Any:
    """The audit log's entry of an import: each changed path before and after."""
    from server.audit.model import Action, Actor, ActorKind, AuditEntry, Channel
    from server.audit.redaction import configuration_changes, encoded

    before, after, sites = configuration_changes(latest.document if latest else {}, kept)
    before["version"], after["version"] = number - 1, number
    return AuditEntry(now, next(iter(sites)) if len(sites) == 1 else None,
                      Actor(ActorKind.SYSTEM, user, Channel.CLI),
                      Action.CONFIG_IMPORT.value, file_name[:200], encoded(before),
                      encoded(after))


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except OSError as error:
        raise ConfigError(str(path), f"cannot be read: {error.strerror or error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(str(path), f"is not valid TOML: {error}") from error
    except UnicodeDecodeError as error:
        raise ConfigError(str(path), "is not UTF-8 text") from error


def _server_settings(arguments: argparse.Namespace, document: dict[str, Any]) -> Settings:
    """The settings whose ``[server]`` table the import keeps: ``--config``'s, else the
    imported file's own (with ``--db``)."""
    if arguments.config is not None:
        return load_settings(arguments.config)
    if "server" not in document:
        raise ConfigError("--config", "is required when the file has no [server] table")
    from server.config import parse_settings

    return parse_settings(document)


def _has_versions(engines: Any) -> bool:
    """Whether the database has the configuration's table (an older schema has none)."""
    from sqlalchemy import inspect

    with engines.reader.connect() as connection:
        return bool(inspect(connection).has_table("configuration_versions"))


def _impacts(engines: Any, old: Settings, new: Settings) -> list[tuple[str, str]]:
    """What ``new`` would do to the day each site of ``old`` has in the database:
    ``(level, "site: key: message")``. A day already over counts for nothing."""
    from server.domain.impact import removed_site_impacts, site_change_impacts
    from server.domain.rules import local_date
    from server.store.repository import Repository

    repository = Repository(engines)
    now = datetime.now(UTC)
    new_sites = {site.code: site for site in new.sites}
    found: list[tuple[str, str]] = []
    for site in old.sites:
        state = repository.load_site(site)
        if state is None or state.business_date != local_date(site, now):
            continue
        replacement = new_sites.get(site.code)
        impacts = (site_change_impacts(site, replacement, state) if replacement is not None
                   else removed_site_impacts(site, state))
        found += [(impact.level.value, f"{site.code}: {impact.key}: {impact.message}")
                  for impact in impacts]
    return found
