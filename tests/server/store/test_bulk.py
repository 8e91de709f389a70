"""Statements bound for the driver store exactly what SQLAlchemy would."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.dialects.postgresql import psycopg
from support.databases import EVENT_AT as AT
from support.databases import event_row as event
from support.databases import run_here as run

from server.store.bulk import DriverStatement
from server.store.database import Engines
from server.store.tables import EventRow


def test_bound_rows_are_stored_as_sqlalchemy_stores_them(engines: Engines) -> None:
    statement = DriverStatement(insert(EventRow), engines.writer.dialect)
    assert run(engines, (statement.bind([event(1)]),)) == [1]
    with engines.writer.begin() as connection:
        connection.execute(insert(EventRow), [event(2)])
    with engines.reader.connect() as connection:
        stored = connection.execute(text("SELECT seq, at FROM events ORDER BY seq")).all()
        read = connection.execute(select(EventRow.at).where(EventRow.seq == 1)).scalar_one()
    assert stored[0][1] == stored[1][1]  # the same text (SQLite) or timestamp (PostgreSQL)
    assert read == AT.astimezone(UTC) and read.tzinfo is UTC


def test_named_paramstyles_get_one_mapping_per_row() -> None:
    statement = DriverStatement(insert(EventRow), psycopg.dialect())  # type: ignore[no-untyped-call]
    bound = statement.bind([event(1)])
    assert "%(seq)s" in bound.sql
    assert bound.rows == [{"site": "hcc", "seq": 1, "name": "ticket.issued",
                           "at": datetime(2026, 12, 1, 1, 30, 15, 250_000), "data": "{}"}]


def test_a_row_that_cannot_be_stored_is_refused_before_any_write(engines: Engines) -> None:
    statement = DriverStatement(insert(EventRow), engines.writer.dialect)
    incomplete = event(1)
    del incomplete["name"]
    with pytest.raises(KeyError, match="name"):
        statement.bind([incomplete])
    with pytest.raises(ValueError, match="naive datetime"):
        statement.bind([event(1, AT.replace(tzinfo=None))])
