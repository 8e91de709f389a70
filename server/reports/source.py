"""The reports' own read-only connections to the queue's database.

A report never uses the server's engines: it opens its own (``qms report`` in its own
process, the web pages through :class:`server.reports.service.ReportService`), so a long
report holds none of the connections the live queue needs. Every connection is read-only
(SQLite: opened ``mode=ro``, which also never creates a missing file, yet lets a report keep
its compact copy of the tickets in a TEMP table; PostgreSQL:
``default_transaction_read_only``), and each report reads in one transaction, so all its
figures come from the same moment even while the server writes (SQLite's WAL keeps the
snapshot; PostgreSQL runs it REPEATABLE READ).
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from server.reports.errors import ReportDataError
from server.store.database import describe_database

# SQLite pages a report may keep in memory (KiB, negative as SQLite wants it): enough for its
# sorts to stay fast, bounded so memory does not grow with the database.
_SQLITE_CACHE_KIB = 64 * 1024
_POSTGRES_WORK_MEM = "64MB"
# The file of each SQLite report engine (server.reports.day_cache keeps its copy beside it).
_SQLITE_FILES: weakref.WeakKeyDictionary[Engine, Path] = weakref.WeakKeyDictionary()


def sqlite_file(engine: Engine) -> Path | None:
    """The database file of a report engine on SQLite (``None`` on another database)."""
    return _SQLITE_FILES.get(engine)


def open_report_engine(database_url: str) -> Engine:
    """A read-only engine of its own on ``database_url``.

    Raises :class:`ReportDataError` (field ``db``) for a URL that is not a database, a SQLite
    file that does not exist, or a database without the queue's tables.
    """
    try:
        url = make_url(database_url)
    except ArgumentError as error:
        raise ReportDataError("db", f"{database_url!r} is not a database URL "
                                    "(e.g. sqlite:///data/qms.sqlite3)") from error
    if url.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url.database or "")
    else:
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        try:
            # Sorts of a month of tickets spill to disk at the default 4 MB of work_mem;
            # these connections are the reports' own, one at a time.
            engine = create_engine(
                url, poolclass=NullPool, isolation_level="REPEATABLE READ",
                connect_args={"options": "-c default_transaction_read_only=on "
                                         f"-c work_mem={_POSTGRES_WORK_MEM}"})
        except (ArgumentError, ImportError) as error:
            raise ReportDataError("db", f"{describe_database(database_url)!r}: {error}") \
                from error
    _check_schema(engine, database_url)
    return engine


def _sqlite_engine(path: str) -> Engine:
    if path in ("", ":memory:") or not Path(path).is_file():
        raise ReportDataError("db", f"no database file at {path!r}",
                              f"không có tệp cơ sở dữ liệu {path!r}")
    location = f"file:{quote(str(Path(path).resolve()))}?mode=ro"

    def connect() -> sqlite3.Connection:
        # mode=ro: the database cannot be written through this connection (nor created);
        # TEMP tables live apart from it and stay allowed.
        return sqlite3.connect(location, uri=True, isolation_level=None,
                               check_same_thread=False, timeout=30)

    engine = create_engine("sqlite://", creator=connect, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in ("PRAGMA busy_timeout=30000", f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB}"):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # A deferred BEGIN: the first read fixes the snapshot every later read sees.
        connection.exec_driver_sql("BEGIN")

    _SQLITE_FILES[engine] = Path(path).resolve()
    return engine


def _check_schema(engine: Engine, database_url: str) -> None:
    try:
        with engine.connect() as connection:
            names = set(inspect(connection).get_table_names())
    except SQLAlchemyError as error:
        engine.dispose()
        raise ReportDataError("db", f"cannot open {describe_database(database_url)!r}: "
                                    f"{_first_line(error)}") from error
    if not {"tickets", "ratings"} <= names:
        engine.dispose()
        raise ReportDataError("db", f"{describe_database(database_url)!r} holds no queue "
                                    "tables (has the server ever run on it?)",
                              "cơ sở dữ liệu này không có bảng của hệ thống xếp hàng")


@contextmanager
def reading(engine: Engine, attach: Sequence[str] = ()) -> Iterator[Connection]:
    """One read transaction: every statement in it sees the same snapshot. Database errors
    come out as :class:`ReportDataError`. ``attach``: ``ATTACH`` statements (SQLite) run
    on the connection before its transaction begins."""
    try:
        with engine.connect() as connection:
            for statement in attach:
                # On the driver's own connection: SQLAlchemy would begin a transaction
                # first, in which SQLite may not attach.
                connection.connection.driver_connection.execute(statement)  # type: ignore[union-attr]
            with connection.begin():
                yield connection
    except (SQLAlchemyError, sqlite3.Error) as error:
        raise ReportDataError(None, f"reading the database failed: {_first_line(error)}",
                              f"đọc cơ sở dữ liệu không được: {_first_line(error)}") from error


def _first_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    text = str(original).strip()
    return text.splitlines()[0] if text else repr(original)
