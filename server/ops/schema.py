"""``qms migrate`` and ``qms migrate --check``: the database's schema against this release.

``--check`` changes nothing and says what migrating would do; its exit status is 0 when the
schema is up to date, 1 when migrations are waiting, 2 when the database was written by a
newer release (which is never migrated: there is no way down) or cannot be opened.
``qms migrate`` applies what is waiting, as the server does on start, for an upgrade done
before the server is started again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from server.store.database import (
    SchemaStatus,
    describe_database,
    migrate,
    open_engines,
    sqlalchemy_url,
)
from server.store.database import schema_status as read_status

__all__ = ["SchemaReport", "apply_migrations", "check_schema"]

UP_TO_DATE = 0
PENDING = 1
REFUSED = 2


@dataclass(frozen=True)
class SchemaReport:
    """What to print, and the exit status."""

    text: str
    status: int


def check_schema(url: str) -> SchemaReport:
    """Say what migrating the database at ``url`` would change. Raises StoreError when it
    cannot be opened."""
    parsed = make_url(sqlalchemy_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database and \
            not Path(parsed.database).exists():
        # Opening it would create it: a mistyped path must not leave an empty file behind.
        return SchemaReport(f"{describe_database(url)}: does not exist; the server's first "
                            "start creates it with this release's schema", PENDING)
    engines = open_engines(url)
    try:
        status = read_status(engines)
    finally:
        engines.dispose()
    return describe_status(describe_database(url), status)


def describe_status(database: str, status: SchemaStatus) -> SchemaReport:
    if status.unknown:
        return SchemaReport(status.newer_message(database), REFUSED)
    heads = ", ".join(status.heads)
    if not status.current:
        where = f"{database}: no QMS schema yet"
    else:
        where = f"{database}: schema revision {', '.join(status.current)}"
    if status.up_to_date:
        return SchemaReport(f"{where}, this release's newest: up to date, nothing to change",
                            UP_TO_DATE)
    lines = [f"{where}; this release's newest is {heads}. Migrating would apply, in order:"]
    lines += [f"  {revision}  {description}" for revision, description in status.pending]
    lines.append("`qms migrate` applies them (the server also does when it starts); "
                 "back up first: qms backup --out FILE")
    return SchemaReport("\n".join(lines), PENDING)


def apply_migrations(url: str) -> SchemaReport:
    """Migrate the database at ``url`` to this release's schema and say what was done.
    Raises StoreError when it cannot, or when a newer release wrote it."""
    engines = open_engines(url)
    try:
        before = read_status(engines)
        migrate(engines)
    finally:
        engines.dispose()
    database = describe_database(url)
    if before.up_to_date:
        return SchemaReport(f"{database}: already up to date ({', '.join(before.heads)})",
                            UP_TO_DATE)
    applied = ", ".join(f"{revision} ({description})"
                        for revision, description in before.pending)
    return SchemaReport(f"{database}: migrated to {', '.join(before.heads)}: applied "
                        f"{applied}", UP_TO_DATE)
