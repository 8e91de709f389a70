"""Enrolment codes in the database (table ``enrolment_codes``).

A code is never stored, only its keyed hash (server.app.enrolment): a copy of the database
does not enrol anyone. Writes go through the server's writer process as plans: making a code
replaces the device's earlier unused ones in the same transaction, and using one is a single
``UPDATE`` that only an unused, unreplaced, unexpired code passes, so two devices racing with
the same code cannot both have it. Reads block: call them off the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from server.store.bulk import DriverStatement
from server.store.database import Engines, StoreError
from server.store.errors import describe_error
from server.store.plan import WritePlan
from server.store.tables import EnrolmentCodeRow


@dataclass(frozen=True, slots=True)
class EnrolmentCode:
    """One code's row: the device it is for and what became of it."""

    code_hash: str
    site: str
    device: str
    role: str
    token_hash: str
    created_at: datetime
    created_by: str
    expires_at: datetime
    used_at: datetime | None = None
    used_from: str | None = None
    replaced_at: datetime | None = None


class EnrolmentStore:
    """Reads enrolment codes on ``engines`` and makes the writer's plans for them."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines
        dialect = engines.writer.dialect
        self._insert = DriverStatement(insert(EnrolmentCodeRow), dialect)
        self._replace = DriverStatement(
            update(EnrolmentCodeRow)
            .where(and_(EnrolmentCodeRow.site == bindparam("old_site"),
                        EnrolmentCodeRow.token_hash == bindparam("old_token_hash"),
                        EnrolmentCodeRow.used_at.is_(None),
                        EnrolmentCodeRow.replaced_at.is_(None)))
            .values(replaced_at=bindparam("now")), dialect)
        self._use = DriverStatement(
            update(EnrolmentCodeRow)
            .where(and_(EnrolmentCodeRow.code_hash == bindparam("hash"),
                        EnrolmentCodeRow.used_at.is_(None),
                        EnrolmentCodeRow.replaced_at.is_(None),
                        EnrolmentCodeRow.expires_at > bindparam("now")))
            .values(used_at=bindparam("used"), used_from=bindparam("address")), dialect)

    def create_plan(self, code: EnrolmentCode) -> WritePlan:
        """Adding ``code``, the device's earlier unused codes replaced first."""
        return (self._replace.bind([{"old_site": code.site, "old_token_hash": code.token_hash,
                                     "now": code.created_at}]),
                self._insert.bind([_row(code)]))

    def use_plan(self, code_hash: str, now: datetime, address: str) -> WritePlan:
        """Using the code: its row count is 1 when it was still good, else 0."""
        return (self._use.bind([{"hash": code_hash, "now": now, "used": now,
                                 "address": address[:64]}]),)

    def find(self, code_hash: str) -> EnrolmentCode | None:
        rows = self._read(select(EnrolmentCodeRow)
                          .where(EnrolmentCodeRow.code_hash == code_hash))
        return rows[0] if rows else None

    def of_site(self, site: str, limit: int = 2000) -> list[EnrolmentCode]:
        """The site's codes, newest first (the devices page: who enrolled when)."""
        return self._read(select(EnrolmentCodeRow).where(EnrolmentCodeRow.site == site)
                          .order_by(EnrolmentCodeRow.created_at.desc()).limit(limit))

    def _read(self, query: Any) -> list[EnrolmentCode]:
        try:
            with self.engines.reader.connect() as connection:
                rows = connection.execute(query).all()
        except SQLAlchemyError as error:
            raise StoreError(f"cannot read the enrolment codes: {describe_error(error)}") \
                from error
        return [EnrolmentCode(row.code_hash, row.site, row.device, row.role, row.token_hash,
                              row.created_at, row.created_by, row.expires_at, row.used_at,
                              row.used_from, row.replaced_at) for row in rows]


def _row(code: EnrolmentCode) -> dict[str, Any]:
    return {"code_hash": code.code_hash, "site": code.site, "device": code.device[:200],
            "role": code.role, "token_hash": code.token_hash, "created_at": code.created_at,
            "created_by": code.created_by[:64], "expires_at": code.expires_at,
            "used_at": code.used_at, "used_from": code.used_from,
            "replaced_at": code.replaced_at}
