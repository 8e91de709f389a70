"""Bookings in the database (table ``bookings``).

Writes are plans for the server's writer process, like every write of the running server;
reads block, so callers run them on the service's reader threads.

**Capacity and limits under concurrency.** A booking is one ``INSERT ... SELECT ... WHERE``
whose condition counts, in the same statement, the places its slot holds and the person's
bookings of that day, of that field and still open: it inserts a row only when every count
is below its limit, and its row count (1 or 0) says whether it did. The writer process runs
plans one after another on its one connection, so no two bookings are ever counted against
the same state: 50 citizens pressing at once for a slot of 5 places get 5 bookings and 45
refusals, on SQLite and on PostgreSQL alike. Every later change is an ``UPDATE`` guarded by
the state it expects (``status = 'booked'``), whose row count says whether it happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    null,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from server.booking.model import (
    COUNTED,
    HOLDING,
    Booking,
    BookingKind,
    BookingStatus,
    IdentityKind,
)
from server.store.bulk import DriverStatement
from server.store.database import Engines, StoreError
from server.store.errors import describe_error
from server.store.plan import WritePlan
from server.store.tables import BookingRow, UtcDateTime

# Every column but ``id`` (the database numbers the rows), with its type for the SELECT.
_COLUMNS: tuple[tuple[str, TypeEngine[Any]], ...] = (
    ("code_hash", String(64)), ("code_sealed", String(8)), ("site", String(32)),
    ("service", String(32)), ("field", String(32)), ("kind", String(8)), ("day", Date()),
    ("slot_start", UtcDateTime()), ("slot_end", UtcDateTime()),
    ("check_in_from", UtcDateTime()), ("check_in_until", UtcDateTime()),
    ("status", String(16)), ("ticket_id", String(80)), ("check_in_key", String(80)),
    ("identity_kind", String(8)), ("identity_hash", String(64)), ("phone", String(16)),
    ("language", String(2)), ("remind_at", UtcDateTime()), ("reminded_at", UtcDateTime()),
    ("created_at", UtcDateTime()), ("updated_at", UtcDateTime()),
    ("personal_erased_at", UtcDateTime()),
)
# The largest count the guard compares with: "no limit" (a number now has no slot).
NO_LIMIT = 2**31 - 1
# Reminders a pass of the job sends at most (the rest go at the next pass).
REMINDER_BATCH = 200


def _statuses(statuses: Sequence[BookingStatus]) -> list[ColumnElement[Any]]:
    """The statuses as SQL literals: written into the statement, not bound per row."""
    return [literal_column(f"'{status.value}'") for status in statuses]


@dataclass(frozen=True, slots=True)
class PersonCounts:
    """A person's bookings: of a day, of a field that day, and still open (any day)."""

    day: int
    field: int
    open: int


class BookingStore:
    """Reads bookings on ``engines`` and makes the writer's plans for them."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines
        dialect = engines.writer.dialect
        postgres = dialect.name == "postgresql"

        def value(name: str, kind: TypeEngine[Any]) -> ColumnElement[Any]:
            # PostgreSQL types a bare parameter in a SELECT list as text, which a date or
            # timestamp column refuses; SQLite must not cast (CAST AS DATE makes a number).
            parameter = bindparam(name, type_=kind)
            if not postgres:
                return parameter
            sql_type: TypeEngine[Any] = DateTime() if isinstance(kind, UtcDateTime) else kind
            return cast(parameter, sql_type)

        def counted(*conditions: ColumnElement[bool]) -> Any:
            return select(func.count()).select_from(BookingRow).where(
                and_(*conditions)).scalar_subquery()

        guard = and_(
            counted(BookingRow.site == bindparam("site"),
                    BookingRow.service == bindparam("service"),
                    BookingRow.kind == bindparam("kind"),
                    BookingRow.slot_start == bindparam("slot_start"),
                    BookingRow.status.in_(_statuses(HOLDING)))
            < cast(bindparam("capacity", type_=Integer()), Integer()),
            counted(BookingRow.identity_hash == bindparam("identity_hash"),
                    BookingRow.day == bindparam("day"),
                    BookingRow.status.in_(_statuses(COUNTED)))
            < cast(bindparam("per_day", type_=Integer()), Integer()),
            counted(BookingRow.identity_hash == bindparam("identity_hash"),
                    BookingRow.day == bindparam("day"),
                    BookingRow.field == bindparam("field"),
                    BookingRow.status.in_(_statuses(COUNTED)))
            < cast(bindparam("per_field", type_=Integer()), Integer()),
            counted(BookingRow.identity_hash == bindparam("identity_hash"),
                    BookingRow.status == literal_column(f"'{BookingStatus.BOOKED.value}'"))
            < cast(bindparam("open_limit", type_=Integer()), Integer()),
        )
        names = [name for name, _ in _COLUMNS]
        self._insert = DriverStatement(
            insert(BookingRow).from_select(
                names, select(*(value(name, kind).label(name) for name, kind in _COLUMNS))
                .where(guard)),
            dialect)
        booked = BookingRow.status == literal_column(f"'{BookingStatus.BOOKED.value}'")
        self._check_in = DriverStatement(
            update(BookingRow)
            .where(and_(BookingRow.code_hash == bindparam("hashed"), booked))
            .values(status=literal_column(f"'{BookingStatus.CHECKED_IN.value}'"),
                    ticket_id=bindparam("ticket_id"), check_in_key=bindparam("key"),
                    phone=null(), remind_at=null(), updated_at=bindparam("now")),
            dialect)
        self._close = DriverStatement(
            update(BookingRow)
            .where(and_(BookingRow.code_hash == bindparam("hashed"),
                        BookingRow.status == bindparam("old_status")))
            .values(status=bindparam("new_status"), phone=null(), remind_at=null(),
                    updated_at=bindparam("now")),
            dialect)
        self._expire = DriverStatement(
            update(BookingRow)
            .where(and_(booked, BookingRow.check_in_until <= bindparam("now")))
            .values(status=literal_column(f"'{BookingStatus.EXPIRED.value}'"), phone=null(),
                    remind_at=null(), updated_at=bindparam("now")),
            dialect)
        self._claim_reminder = DriverStatement(
            update(BookingRow)
            .where(and_(BookingRow.id == bindparam("row_id"), booked,
                        BookingRow.reminded_at.is_(None)))
            .values(reminded_at=bindparam("now")),
            dialect)
        self._erase = DriverStatement(
            update(BookingRow)
            .where(and_(BookingRow.site == bindparam("site"),
                        BookingRow.day < bindparam("before"),
                        BookingRow.personal_erased_at.is_(None)))
            .values(identity_hash=null(), phone=null(), personal_erased_at=bindparam("now")),
            dialect)

    # --- plans for the writer -------------------------------------------------------------

    def insert_plan(self, booking: Booking, capacity: int, per_day: int, per_field: int,
                    open_limit: int) -> WritePlan:
        """Adding ``booking`` if its slot holds fewer than ``capacity`` places and its
        person fewer than ``per_day`` bookings that day, ``per_field`` of its field and
        ``open_limit`` open ones; its row count is 1 when added, 0 when a limit stood."""
        row: dict[str, Any] = {name: _value(getattr(booking, name)) for name, _ in _COLUMNS}
        row.update(capacity=capacity, per_day=per_day, per_field=per_field,
                   open_limit=open_limit)
        return (self._insert.bind([row]),)

    def check_in_plan(self, hashed: str, ticket_id: str, key: str, now: datetime) -> WritePlan:
        """The booked booking ``hashed`` became ``ticket_id`` (row count 0: it was not
        booked any more)."""
        return (self._check_in.bind([{"hashed": hashed, "ticket_id": ticket_id, "key": key,
                                      "now": now}]),)

    def close_plan(self, hashed: str, old: BookingStatus, new: BookingStatus,
                   now: datetime) -> WritePlan:
        """The booking ``hashed``, while ``old``, becomes ``new`` (cancelled); its phone is
        erased (row count 0: it was not ``old`` any more)."""
        return (self._close.bind([{"hashed": hashed, "old_status": old.value,
                                   "new_status": new.value, "now": now}]),)

    def expire_plan(self, now: datetime) -> WritePlan:
        """Every booking still booked when its check-in window has ended expires; its row
        count is how many."""
        return (self._expire.bind([{"now": now}]),)

    def claim_reminder_plan(self, row_id: int, now: datetime) -> WritePlan:
        """Mark booking ``row_id``'s reminder sent, once (row count 0: already, or the
        booking is no longer booked)."""
        return (self._claim_reminder.bind([{"row_id": row_id, "now": now}]),)

    def erase_plan(self, site: str, before: date, now: datetime) -> WritePlan:
        """Erase the person's hash and phone of every booking of ``site`` for a day before
        ``before``; its row count is how many."""
        return (self._erase.bind([{"site": site, "before": before, "now": now}]),)

    # --- reads ----------------------------------------------------------------------------

    def by_code_hash(self, hashed: str) -> Booking | None:
        rows = self._rows(select(BookingRow).where(BookingRow.code_hash == hashed))
        return rows[0] if rows else None

    def taken(self, site: str, service: str, start: datetime, end: datetime) -> dict[datetime,
                                                                                       int]:
        """The places held in each slot of ``service`` starting from ``start`` until before
        ``end`` (slot start, in UTC -> count)."""
        query = (select(BookingRow.slot_start, func.count())
                 .where(and_(BookingRow.site == site, BookingRow.service == service,
                             BookingRow.kind == BookingKind.SLOT.value,
                             BookingRow.slot_start >= start, BookingRow.slot_start < end,
                             BookingRow.status.in_([item.value for item in HOLDING])))
                 .group_by(BookingRow.slot_start))
        with self._reading() as connection:
            return {row[0]: int(row[1]) for row in connection.execute(query)}

    def person_counts(self, identity: str, day: date, field: str) -> PersonCounts:
        counted = [item.value for item in COUNTED]
        with self._reading() as connection:
            per_day = connection.execute(
                select(func.count()).select_from(BookingRow)
                .where(and_(BookingRow.identity_hash == identity, BookingRow.day == day,
                            BookingRow.status.in_(counted)))).scalar()
            per_field = connection.execute(
                select(func.count()).select_from(BookingRow)
                .where(and_(BookingRow.identity_hash == identity, BookingRow.day == day,
                            BookingRow.field == field,
                            BookingRow.status.in_(counted)))).scalar()
            still_open = connection.execute(
                select(func.count()).select_from(BookingRow)
                .where(and_(BookingRow.identity_hash == identity,
                            BookingRow.status == BookingStatus.BOOKED.value))).scalar()
        return PersonCounts(int(per_day or 0), int(per_field or 0), int(still_open or 0))

    def of_person(self, site: str, identity: str, day: date) -> list[Booking]:
        """The bookings of ``identity`` at ``site`` for ``day`` still booked, by slot."""
        return self._rows(select(BookingRow)
                          .where(and_(BookingRow.site == site,
                                      BookingRow.identity_hash == identity,
                                      BookingRow.day == day,
                                      BookingRow.status == BookingStatus.BOOKED.value))
                          .order_by(BookingRow.slot_start, BookingRow.id))

    def sites_with_personal_data(self) -> list[str]:
        """The sites some of whose bookings still hold personal data."""
        with self._reading() as connection:
            return [str(row[0]) for row in connection.execute(
                select(BookingRow.site).where(BookingRow.personal_erased_at.is_(None))
                .distinct())]

    def reminders_due(self, now: datetime) -> list[Booking]:
        """Booked bookings whose reminder is due and not sent, with a phone to send it to."""
        return self._rows(select(BookingRow)
                          .where(and_(BookingRow.status == BookingStatus.BOOKED.value,
                                      BookingRow.remind_at <= now,
                                      BookingRow.reminded_at.is_(None),
                                      BookingRow.phone.is_not(None)))
                          .order_by(BookingRow.remind_at).limit(REMINDER_BATCH))

    def _reading(self) -> Any:
        return _Reading(self.engines)

    def _rows(self, query: Any) -> list[Booking]:
        with self._reading() as connection:
            return [booking_of(row) for row in connection.execute(query).all()]


class _Reading:
    """A reader connection whose database errors come out as StoreError."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines
        self.connection: Any = None

    def __enter__(self) -> Any:
        try:
            self.connection = self.engines.reader.connect()
        except SQLAlchemyError as error:
            raise StoreError(f"cannot read the bookings: {describe_error(error)}") from error
        return self.connection

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        self.connection.close()
        if isinstance(error, SQLAlchemyError):
            raise StoreError(f"cannot read the bookings: {describe_error(error)}") from error


def _value(value: Any) -> Any:
    """An enum as its text; anything else as it is."""
    return value.value if isinstance(value, BookingStatus | BookingKind | IdentityKind) \
        else value


def booking_of(row: Any) -> Booking:
    return Booking(
        id=row.id, code_hash=row.code_hash, code_sealed=row.code_sealed, site=row.site,
        service=row.service, field=row.field, kind=BookingKind(row.kind), day=row.day,
        slot_start=row.slot_start, slot_end=row.slot_end, check_in_from=row.check_in_from,
        check_in_until=row.check_in_until, status=BookingStatus(row.status),
        ticket_id=row.ticket_id, check_in_key=row.check_in_key,
        identity_kind=IdentityKind(row.identity_kind), identity_hash=row.identity_hash,
        phone=row.phone, language=row.language, remind_at=row.remind_at,
        reminded_at=row.reminded_at, created_at=row.created_at, updated_at=row.updated_at,
        personal_erased_at=row.personal_erased_at)
