"""The store's tests run on a SQLite file and, when CI provides one, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from support.databases import fresh_postgres_database

from server.store.database import Engines, migrate, open_engines


@pytest.fixture(params=["sqlite", "postgresql"])
def engines(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engines]:
    """The same tests on a SQLite file and on a fresh PostgreSQL database."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'data' / 'qms.sqlite3'}"
        else:
            url = stack.enter_context(fresh_postgres_database())
        engines = open_engines(url)
        stack.callback(engines.dispose)
        migrate(engines)
        yield engines
