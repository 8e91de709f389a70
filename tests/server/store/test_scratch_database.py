"""The throwaway PostgreSQL database of the tests and benchmarks
(server.store.scratch_database): there, empty and writable inside the block; gone after it,
also when the block failed. Skipped without PostgreSQL (``QMS_TEST_POSTGRES_URL``)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from support.databases import require_postgres

from server.store.scratch_database import scratch_postgres_database


def exists(name: str) -> bool:
    admin = create_engine(make_url(require_postgres()).set(drivername="postgresql+psycopg"))
    try:
        with admin.connect() as connection:
            return connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                      {"name": name}).first() is not None
    finally:
        admin.dispose()


def test_made_empty_and_dropped_afterwards() -> None:
    with scratch_postgres_database(require_postgres(), "qms_scratch_") as url:
        name = make_url(url).database
        assert name is not None and name.startswith("qms_scratch_") and exists(name)
        engine = create_engine(url)
        try:
            with engine.begin() as connection:
                assert connection.execute(text(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar() == 0
                connection.execute(text("CREATE TABLE kept (id integer)"))
        finally:
            engine.dispose()
    assert not exists(name)


def test_dropped_when_the_block_fails() -> None:
    made: list[str] = []
    with pytest.raises(RuntimeError), \
            scratch_postgres_database(require_postgres(), "qms_scratch_") as url:
        made.append(str(make_url(url).database))
        assert exists(made[0])
        raise RuntimeError("the body failed")
    assert made and not exists(made[0])
