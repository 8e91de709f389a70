"""Feedback in the database (table ``feedback``).

Writes are plans for the server's writer process, like every write of the running server:
adding a feedback, a manager's change (only when the row is still at the revision the
manager saw: its row count says whether it was), and erasing contacts older than a cutoff.
Reads block: call them off the event loop (the service's reader threads).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, null, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from server.feedback.model import Category, Feedback, State
from server.store.bulk import DriverStatement
from server.store.database import Engines, StoreError
from server.store.errors import describe_error
from server.store.plan import WritePlan
from server.store.tables import FeedbackRow, TicketRow

# Every column but ``id`` (the database numbers the rows).
_INSERTED = ("code_hash", "site", "created_at", "category", "text", "contact",
             "contact_erased_at", "ticket", "ticket_id", "language", "state", "answer",
             "answered_at", "answered_by", "updated_at", "updated_by", "revision")


@dataclass(frozen=True, slots=True)
class FeedbackPage:
    """One page of an inbox: its rows (newest first) and how many match in all."""

    rows: list[Feedback]
    total: int


class FeedbackStore:
    """Reads feedback on ``engines`` and makes the writer's plans for it."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines
        dialect = engines.writer.dialect
        self._insert = DriverStatement(
            insert(FeedbackRow).values({name: bindparam(name) for name in _INSERTED}), dialect)
        self._change = DriverStatement(
            update(FeedbackRow)
            .where(and_(FeedbackRow.id == bindparam("row_id"),
                        FeedbackRow.site == bindparam("row_site"),
                        FeedbackRow.revision == bindparam("seen_revision")))
            .values(state=bindparam("state"), answer=bindparam("answer"),
                    answered_at=bindparam("answered_at"),
                    answered_by=bindparam("answered_by"), updated_at=bindparam("now"),
                    updated_by=bindparam("user"), revision=bindparam("new_revision")),
            dialect)
        self._erase = DriverStatement(
            update(FeedbackRow)
            .where(and_(FeedbackRow.contact.is_not(None),
                        FeedbackRow.created_at < bindparam("before")))
            .values(contact=null(), contact_erased_at=bindparam("now")), dialect)

    # --- plans for the writer -------------------------------------------------------------

    def insert_plan(self, feedback: Feedback) -> WritePlan:
        """Adding ``feedback`` (its ``id`` is the database's)."""
        row = {"code_hash": feedback.code_hash, "site": feedback.site,
               "created_at": feedback.created_at, "category": feedback.category.value,
               "text": feedback.text, "contact": feedback.contact,
               "contact_erased_at": feedback.contact_erased_at, "ticket": feedback.ticket,
               "ticket_id": feedback.ticket_id, "language": feedback.language,
               "state": feedback.state.value, "answer": feedback.answer,
               "answered_at": feedback.answered_at, "answered_by": feedback.answered_by,
               "updated_at": feedback.updated_at, "updated_by": feedback.updated_by,
               "revision": feedback.revision}
        return (self._insert.bind([row]),)

    def change_plan(self, before: Feedback, after: Feedback) -> WritePlan:
        """A manager's change of ``before`` into ``after``: its row count is 1 when nobody
        changed the row meanwhile, else 0 (and nothing changed)."""
        return (self._change.bind([{
            "row_id": before.id, "row_site": before.site, "seen_revision": before.revision,
            "state": after.state.value, "answer": after.answer,
            "answered_at": after.answered_at, "answered_by": after.answered_by,
            "now": after.updated_at, "user": after.updated_by,
            "new_revision": after.revision}]),)

    def erase_plan(self, before: datetime, now: datetime) -> WritePlan:
        """Erasing the contact of every feedback sent before ``before``; its row count is
        how many were erased."""
        return (self._erase.bind([{"before": before, "now": now}]),)

    # --- reads ----------------------------------------------------------------------------

    def by_code_hash(self, code_hash: str) -> Feedback | None:
        rows = self._read(select(FeedbackRow).where(FeedbackRow.code_hash == code_hash))
        return rows[0] if rows else None

    def by_id(self, feedback_id: int) -> Feedback | None:
        rows = self._read(select(FeedbackRow).where(FeedbackRow.id == feedback_id))
        return rows[0] if rows else None

    def page(self, sites: Sequence[str], state: State | None, offset: int,
             limit: int) -> FeedbackPage:
        """The feedback of ``sites`` (in ``state`` when given), newest first."""
        condition: ColumnElement[bool] = FeedbackRow.site.in_(list(sites))
        if state is not None:
            condition = and_(condition, FeedbackRow.state == state.value)
        query = (select(FeedbackRow).where(condition)
                 .order_by(FeedbackRow.created_at.desc(), FeedbackRow.id.desc())
                 .offset(offset).limit(limit))
        try:
            with self.engines.reader.connect() as connection:
                total = connection.execute(
                    select(func.count()).select_from(FeedbackRow).where(condition)).scalar()
                rows = connection.execute(query).all()
        except SQLAlchemyError as error:
            raise StoreError(f"cannot read the feedback: {describe_error(error)}") from error
        return FeedbackPage([_feedback(row) for row in rows], int(total or 0))

    def count_new(self, site: str) -> int:
        try:
            with self.engines.reader.connect() as connection:
                found = connection.execute(
                    select(func.count()).select_from(FeedbackRow)
                    .where(and_(FeedbackRow.site == site,
                                FeedbackRow.state == State.NEW.value))).scalar()
        except SQLAlchemyError as error:
            raise StoreError(f"cannot read the feedback: {describe_error(error)}") from error
        return int(found or 0)

    def between(self, sites: Sequence[str], start: datetime, end: datetime,
                limit: int) -> list[Feedback]:
        """The feedback of ``sites`` sent from ``start`` until before ``end``, oldest
        first, at most ``limit``."""
        return self._read(select(FeedbackRow)
                          .where(and_(FeedbackRow.site.in_(list(sites)),
                                      FeedbackRow.created_at >= start,
                                      FeedbackRow.created_at < end))
                          .order_by(FeedbackRow.created_at, FeedbackRow.id).limit(limit))

    def ticket_issued(self, site: str, number: str, since: date) -> str | None:
        """The id of the latest ticket numbered ``number`` (any case) that ``site`` issued
        on ``since`` or later, or ``None``."""
        query = (select(TicketRow.id)
                 .where(and_(TicketRow.site == site, TicketRow.business_date >= since,
                             func.upper(TicketRow.number) == number.upper()))
                 .order_by(TicketRow.business_date.desc()).limit(1))
        try:
            with self.engines.reader.connect() as connection:
                found = connection.execute(query).scalar()
        except SQLAlchemyError as error:
            raise StoreError(f"cannot read the tickets: {describe_error(error)}") from error
        return str(found) if found is not None else None

    def _read(self, query: Any) -> list[Feedback]:
        try:
            with self.engines.reader.connect() as connection:
                rows = connection.execute(query).all()
        except SQLAlchemyError as error:
            raise StoreError(f"cannot read the feedback: {describe_error(error)}") from error
        return [_feedback(row) for row in rows]


def _feedback(row: Any) -> Feedback:
    return Feedback(
        id=row.id, code_hash=row.code_hash, site=row.site, created_at=row.created_at,
        category=_category(row.category), text=row.text, contact=row.contact,
        contact_erased_at=row.contact_erased_at, ticket=row.ticket, ticket_id=row.ticket_id,
        language=row.language, state=_state(row.state), answer=row.answer,
        answered_at=row.answered_at, answered_by=row.answered_by, updated_at=row.updated_at,
        updated_by=row.updated_by, revision=row.revision)


def _category(value: str) -> Category:
    try:
        return Category(value)
    except ValueError:  # written by a newer release: shown as "other", kept as it was
        return Category.OTHER


def _state(value: str) -> State:
    try:
        return State(value)
    except ValueError:
        return State.NEW
