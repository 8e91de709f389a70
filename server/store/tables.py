"""SQLAlchemy 2 table models. The schema itself is owned by the Alembic migrations in
``server/store/migrations``; a test checks that the two agree.

Models hold data only: they never commit, print or read who is logged in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as naive UTC, read back as aware UTC on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class SiteRow(Base):
    """Per-site bookkeeping that must survive restarts: the day, the event ``seq``, and who
    owns the site (several server processes on PostgreSQL: server.app.ownership).

    ``owner_epoch`` is the fencing epoch: it rises by one each time a process takes the site
    over, and every commit's write of this row says ``WHERE owner_epoch = <its own>``, so a
    process that lost the site can never commit for it again. ``owner`` is the public URL
    of the process that took it last (live only while it holds the site's lock) and
    ``owned_since`` when."""

    __tablename__ = "sites"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    business_date: Mapped[date] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(Integer)
    next_queue_key: Mapped[int] = mapped_column(Integer)
    owner_epoch: Mapped[int] = mapped_column(Integer, server_default="0")
    owner: Mapped[str | None] = mapped_column(String(300))
    owned_since: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ServerProcessRow(Base):
    """A ``qms server`` process that has run on this database (several on PostgreSQL), by
    its public URL: its host and process id, the sites it prefers (``[server] sites``, a
    JSON list) and when it started. It is live while it holds its member lock (a session
    advisory lock); rows of processes gone stay until one with the same URL starts."""

    __tablename__ = "server_processes"

    url: Mapped[str] = mapped_column(String(300), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    sites: Mapped[str] = mapped_column(Text)
    version: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)


class NumberCounterRow(Base):
    """The last number handed out per (site, number group, day): numbering survives restarts."""

    __tablename__ = "number_counters"

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    number_group: Mapped[str] = mapped_column(String(32), primary_key=True)
    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer)


class TicketRow(Base):
    """A ticket; (site, day, number) is unique so a number can never be stored twice."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("site", "business_date", "number", name="uq_tickets_number"),
        UniqueConstraint("site", "business_date", "request_key", name="uq_tickets_request_key"),
        Index("ix_tickets_site_day_status", "site", "business_date", "status"),
        Index("ix_tickets_site_finished", "site", "service", "finished_at"),
    )

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    site: Mapped[str] = mapped_column(String(32))
    business_date: Mapped[date] = mapped_column(Date)
    number: Mapped[str] = mapped_column(String(16))
    sequence: Mapped[int] = mapped_column(Integer)
    number_group: Mapped[str] = mapped_column(String(32))
    service: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    queue_key: Mapped[int] = mapped_column(Integer)
    request_key: Mapped[str | None] = mapped_column(String(80))
    counter: Mapped[str | None] = mapped_column(String(32))
    target_counter: Mapped[str | None] = mapped_column(String(32))
    officer: Mapped[str | None] = mapped_column(String(32))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    first_called_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    serving_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    appointment_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    call_count: Mapped[int] = mapped_column(Integer)
    requeue_count: Mapped[int] = mapped_column(Integer)
    transfer_count: Mapped[int] = mapped_column(Integer)
    case_code: Mapped[str | None] = mapped_column(String(64))
    # Issued from a citizen's phone (/dat-lich, "a number now") rather than at a kiosk.
    remote: Mapped[bool] = mapped_column(Boolean, server_default=false())


class CounterRow(Base):
    """A counter's run-time state: who is logged in, what is in hand."""

    __tablename__ = "counters"

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    officer: Mapped[str | None] = mapped_column(String(32))
    ticket_id: Mapped[str | None] = mapped_column(String(80))
    pause_reason: Mapped[str | None] = mapped_column(String(200))
    priority_streak: Mapped[int] = mapped_column(Integer)
    normal_streak: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RatingRow(Base):
    """One satisfaction rating; the primary key makes a second rating impossible."""

    __tablename__ = "ratings"

    ticket_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    site: Mapped[str] = mapped_column(String(32))
    score: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    rated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    counter: Mapped[str | None] = mapped_column(String(32))
    officer: Mapped[str | None] = mapped_column(String(32))
    service: Mapped[str] = mapped_column(String(32))
    case_code: Mapped[str | None] = mapped_column(String(64))


class EventRow(Base):
    """Every event as it went on the wire, for ``resume`` and reports."""

    __tablename__ = "events"

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    data: Mapped[str] = mapped_column(Text)


class ConfigurationRow(Base):
    """One version of the deployment's configuration (its sites and accounts, as the TOML
    document they load from); the highest version is the one in force. Never updated:
    every change is a new row, so any earlier one can be looked at and restored."""

    __tablename__ = "configuration_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    author: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(Text)


class EnrolmentCodeRow(Base):
    """A code that enrols one device (server.app.enrolment): only its keyed hash is kept,
    with the device it is for (its site, name and the fingerprint of its token), who made
    it and when, until when it is good, and whether it was used (when, from where) or
    replaced by a newer code for the same device."""

    __tablename__ = "enrolment_codes"
    __table_args__ = (Index("ix_enrolment_codes_site_token", "site", "token_hash"),)

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    site: Mapped[str] = mapped_column(String(32))
    device: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    used_from: Mapped[str | None] = mapped_column(String(64))
    replaced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class FeedbackRow(Base):
    """A citizen's feedback on a site (server.feedback): what it is about, the text, an
    optional contact (erased after ``feedback_contact_days``: then ``contact_erased_at``)
    and ticket, and the centre's handling of it. The citizen's reference code is kept only
    as its keyed hash; ``revision`` rises with each manager's change (two managers saving
    at once cannot overwrite each other unseen)."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_site_state_created", "site", "state", "created_at"),
                      Index("ix_feedback_created_at", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    site: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    category: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(120))
    contact_erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ticket: Mapped[str | None] = mapped_column(String(16))
    ticket_id: Mapped[str | None] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(2))
    state: Mapped[str] = mapped_column(String(16))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer)


class BookingRow(Base):
    """A citizen's booking (server.booking): a slot of a service on a day, or a number taken
    from the phone (``kind`` ``now``), its state, and the ticket it became once checked in.

    Its code is kept as its keyed hash (``code_hash``, to find it) and sealed with the
    secret (``code_sealed``, to tell a kiosk the codes of a CCCD's bookings). Of the person,
    only what the limits need: a keyed hash of their phone or CCCD number
    (``identity_hash``, erased ``personal_data_days`` after the day of the visit: then
    ``personal_erased_at``), and the phone number itself only while the booking is open
    (for its reminder). ``field`` is the service's field when booked (the per-field limit).
    ``check_in_from`` and ``check_in_until`` are the window the citizen was told; a booking
    still ``booked`` after ``check_in_until`` expires and frees its place. ``remind_at`` is
    when its reminder is due (none without a phone), ``reminded_at`` when it went."""

    __tablename__ = "bookings"
    __table_args__ = (
        Index("ix_bookings_slot", "site", "service", "slot_start", "status"),
        Index("ix_bookings_identity_day", "identity_hash", "day"),
        Index("ix_bookings_status_until", "status", "check_in_until"),
        Index("ix_bookings_day", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_sealed: Mapped[str] = mapped_column(String(8))
    site: Mapped[str] = mapped_column(String(32))
    service: Mapped[str] = mapped_column(String(32))
    field: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    day: Mapped[date] = mapped_column(Date)
    slot_start: Mapped[datetime] = mapped_column(UtcDateTime)
    slot_end: Mapped[datetime] = mapped_column(UtcDateTime)
    check_in_from: Mapped[datetime] = mapped_column(UtcDateTime)
    check_in_until: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))
    ticket_id: Mapped[str | None] = mapped_column(String(80))
    check_in_key: Mapped[str | None] = mapped_column(String(80))
    identity_kind: Mapped[str] = mapped_column(String(8))
    identity_hash: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    remind_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    personal_erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuditRow(Base):
    """One line of the audit log (server.audit): who (the kind of actor, the user or device
    label, the device token's label and channel, the address, the counter), what (a stable
    action code, its target, the values before and after as JSON with no secret in them),
    when, at which site (none for what belongs to no one site), and whether it was done or
    refused (with the error code). Rows are only ever added; the daily purge deletes those
    older than ``[server] audit_retention_days``."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_site_at", "site", "at"),
                      Index("ix_audit_log_at", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    site: Mapped[str | None] = mapped_column(String(32))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(64))
    counter: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str | None] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(32))
