"""Upgrades: a database written by the previous release migrates to this release's schema
when the server starts, with every row kept; a database from a newer release is refused.

The previous release's database is ``fixtures/release-0.1.0.sql``, written by a real server
of that release (fixtures/README.md says how, and when to add the next one). The checks hold
whatever migrations come after it: every table and row it holds must still be there, each
column with its value, and the schema must be this release's newest. A migration that moves
data elsewhere on purpose says so here, next to the check it changes.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, Table, create_engine, select
from support.clock import ManualClock
from support.databases import fresh_postgres_database
from support.servers import DISPLAY_TOKEN, SITE

from server.app.serve import start_server
from server.config import Settings
from server.protocol.client import ProtocolClient
from server.store.database import migrate, open_engines, schema_status

FIXTURES = Path(__file__).parent / "fixtures"
PREVIOUS_RELEASE = FIXTURES / "release-0.1.0.sql"
PREVIOUS_REVISION = "0001"
MIGRATIONS = Path(__file__).resolve().parents[3] / "server" / "store" / "migrations"
DEMO_CONFIG = Path(__file__).resolve().parents[3] / "server" / "config" / "demo.toml"

FIXTURE_MORNING = datetime(2026, 12, 1, 8, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))

Rows = dict[str, list[dict[str, Any]]]


def load_previous_release(database: Path) -> Rows:
    """Write the fixture into a new SQLite file; every table's rows as it holds them."""
    connection = sqlite3.connect(database)
    try:
        connection.executescript(PREVIOUS_RELEASE.read_text("utf-8"))
        connection.row_factory = sqlite3.Row
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'alembic_version'")]
        return {table: [dict(row) for row in connection.execute(f'SELECT * FROM "{table}"')]
                for table in tables}
    finally:
        connection.close()


def as_stored(value: Any) -> Any:
    """A value read through SQLAlchemy, in the form SQLite's text holds it."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def assert_rows_kept(url: str, before: Rows) -> None:
    """Every row of ``before`` is in the database at ``url``, each old column unchanged."""
    engine = create_engine(url)
    try:
        metadata = MetaData()
        with engine.connect() as connection:
            for table_name, rows in before.items():
                table = Table(table_name, metadata, autoload_with=connection)
                found = [{column: as_stored(value) for column, value in row.items()}
                         for row in connection.execute(select(table)).mappings()]
                for row in rows:
                    matches = [kept for kept in found
                               if all(kept.get(column) == value for column, value in row.items())]
                    assert len(matches) == 1, f"{table_name}: {row} was lost or changed"
                assert len(found) >= len(rows), table_name
    finally:
        engine.dispose()


@pytest.fixture
def previous_release(tmp_path: Path) -> Iterator[tuple[Path, Rows]]:
    database = tmp_path / "data" / "qms.sqlite3"
    database.parent.mkdir()
    yield database, load_previous_release(database)


def test_the_fixture_is_the_previous_release(previous_release: tuple[Path, Rows]) -> None:
    database, rows = previous_release
    engines = open_engines(f"sqlite:///{database}")
    try:
        status = schema_status(engines)
    finally:
        engines.dispose()
    assert status.current == (PREVIOUS_REVISION,) and not status.unknown
    assert len(rows["tickets"]) == 7 and len(rows["ratings"]) == 1 and rows["events"]


async def test_the_previous_releases_database_migrates_on_start_with_nothing_lost(
    previous_release: tuple[Path, Rows], settings: Settings
) -> None:
    database, before = previous_release
    url = f"sqlite:///{database}"
    # The fixture's own morning, so the start does not begin a new day (which closes the
    # counters) and every row must come back exactly as it was.
    clock = ManualClock(FIXTURE_MORNING)
    server = await start_server(settings, host="127.0.0.1", port=0, database_url=url,
                                clock=clock)
    try:
        # It serves from the migrated database: the old tickets are its queue.
        async with ProtocolClient(server.ws_url, "display", DISPLAY_TOKEN, SITE) as display:
            assert display.hello_result["seq"] == max(row["seq"] for row in before["events"])
            state = display.hello_result["state"]
            assert state["site"]["business_date"] == "2026-12-01"
            waiting = {service["code"]: service["waiting"] for service in state["services"]}
            for service in waiting:
                assert waiting[service] == sum(
                    1 for row in before["tickets"]
                    if row["service"] == service and row["status"] == "waiting"), service
    finally:
        await server.stop()
    engines = open_engines(url)
    try:
        status = schema_status(engines)
    finally:
        engines.dispose()
    assert status.up_to_date and status.current == status.heads
    assert_rows_kept(url, before)


def test_the_previous_releases_rows_survive_the_migration_on_postgresql(
    previous_release: tuple[Path, Rows]
) -> None:
    """The same upgrade on PostgreSQL: the old schema made by the old migrations, the old
    rows copied in, then this release's migrations."""
    _database, before = previous_release
    with fresh_postgres_database() as url:
        engines = open_engines(url)
        try:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            with engines.writer.connect() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, PREVIOUS_REVISION)
                connection.commit()
            metadata = MetaData()
            with engines.writer.begin() as connection:
                for table_name, rows in before.items():
                    table = Table(table_name, metadata, autoload_with=connection)
                    if rows:
                        connection.execute(table.insert(), [_typed(table, row) for row in rows])
            migrate(engines)
            assert schema_status(engines).up_to_date
        finally:
            engines.dispose()
        assert_rows_kept(url, before)


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """A fixture row (SQLite's text for dates and times) as the column types take it."""
    typed: dict[str, Any] = {}
    for column, value in row.items():
        python_type = table.c[column].type.python_type
        if value is not None and python_type is datetime:
            value = datetime.fromisoformat(value)
        elif value is not None and python_type is date:
            value = date.fromisoformat(value)
        typed[column] = value
    return typed


async def _qms(*arguments: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", *arguments, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, env=dict(os.environ))
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_migrate_check_says_what_would_change_and_changes_nothing(
    previous_release: tuple[Path, Rows]
) -> None:
    database, _rows = previous_release
    url = f"sqlite:///{database}"
    engines = open_engines(url)
    try:
        pending = schema_status(engines).pending
    finally:
        engines.dispose()
    status, output = await _qms("migrate", "--check", "--db", url)
    if not pending:  # this release has no migration after the previous release's yet
        assert status == 0 and "up to date" in output
        return
    assert status == 1, output
    assert f"schema revision {PREVIOUS_REVISION}" in output
    for revision, description in pending:
        assert f"  {revision}  {description}" in output
    assert _revision(database) == PREVIOUS_REVISION  # checked, not migrated

    status, output = await _qms("migrate", "--db", url)
    assert status == 0 and "migrated to" in output
    status, output = await _qms("migrate", "--check", "--db", url)
    assert status == 0 and "up to date, nothing to change" in output


async def test_a_database_from_a_newer_release_is_refused_and_left_alone(
    previous_release: tuple[Path, Rows], tmp_path: Path
) -> None:
    database, _rows = previous_release
    connection = sqlite3.connect(database)
    connection.execute("UPDATE alembic_version SET version_num = '9001'")
    connection.commit()
    connection.close()
    content = _dump(database)
    url = f"sqlite:///{database}"

    status, output = await _qms("server", "--config", str(DEMO_CONFIG), "--host", "127.0.0.1",
                                "--port", "0", "--data-dir", str(tmp_path), "--db", url)
    assert status == 2, output
    assert "qms: database error: " in output and "schema revision 9001" in output
    assert "Downgrades are not supported" in output and "Traceback" not in output
    status, output = await _qms("migrate", "--check", "--db", url)
    assert status == 2 and "a newer release wrote it" in output
    status, output = await _qms("migrate", "--db", url)
    assert status == 2 and "a newer release wrote it" in output
    # Opened (the server's engines turn WAL on), but not one row or table changed.
    assert _revision(database) == "9001" and _dump(database) == content


def _dump(database: Path) -> str:
    connection = sqlite3.connect(database)
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


def _revision(database: Path) -> str:
    connection = sqlite3.connect(database)
    try:
        return str(connection.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        connection.close()
