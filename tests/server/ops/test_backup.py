"""``qms backup`` and ``qms restore`` as real processes, beside a real running ``qms server``:
SQLite through the online backup API, PostgreSQL through pg_dump/pg_restore."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text
from support.databases import fresh_postgres_database

from server.ops.backup import backup_to_directory, prune, restore
from server.ops.errors import BackupError
from server.protocol.client import ProtocolClient
from server.store.database import sqlalchemy_url

SITE = "hcc-tinh"
KIOSK_TOKEN = "demo-kiosk-token-0001"


async def issue(ws_url: str, *keys: str) -> list[str]:
    """Issue one DD-NOP ticket per key at a kiosk; their numbers."""
    async with ProtocolClient(ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
        return [(await kiosk.request("issue", service="DD-NOP", request_key=key))
                ["ticket"]["number"] for key in keys]


def ticket_numbers(url: str) -> list[str]:
    engine = create_engine(sqlalchemy_url(url).replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            return sorted(connection.execute(text("SELECT number FROM tickets")).scalars())
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "postgresql-hosts"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(URL, backup suffix) of a new database of each kind; ``postgresql-hosts``: the URL
    in libpq's form for a primary and its standbys (the one test server named twice)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'qms.sqlite3'}", ".sqlite3"
        return
    with fresh_postgres_database() as url:
        if request.param == "postgresql-hosts":
            parts = urlsplit(url)
            host = f"{parts.hostname}:{parts.port or 5432}"
            url = (f"postgresql://{parts.username}:{parts.password}@{host},{host}"
                   f"{parts.path}?target_session_attrs=read-write")
        yield url, ".pgdump"


async def test_backup_while_serving_and_restore_once_stopped(
    qms: Any, tmp_path: Path, database: tuple[str, str]
) -> None:
    url, suffix = database
    data = tmp_path / "data"
    server = await qms.server(url, data)
    first = await issue(server.ws_url, "a", "b", "c")
    backup_file = tmp_path / f"before{suffix}"

    # While the server runs and keeps issuing.
    status, output, errors = await qms.run("backup", "--db", url, "--out", backup_file)
    assert status == 0, errors
    assert f"to {backup_file}" in output and "schema 0" in output
    later = await issue(server.ws_url, "d")
    assert ticket_numbers(url) == sorted(first + later)

    # A restore under a running server is refused, and changes nothing.
    status, _output, errors = await qms.run("restore", backup_file, "--db", url,
                                            "--data-dir", data)
    assert status == 2
    assert "stop it first" in errors and "qms-server" in errors
    assert ticket_numbers(url) == sorted(first + later)

    assert await server.stop() == 0
    status, output, errors = await qms.run("restore", backup_file, "--db", url,
                                           "--data-dir", data)
    assert status == 0, errors
    assert ticket_numbers(url) == sorted(first)
    # What the restore replaced was kept, and is itself a backup that restores.
    kept = Path(output.split("what was there before is in ")[1].split()[0])
    assert kept.parent == data / "backups" and kept.suffix == suffix

    # The restored database serves again: the next number follows the restored ones.
    again = await qms.server(url, data)
    assert await issue(again.ws_url, "e") == later
    await again.stop()
    status, _output, errors = await qms.run("restore", kept, "--db", url, "--data-dir", data)
    assert status == 0, errors
    assert ticket_numbers(url) == sorted(first + later)


def test_a_backup_folder_keeps_the_newest_and_nothing_else_is_touched(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'qms.sqlite3'}"
    connection = sqlite3.connect(tmp_path / "qms.sqlite3")
    connection.executescript("CREATE TABLE alembic_version (version_num VARCHAR(32));"
                             "INSERT INTO alembic_version VALUES ('0001');")
    connection.close()
    folder = tmp_path / "backups"
    folder.mkdir()
    for day in (1, 2, 3):
        (folder / f"qms-2026120{day}-023000.sqlite3").write_bytes(b"old")
    (folder / "notes.txt").write_text("kept", "utf-8")
    (folder / "qms-before-restore-20261130-101010.sqlite3").write_bytes(b"kept")

    outcome = backup_to_directory(url, folder, keep=2,
                                  now=lambda: datetime(2026, 12, 4, 2, 30))
    assert outcome.path == folder / "qms-20261204-023000.sqlite3"
    assert sorted(path.name for path in outcome.removed) == [
        "qms-20261201-023000.sqlite3", "qms-20261202-023000.sqlite3"]
    assert sorted(path.name for path in folder.iterdir()) == [
        "notes.txt", "qms-20261203-023000.sqlite3", "qms-20261204-023000.sqlite3",
        "qms-before-restore-20261130-101010.sqlite3"]
    assert prune(folder, 5) == []


def test_restore_refuses_a_file_that_is_not_a_backup_of_this_kind(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'qms.sqlite3'}"
    dump = tmp_path / "centre.pgdump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00")
    with pytest.raises(BackupError, match="is a PostgreSQL dump"):
        restore(url, dump, tmp_path / "backups")
    text_file = tmp_path / "notes.sqlite3"
    text_file.write_text("not a database", "utf-8")
    with pytest.raises(BackupError, match="is not a QMS backup"):
        restore(url, text_file, tmp_path / "backups")
    assert not (tmp_path / "qms.sqlite3").exists()


async def test_restore_refuses_a_backup_from_a_newer_release(qms: Any, tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite3"
    connection = sqlite3.connect(newer)
    connection.executescript("CREATE TABLE alembic_version (version_num VARCHAR(32));"
                             "INSERT INTO alembic_version VALUES ('9001');")
    connection.close()
    database = tmp_path / "qms.sqlite3"
    status, _output, errors = await qms.run("restore", newer, "--db", f"sqlite:///{database}",
                                            "--data-dir", tmp_path)
    assert status == 2
    assert "made by a newer release of QMS (schema revision 9001)" in errors
    assert not database.exists()


async def test_backup_of_a_database_that_is_not_there_says_so(qms: Any, tmp_path: Path) -> None:
    status, _output, errors = await qms.run(
        "backup", "--db", f"sqlite:///{tmp_path / 'missing.sqlite3'}", "--out",
        tmp_path / "x.sqlite3")
    assert status == 2 and "does not exist: no QMS database yet" in errors
    assert not (tmp_path / "x.sqlite3").exists()
