"""The audit log in the database (table ``audit_log``): insert and read, nothing else.

Writes are plans for the server's writer process, like every write of the running server:
entries added (on their own, or inside the plan of the change they record, so both commit
together), and the retention purge, the one statement that ever deletes (entries older
than a cutoff). No statement here updates an entry. Reads block: call them off the event
loop. Every read is bounded: a page of the newest entries, or the entries of a range in
batches by row number (:meth:`AuditStore.batch`), so a year of a province never sits in
memory at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from server.audit.model import (
    ACTOR_LIMIT,
    ADDRESS_LIMIT,
    DEVICE_LIMIT,
    TARGET_LIMIT,
    Actor,
    ActorKind,
    AuditEntry,
    AuditOutcome,
    Channel,
    StoredEntry,
)
from server.store.bulk import DriverStatement
from server.store.database import Engines, StoreError
from server.store.errors import describe_error
from server.store.plan import WritePlan
from server.store.tables import AuditRow

# Every column but ``id`` (the database numbers the rows, in the order they are written).
COLUMNS = ("at", "site", "actor_kind", "actor", "device", "channel", "address", "counter",
           "action", "target", "before", "after", "outcome", "error")


def insert_statement(dialect: Dialect) -> DriverStatement:
    """Adding entries, compiled once for ``dialect`` (rows from :func:`entry_row`)."""
    return DriverStatement(insert(AuditRow).values({name: bindparam(name)
                                                    for name in COLUMNS}), dialect)


def entry_row(entry: AuditEntry) -> dict[str, Any]:
    """The row of ``entry``, each text cut to its column's size."""
    actor = entry.actor
    return {"at": entry.at, "site": _cut(entry.site, 32), "actor_kind": actor.kind.value,
            "actor": actor.name[:ACTOR_LIMIT] or "?", "device": _cut(actor.device,
                                                                    DEVICE_LIMIT),
            "channel": actor.channel.value, "address": _cut(actor.address, ADDRESS_LIMIT),
            "counter": _cut(actor.counter, 32), "action": entry.action[:48],
            "target": _cut(entry.target, TARGET_LIMIT), "before": entry.before,
            "after": entry.after, "outcome": entry.outcome.value,
            "error": _cut(entry.error, 32)}


def _cut(text: str | None, limit: int) -> str | None:
    return None if text is None else text[:limit]


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which entries: from ``start`` until before ``end``; of ``sites`` (``None``: every
    entry, those of no site included); whose actor contains ``actor`` (any case); whose
    action is ``action`` or of its family (``ticket`` is every ``ticket.*``)."""

    start: datetime
    end: datetime
    sites: tuple[str, ...] | None = None
    actor: str | None = None
    action: str | None = None

    def condition(self) -> ColumnElement[bool]:
        parts: list[ColumnElement[bool]] = [AuditRow.at >= self.start, AuditRow.at < self.end]
        if self.sites is not None:
            parts.append(AuditRow.site.in_(list(self.sites)))
        if self.actor:
            parts.append(func.lower(AuditRow.actor).contains(self.actor.lower(),
                                                             autoescape=True))
        if self.action:
            parts.append(or_(AuditRow.action == self.action,
                             AuditRow.action.startswith(self.action.rstrip(".") + ".",
                                                        autoescape=True)))
        return and_(*parts)


class AuditStore:
    """Reads the audit log on ``engines`` and makes the writer's plans for it."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines
        dialect = engines.writer.dialect
        self._insert = insert_statement(dialect)
        self._purge = DriverStatement(delete(AuditRow).where(AuditRow.at < bindparam("before")),
                                      dialect)

    # --- plans for the writer -------------------------------------------------------------

    def insert_plan(self, entries: Sequence[AuditEntry]) -> WritePlan:
        """Adding ``entries`` (nothing for none)."""
        if not entries:
            return ()
        return (self._insert.bind([entry_row(entry) for entry in entries]),)

    def purge_plan(self, before: datetime) -> WritePlan:
        """Deleting the entries older than ``before`` (the retention purge); its row count
        is how many went."""
        return (self._purge.bind([{"before": before}]),)

    # --- here and now (no server running: qms config import) ------------------------------

    def insert(self, entries: Sequence[AuditEntry]) -> None:
        try:
            with self.engines.writer.begin() as connection:
                connection.execute(insert(AuditRow), [entry_row(entry) for entry in entries])
        except SQLAlchemyError as error:
            raise StoreError(f"cannot write the audit log: {describe_error(error)}") from error

    # --- reads ----------------------------------------------------------------------------

    def page(self, query: AuditQuery, offset: int, limit: int) -> list[StoredEntry]:
        """At most ``limit`` entries of ``query``, newest first, after skipping ``offset``."""
        return self._read(select(AuditRow).where(query.condition())
                          .order_by(AuditRow.at.desc(), AuditRow.id.desc())
                          .offset(offset).limit(limit))

    def batch(self, query: AuditQuery, after_id: int, limit: int) -> list[StoredEntry]:
        """At most ``limit`` entries of ``query`` written after row ``after_id``, in the
        order they were written (the next batch starts after the last one's id)."""
        return self._read(select(AuditRow)
                          .where(and_(query.condition(), AuditRow.id > after_id))
                          .order_by(AuditRow.id).limit(limit))

    def _read(self, statement: Any) -> list[StoredEntry]:
        try:
            with self.engines.reader.connect() as connection:
                rows = connection.execute(statement).all()
        except SQLAlchemyError as error:
            raise StoreError(f"cannot read the audit log: {describe_error(error)}") from error
        return [_stored(row) for row in rows]


def _stored(row: Any) -> StoredEntry:
    actor = Actor(_enum(ActorKind, row.actor_kind, ActorKind.SYSTEM), row.actor,
                  _enum(Channel, row.channel, Channel.SERVER), row.address, row.device,
                  row.counter)
    return StoredEntry(row.id, AuditEntry(
        row.at, row.site, actor, row.action, row.target, row.before, row.after,
        _enum(AuditOutcome, row.outcome, AuditOutcome.REFUSED), row.error))


def _enum(kind: Any, value: str, fallback: Any) -> Any:
    """``value`` as ``kind``; ``fallback`` for a value a newer release wrote."""
    try:
        return kind(value)
    except ValueError:
        return fallback
