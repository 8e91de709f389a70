"""Persistence of the domain: a batch of commands' events as one transaction's writes; a
site's day read back on start-up.

:meth:`Repository.plan` only converts (no I/O: the event loop calls it), and the writer process
(:mod:`server.store.writer`) runs what it returns. Everything else here blocks: call it from a
worker thread, never from the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from immutables import Map
from sqlalchemy import Connection, Row, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from server.audit.model import AuditEntry
from server.audit.store import entry_row
from server.audit.store import insert_statement as audit_insert_statement
from server.config.settings import SiteSettings
from server.domain.calling import RECENT_SERVICE_TIMES
from server.domain.model import (
    QUEUED_STATUSES,
    ConfigurationChange,
    CounterState,
    CounterStatus,
    DayReset,
    DeviceReport,
    Event,
    EventName,
    Rating,
    RatingSource,
    SiteState,
    Ticket,
    TicketStatus,
)
from server.domain.rules import RECENT_CALLS_KEPT
from server.store.bulk import DriverStatement
from server.store.database import Engines, StoreError
from server.store.errors import describe_error
from server.store.plan import FencedWrite, WritePlan, run_plan
from server.store.tables import (
    CounterRow,
    EventRow,
    NumberCounterRow,
    RatingRow,
    SiteRow,
    TicketRow,
)
from server.store.writer import WriterFenced

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as sent on the wire: ``data`` is the JSON text of its ``data`` object."""

    site: str
    seq: int
    name: str
    at: datetime
    data: str


@dataclass(frozen=True, slots=True)
class SiteChanges:
    """What one command changed at one site: its events, their wire form, the state after.

    ``fence``: the site's ``owner_epoch`` as its runtime took it; the site's row is written
    only while the database still holds that epoch (a newer owner fences the old one off).
    """

    state: SiteState
    events: tuple[Event, ...]
    wire: tuple[StoredEvent, ...]
    fence: int = 0
    # What the audit log records of the command (an officer's call, say), written in the
    # same transaction as its events (server.audit).
    audit: tuple[AuditEntry, ...] = ()

    def persisted(self) -> bool:
        """Whether there is anything to write (events, or an audit entry)."""
        return bool(self.events or self.audit)


class Repository:
    """Reads and writes the queue's tables through :class:`Engines`."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines
        self._insert = postgresql.insert if engines.writer.dialect.name == "postgresql" \
            else sqlite.insert
        # Built once: each build makes an ``excluded`` alias with copies of every column,
        # cyclic garbage that made the collector pause the event loop for tens of ms.
        # Compiled once too, and run on the driver: see server.store.bulk for why.
        dialect = engines.writer.dialect
        self._ticket_upsert = DriverStatement(self._upsert_statement(TicketRow, ["id"]),
                                              dialect)
        self._counter_upsert = DriverStatement(
            self._upsert_statement(CounterRow, ["site", "code"]), dialect)
        self._sequence_upsert = DriverStatement(self._upsert_statement(
            NumberCounterRow, ["site", "number_group", "business_date"]), dialect)
        self._site_upsert = DriverStatement(self._site_statement(), dialect)
        self._rating_insert = DriverStatement(self._insert(RatingRow), dialect)
        self._event_insert = DriverStatement(self._insert(EventRow), dialect)
        self._audit_insert = audit_insert_statement(dialect)
        self._ticket_cancel = DriverStatement(
            update(TicketRow).where(TicketRow.id == bindparam("ticket_id"))
            .values(status=bindparam("cancelled_status")), dialect)
        self._event_purge = DriverStatement(
            delete(EventRow).where(EventRow.at < bindparam("before")), dialect)
        self._sqlite = dialect.name == "sqlite"

    # --- writing ---------------------------------------------------------------------------

    def plan(self, batch: Sequence[SiteChanges]) -> WritePlan:
        """What persisting ``batch`` writes, ready for the driver; no I/O.

        Raises :class:`StoreError` when a value cannot be stored (nothing is written then).
        """
        if not batch:
            return ()
        try:
            return self._plan(batch)
        except (KeyError, TypeError, ValueError) as error:
            raise StoreError(f"could not prepare {len(batch)} changes: {error}") from error

    def purge_plan(self, before: datetime) -> WritePlan:
        """Deleting the events older than ``before``; its row count is how many went."""
        return (self._event_purge.bind([{"before": before}]),)

    def save(self, batch: Sequence[SiteChanges]) -> None:
        """Persist ``batch`` in one transaction on this process's writer engine, or nothing of
        it (raises :class:`StoreError`). The server writes through its writer process instead;
        this is the same plan, run here."""
        self.run_here(self.plan(batch))

    def purge_events(self, before: datetime) -> int:
        """Delete events older than ``before`` here; returns how many went."""
        return self.run_here(self.purge_plan(before))[0]

    def run_here(self, plan: WritePlan) -> list[int]:
        """Run ``plan`` in one transaction on this process's writer engine (blocking)."""
        if not plan:
            return []
        try:
            with self.engines.writer.connect() as connection:
                driver_connection = connection.connection.driver_connection
                try:
                    return run_plan(driver_connection, plan, self._sqlite)
                except FencedWrite as fenced:
                    raise WriterFenced(fenced.label) from fenced
                except connection.dialect.loaded_dbapi.Error as error:
                    raise StoreError(f"could not write: {describe_error(error)}") from error
        except SQLAlchemyError as error:
            raise StoreError(f"could not write: {error}") from error

    def _plan(self, batch: Sequence[SiteChanges]) -> WritePlan:
        tickets: dict[str, Ticket] = {}
        counters: dict[tuple[str, str], CounterState] = {}
        ratings: list[tuple[str, Rating]] = []
        cancelled: list[str] = []
        sites: dict[str, SiteState] = {}
        fences: dict[str, int] = {}
        sequences: dict[tuple[str, str, date], int] = {}
        wire: list[StoredEvent] = []
        audit: list[AuditEntry] = []
        for changes in batch:
            site = changes.state.site
            sites[site] = changes.state
            fences[site] = changes.fence
            wire.extend(changes.wire)
            audit.extend(changes.audit)
            for event in changes.events:
                subject = event.subject
                if isinstance(subject, Ticket):
                    tickets[subject.id] = subject  # the last version in the batch wins
                    if event.name is EventName.TICKET_ISSUED:
                        # Only an issue hands a number out: a later event of an older
                        # ticket (A001 called after A002 was issued) must not take the
                        # day's last number back, or a restart would give A002 again.
                        key = (site, subject.number_group, subject.business_date)
                        sequences[key] = max(sequences.get(key, 0), subject.sequence)
                elif isinstance(subject, CounterState):
                    counters[(site, subject.code)] = subject
                elif isinstance(subject, Rating):
                    ratings.append((site, subject))
                elif isinstance(subject, DeviceReport | ConfigurationChange):
                    continue  # in the event log only (the configuration has its own table)
                elif isinstance(subject, DayReset):
                    cancelled.extend(subject.cancelled)
                    # Tickets cancelled by the reset may also appear earlier in this batch.
                    for ticket_id in subject.cancelled:
                        tickets.pop(ticket_id, None)

        # The site rows first: each is the fence (written only while the epoch is the
        # writer's own), and its row lock then keeps a takeover waiting until this commit is
        # done, so the new owner reads it back.
        statements = [self._site_upsert.bind(
            [{"code": code, "business_date": state.business_date, "seq": state.seq,
              "next_queue_key": state.next_queue_key, "owner_epoch": fences[code]}
             for code, state in sites.items()], fence=tuple(sites))]
        if tickets:
            statements.append(self._ticket_upsert.bind(
                [_ticket_row(site_of(ticket.id), ticket) for ticket in tickets.values()]))
        if cancelled:
            statements.append(self._ticket_cancel.bind(
                [{"ticket_id": ticket_id, "cancelled_status": TicketStatus.CANCELLED.value}
                 for ticket_id in cancelled]))
        if counters:
            statements.append(self._counter_upsert.bind(
                [_counter_row(site, counter) for (site, _), counter in counters.items()]))
        if ratings:
            statements.append(self._rating_insert.bind(
                [_rating_row(site, rating) for site, rating in ratings]))
        if sequences:
            statements.append(self._sequence_upsert.bind([
                {"site": site, "number_group": group, "business_date": day,
                 "last_sequence": sequence}
                for (site, group, day), sequence in sequences.items()
            ]))
        if wire:
            statements.append(self._event_insert.bind(
                [{"site": item.site, "seq": item.seq, "name": item.name, "at": item.at,
                  "data": item.data} for item in wire]))
        if audit:
            statements.append(self._audit_insert.bind([entry_row(entry) for entry in audit]))
        return tuple(statements)

    def _site_statement(self) -> Any:
        """The site row's fenced upsert: a new site's row is inserted; an existing one is
        updated only ``WHERE owner_epoch`` is still the one given (else no row changes)."""
        columns = ("code", "business_date", "seq", "next_queue_key", "owner_epoch")
        table = SiteRow.__table__
        statement = self._insert(SiteRow).values(
            {name: bindparam(name, type_=table.c[name].type) for name in columns})
        return statement.on_conflict_do_update(
            index_elements=["code"],
            set_={name: statement.excluded[name]
                  for name in ("business_date", "seq", "next_queue_key")},
            where=SiteRow.owner_epoch == statement.excluded.owner_epoch)

    def _upsert_statement(self, table: type[Any], keys: list[str]) -> Any:
        """``INSERT ... ON CONFLICT (keys) DO UPDATE`` setting every other column."""
        statement = self._insert(table)
        changed = {column.name: statement.excluded[column.name]
                   for column in table.__table__.columns if column.name not in keys}
        return statement.on_conflict_do_update(index_elements=keys, set_=changed)

    # --- reading ---------------------------------------------------------------------------

    def read_events(self, site: str, after: int, limit: int) -> list[StoredEvent]:
        """Events of ``site`` with ``seq > after``, oldest first, at most ``limit``."""
        query = (select(EventRow).where(EventRow.site == site, EventRow.seq > after)
                 .order_by(EventRow.seq).limit(limit))
        with self.engines.reader.connect() as connection:
            rows = connection.execute(query).all()
        return [StoredEvent(row.site, row.seq, row.name, row.at, row.data) for row in rows]

    def oldest_event_seq(self, site: str) -> int | None:
        """The smallest ``seq`` still stored for ``site`` (``None``: none stored)."""
        with self.engines.reader.connect() as connection:
            value = connection.execute(
                select(func.min(EventRow.seq)).where(EventRow.site == site)).scalar()
        return None if value is None else int(value)

    def owner_epoch(self, site: str) -> int:
        """The fencing epoch stored for ``site`` (0 for a site with no row yet)."""
        with self.engines.reader.connect() as connection:
            value = connection.execute(
                select(SiteRow.owner_epoch).where(SiteRow.code == site)).scalar()
        return 0 if value is None else int(value)

    def current_ticket_ids(self, sites: Sequence[str]) -> list[tuple[str, str]]:
        """(site, ticket id) of every ticket of each of ``sites``' current business day (the
        one it last stored): what a process that does not serve them needs to tell which
        site a tracking code belongs to (server.app.remote_tracks)."""
        if not sites:
            return []
        with self.engines.reader.connect() as connection:
            rows = connection.execute(
                select(TicketRow.site, TicketRow.id)
                .join(SiteRow, (SiteRow.code == TicketRow.site)
                      & (SiteRow.business_date == TicketRow.business_date))
                .where(TicketRow.site.in_(list(sites)))).all()
        return [(row.site, row.id) for row in rows]

    def load_site(self, site: SiteSettings) -> SiteState | None:
        """The stored state of ``site``'s last business day, or ``None`` for a new site."""
        with self.engines.reader.connect() as connection:
            site_row = connection.execute(
                select(SiteRow).where(SiteRow.code == site.code)).first()
            if site_row is None:
                return None
            day = site_row.business_date
            ticket_rows = connection.execute(
                select(TicketRow).where(TicketRow.site == site.code,
                                        TicketRow.business_date == day)
            ).all()
            counter_rows = connection.execute(
                select(CounterRow).where(CounterRow.site == site.code)).all()
            rating_rows = connection.execute(
                select(RatingRow).join(TicketRow, TicketRow.id == RatingRow.ticket_id)
                .where(TicketRow.site == site.code, TicketRow.business_date == day)
            ).all()
            sequence_rows = connection.execute(
                select(NumberCounterRow).where(NumberCounterRow.site == site.code,
                                               NumberCounterRow.business_date == day)
            ).all()
            service_seconds = self._recent_service_seconds(connection, site)
        return _rebuild(site, site_row, ticket_rows, counter_rows, rating_rows, sequence_rows,
                        service_seconds)

    def _recent_service_seconds(self, connection: Connection,
                                site: SiteSettings) -> dict[str, tuple[float, ...]]:
        recent: dict[str, tuple[float, ...]] = {}
        for service in site.services:
            rows = connection.execute(
                select(TicketRow.serving_at, TicketRow.finished_at)
                .where(TicketRow.site == site.code, TicketRow.service == service.code,
                       TicketRow.status == TicketStatus.DONE.value,
                       TicketRow.finished_at.is_not(None), TicketRow.serving_at.is_not(None))
                .order_by(TicketRow.finished_at.desc()).limit(RECENT_SERVICE_TIMES)
            ).all()
            if rows:
                recent[service.code] = tuple(
                    max((row.finished_at - row.serving_at).total_seconds(), 0.0)
                    for row in reversed(rows))
        return recent


def site_of(ticket_id: str) -> str:
    """Ticket ids are ``site:yyyymmdd:number``."""
    return ticket_id.split(":", 1)[0]


def _ticket_row(site: str, ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id, "site": site, "business_date": ticket.business_date,
        "number": ticket.number, "sequence": ticket.sequence,
        "number_group": ticket.number_group, "service": ticket.service,
        "priority": ticket.priority, "status": ticket.status.value,
        "queue_key": ticket.queue_key, "request_key": ticket.request_key,
        "counter": ticket.counter, "target_counter": ticket.target_counter,
        "officer": ticket.officer, "issued_at": ticket.issued_at,
        "called_at": ticket.called_at, "first_called_at": ticket.first_called_at,
        "serving_at": ticket.serving_at, "finished_at": ticket.finished_at,
        "appointment_at": ticket.appointment_at, "call_count": ticket.call_count,
        "requeue_count": ticket.requeue_count, "transfer_count": ticket.transfer_count,
        "case_code": ticket.case_code, "remote": ticket.remote,
    }


def _counter_row(site: str, counter: CounterState) -> dict[str, Any]:
    return {
        "site": site, "code": counter.code, "status": counter.status.value,
        "officer": counter.officer, "ticket_id": counter.ticket_id,
        "pause_reason": counter.pause_reason, "priority_streak": counter.priority_streak,
        "normal_streak": counter.normal_streak, "changed_at": counter.changed_at,
    }


def _rating_row(site: str, rating: Rating) -> dict[str, Any]:
    return {
        "ticket_id": rating.ticket_id, "site": site, "score": rating.score,
        "source": rating.source.value, "rated_at": rating.rated_at, "counter": rating.counter,
        "officer": rating.officer, "service": rating.service, "case_code": rating.case_code,
    }


def _rebuild(
    site: SiteSettings,
    site_row: Row[Any],
    ticket_rows: Iterable[Row[Any]],
    counter_rows: Iterable[Row[Any]],
    rating_rows: Iterable[Row[Any]],
    sequence_rows: Iterable[Row[Any]],
    service_seconds: dict[str, tuple[float, ...]],
) -> SiteState:
    tickets = {row.id: _ticket(row) for row in ticket_rows}
    queues: dict[str, dict[str, int]] = {}
    counter_queues: dict[str, dict[str, int]] = {}
    issued: dict[str, int] = {}
    for ticket in tickets.values():
        issued[ticket.service] = issued.get(ticket.service, 0) + 1
        if ticket.status in QUEUED_STATUSES:
            if ticket.target_counter is not None:
                counter_queues.setdefault(ticket.target_counter, {})[ticket.id] = ticket.queue_key
            else:
                queues.setdefault(ticket.service, {})[ticket.id] = ticket.queue_key
    known = {counter.code for counter in site.counters}
    counters = {code: CounterState(code) for code in known}
    for row in counter_rows:
        if row.code in known:
            counters[row.code] = CounterState(
                code=row.code, status=CounterStatus(row.status), officer=row.officer,
                ticket_id=row.ticket_id if row.ticket_id in tickets else None,
                pause_reason=row.pause_reason, priority_streak=row.priority_streak,
                normal_streak=row.normal_streak, changed_at=row.changed_at)
        else:
            logger.warning("counter %s of site %s is no longer configured; ignored",
                           row.code, site.code)
    called = sorted((ticket for ticket in tickets.values() if ticket.called_at is not None),
                    key=lambda ticket: ticket.called_at or ticket.issued_at, reverse=True)
    return SiteState(
        site=site.code,
        business_date=site_row.business_date,
        seq=site_row.seq,
        tickets=Map(tickets),
        queues=Map({service: Map(queue) for service, queue in queues.items()}),
        counter_queues=Map({code: Map(queue) for code, queue in counter_queues.items()}),
        counters=Map(counters),
        last_sequence=Map({row.number_group: row.last_sequence for row in sequence_rows}),
        issued_per_service=Map(issued),
        next_queue_key=site_row.next_queue_key,
        request_keys=Map({ticket.request_key: ticket.id for ticket in tickets.values()
                          if ticket.request_key is not None}),
        numbers=Map({ticket.number: ticket.id for ticket in tickets.values()}),
        service_seconds=Map(service_seconds),
        recent_calls=tuple(ticket.id for ticket in called[:RECENT_CALLS_KEPT]),
        ratings=Map({row.ticket_id: Rating(row.ticket_id, row.score, RatingSource(row.source),
                                           row.rated_at, row.counter, row.officer, row.service,
                                           row.case_code) for row in rating_rows}),
    )


def _ticket(row: Row[Any]) -> Ticket:
    return Ticket(
        id=row.id, number=row.number, sequence=row.sequence, number_group=row.number_group,
        service=row.service, priority=row.priority, status=TicketStatus(row.status),
        queue_key=row.queue_key, business_date=row.business_date, issued_at=row.issued_at,
        request_key=row.request_key, counter=row.counter, target_counter=row.target_counter,
        officer=row.officer, called_at=row.called_at, serving_at=row.serving_at,
        finished_at=row.finished_at, call_count=row.call_count,
        requeue_count=row.requeue_count, transfer_count=row.transfer_count,
        case_code=row.case_code, appointment_at=row.appointment_at,
        first_called_at=row.first_called_at, remote=bool(row.remote),
    )
