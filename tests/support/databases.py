"""Real databases for tests: a SQLite file in a temporary directory, or a fresh PostgreSQL
database when ``QMS_TEST_POSTGRES_URL`` names a server (CI starts one)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest

from server.store.database import Engines
from server.store.plan import WritePlan, run_plan
from server.store.scratch_database import scratch_postgres_database

POSTGRES_VARIABLE = "QMS_TEST_POSTGRES_URL"


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_VARIABLE) or None


def require_postgres() -> str:
    url = postgres_admin_url()
    if url is None:
        pytest.skip(f"{POSTGRES_VARIABLE} is not set (CI sets it)")
    return url


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database on the test server; dropped afterwards."""
    with scratch_postgres_database(require_postgres(), "qms_test_") as url:
        yield url


EVENT_AT = datetime(2026, 12, 1, 8, 30, 15, 250_000, tzinfo=timezone(timedelta(hours=7)))


def event_row(seq: int, at: datetime = EVENT_AT) -> dict[str, object]:
    """An ``events`` row of site ``hcc``, as the store's statements take it."""
    return {"site": "hcc", "seq": seq, "name": "ticket.issued", "at": at, "data": "{}"}


def run_here(engines: Engines, plan: WritePlan) -> list[int]:
    """Run ``plan`` on a connection of ``engines.writer`` in this process."""
    with engines.writer.connect() as connection:
        return run_plan(connection.connection.driver_connection, plan, engines.is_sqlite)
