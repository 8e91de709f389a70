"""Real databases for tests: a SQLite file in a temporary directory, or a fresh PostgreSQL
database when ``QMS_TEST_POSTGRES_URL`` names a server (CI starts one)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from server.store.database import Engines
from server.store.plan import WritePlan, run_plan

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
    admin_url = make_url(require_postgres()).set(drivername="postgresql+psycopg")
    name = f"qms_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        for attempt in range(20):
            # Refused now and then while a backend the server runs for itself (autovacuum,
            # say) is on it, which this role may not end: it soon goes.
            try:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                break
            except ProgrammingError:
                if attempt == 19:
                    raise
                time.sleep(0.5)
        admin.dispose()


EVENT_AT = datetime(2026, 12, 1, 8, 30, 15, 250_000, tzinfo=timezone(timedelta(hours=7)))


def event_row(seq: int, at: datetime = EVENT_AT) -> dict[str, object]:
    """An ``events`` row of site ``hcc``, as the store's statements take it."""
    return {"site": "hcc", "seq": seq, "name": "ticket.issued", "at": at, "data": "{}"}


def run_here(engines: Engines, plan: WritePlan) -> list[int]:
    """Run ``plan`` on a connection of ``engines.writer`` in this process."""
    with engines.writer.connect() as connection:
        return run_plan(connection.connection.driver_connection, plan, engines.is_sqlite)
