"""Engines and schema migrations.

SQLite (the embedded default) runs in WAL mode with ``synchronous=FULL``: a number printed on
a ticket must still be in the database after a power cut, or the next start would hand it out
again (the pragmas are in :mod:`server.store.plan`). Writes begin with ``BEGIN IMMEDIATE`` so
two writers never deadlock on a lock upgrade. The server's own writes go through the writer
process (:mod:`server.store.writer`), which connects as :func:`writer_recipe` says.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from server.store.errors import StoreError
from server.store.plan import SQLITE_PRAGMAS, SQLITE_WRITER_PRAGMAS
from server.store.writer import Recipe

logger = logging.getLogger(__name__)

__all__ = ["Engines", "SchemaStatus", "StoreError", "checkpoint", "describe_database",
           "known_revisions", "migrate", "open_engines", "schema_status", "sqlalchemy_url",
           "writer_recipe"]


@dataclass(frozen=True)
class Engines:
    """A writer engine (one connection, ``BEGIN IMMEDIATE`` on SQLite) and a reader engine."""

    url: str
    writer: Engine
    reader: Engine

    @property
    def is_sqlite(self) -> bool:
        return self.writer.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.writer.dispose()
        self.reader.dispose()


def open_engines(url: str) -> Engines:
    """Create the engines for ``url``; for a SQLite file, its directory is created.

    Raises StoreError naming the URL (password hidden) when it is not a usable database URL.
    """
    try:
        return _open_engines(url)
    except (ArgumentError, NoSuchModuleError, ImportError, OSError, ValueError) as error:
        raise StoreError(f"database URL {describe_database(url)!r}: {_reason(error)} "
                         "(expected e.g. sqlite:///path/qms.sqlite3 or "
                         "postgresql://user:password@host/db)") from error


def describe_database(url: str) -> str:
    """``url`` with its password hidden, for messages and logs."""
    try:
        return make_url(sqlalchemy_url(url)).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url.split("@")[-1]


def sqlalchemy_url(url: str) -> str:
    """``url`` as SQLAlchemy reads it. A PostgreSQL URL naming several hosts the way libpq
    does (``postgresql://user:password@10.0.0.5:5432,10.0.0.6:5432/qms?target_session_attrs=
    read-write``, the form PostgreSQL documents for failover) becomes SQLAlchemy's form of
    the same (one ``host=`` parameter per host: ``postgresql://user:password@/qms?host=
    10.0.0.5:5432&host=10.0.0.6:5432&target_session_attrs=read-write``); any other URL is
    returned as it is."""
    scheme, separator, rest = url.partition("://")
    if not separator or not scheme.startswith("postgresql"):
        return url
    authority, _, tail = rest.partition("/")
    credentials, at, hosts = authority.rpartition("@")
    if "," not in hosts:
        return url
    path, question, query = tail.partition("?")
    host_parameters = "&".join(f"host={host}" for host in hosts.split(",") if host)
    query = f"{host_parameters}&{query}" if question and query else host_parameters
    return f"{scheme}://{credentials}{at}/{path}?{query}"


def _reason(error: BaseException) -> str:
    """The first line of a driver's message, without SQLAlchemy's background link."""
    original = getattr(error, "orig", None) or error
    return str(original).strip().splitlines()[0] if str(original).strip() else repr(original)


def _open_engines(url: str) -> Engines:
    url = sqlalchemy_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            # Each engine would get its own empty database, and every ticket would be lost.
            raise StoreError(f"database URL {url!r}: needs a file path "
                             "(sqlite:///path/qms.sqlite3), not an in-memory database")
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        writer = _sqlite_engine(url, immediate=True)
        reader = _sqlite_engine(url, immediate=False)
    else:
        if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
            url = parsed.set(drivername="postgresql+psycopg").render_as_string(False)
        writer = create_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=True)
        reader = create_engine(url, pool_size=4, max_overflow=4, pool_pre_ping=True)
    return Engines(url=url, writer=writer, reader=reader)


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    # isolation_level=None hands transaction control to us, so BEGIN can be IMMEDIATE.
    engine = create_engine(url, connect_args={"isolation_level": None, "check_same_thread": False,
                                              "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_WRITER_PRAGMAS if immediate else SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def writer_recipe(engines: Engines) -> Recipe:
    """How the writer process opens the same database as ``engines.writer``."""
    url = engines.writer.url
    if engines.is_sqlite:
        # Autocommit at the driver: plan.run_plan begins each transaction IMMEDIATE itself.
        return Recipe("sqlite3", (url.database,), {"isolation_level": None, "timeout": 30})
    arguments, options = engines.writer.dialect.create_connect_args(url)
    # SQLAlchemy's own psycopg adapters (``context``) do not cross a process boundary; the
    # plans carry only strings, numbers, dates and naive UTC datetimes, which psycopg's
    # default adapters take as they are.
    options = {name: value for name, value in options.items() if name != "context"}
    # A primary that vanishes (a machine gone, not a refused port) is noticed within
    # seconds rather than when the kernel gives up; the URL's own settings win.
    return Recipe("psycopg", tuple(arguments), {**WRITER_CONNECT_OPTIONS, **options})


# Both ends of the writer's connection notice a silent peer within about 3 + 3 x 1 s, and a
# host that does not answer a connection is passed over after 5 s.
WRITER_CONNECT_OPTIONS = {"keepalives": 1, "keepalives_idle": 3, "keepalives_interval": 1,
                          "keepalives_count": 3, "connect_timeout": 5}


def checkpoint(engines: Engines) -> None:
    """Copy the WAL back into the database file without blocking the writer (SQLite only).

    Passive: it does what it can without waiting for readers or the writer; run it often.
    """
    if not engines.is_sqlite:
        return
    with engines.reader.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database's schema stands against this release's migrations.

    ``current``: the database's revisions (none: no schema yet). ``heads``: this release's
    newest. ``pending``: (revision, description) that migrating would apply, oldest first.
    ``unknown``: the database's revisions this release does not know, which means a newer
    release wrote it; such a database is never migrated (there is no way down).
    """

    current: tuple[str, ...]
    heads: tuple[str, ...]
    pending: tuple[tuple[str, str], ...]
    unknown: tuple[str, ...]

    @property
    def up_to_date(self) -> bool:
        return not self.pending and not self.unknown

    def newer_message(self, database: str) -> str:
        """Why a database written by a newer release is refused, and what to do."""
        return (f"the database {database!r} is at schema revision {', '.join(self.unknown)}, "
                f"which this release of QMS does not know (its newest is "
                f"{', '.join(self.heads)}): a newer release wrote it. Downgrades are not "
                "supported: run that newer release again, or restore a backup made before "
                "the upgrade (qms restore FILE)")


def schema_status(engines: Engines) -> SchemaStatus:
    """Compare the database's schema revision with this release's migrations; changes
    nothing. Raises StoreError when the database cannot be reached."""
    try:
        with engines.reader.connect() as connection:
            return _schema_status(connection, _script_directory())
    except SQLAlchemyError as error:
        raise StoreError(f"cannot open the database {describe_database(engines.url)!r}: "
                         f"{_reason(error)}") from error


def migrate(engines: Engines) -> None:
    """Bring the schema to the newest Alembic revision (creating it on a new database).

    Raises StoreError naming the database when it cannot be reached or migrated, or when a
    newer release wrote it (:meth:`SchemaStatus.newer_message`): then nothing is changed.
    """
    try:
        _migrate(engines)
    except SQLAlchemyError as error:
        raise StoreError(f"cannot open the database {describe_database(engines.url)!r}: "
                         f"{_reason(error)}") from error


def known_revisions() -> frozenset[str]:
    """Every schema revision this release has a migration for (a backup's or a database's
    revision outside them was written by a newer release)."""
    return frozenset(script.revision for script in _script_directory().walk_revisions())


def _migration_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location",
                           str(resources.files("server.store").joinpath("migrations")))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(_migration_config(""))


def _schema_status(connection: Connection, script: ScriptDirectory) -> SchemaStatus:
    current = tuple(MigrationContext.configure(connection).get_current_heads())
    heads = tuple(script.get_heads())
    unknown = []
    for revision in current:
        try:
            script.get_revision(revision)
        except CommandError:
            unknown.append(revision)
    if connection.in_transaction():
        connection.rollback()
    if unknown:
        return SchemaStatus(current, heads, (), tuple(unknown))
    steps = script.iterate_revisions("heads", current or "base")
    pending = tuple((step.revision, (step.doc or "").strip()) for step in reversed(list(steps)))
    return SchemaStatus(current, heads, pending, ())


# The key of the advisory lock that lets one process at a time migrate a PostgreSQL database
# (several server processes may start together).
MIGRATION_LOCK_KEY = 0x716D735F6D6967


def _migrate(engines: Engines) -> None:
    config = _migration_config(engines.url)
    with engines.writer.connect() as connection:
        locked = not engines.is_sqlite
        if locked:
            # The others wait here, then find the schema up to date. (SQLite's writes are
            # serialised by the file itself.)
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
            connection.commit()
        try:
            status = _upgrade(engines, config, connection)
        finally:
            if locked:
                if connection.in_transaction():
                    connection.rollback()  # a failed step: its transaction is over
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
                connection.commit()
    if status.pending:
        logger.info("database schema migrated: %s",
                    ", ".join(f"{revision} ({text})" for revision, text in status.pending))
    logger.info("database schema is up to date")


def _upgrade(engines: Engines, config: Config, connection: Connection) -> SchemaStatus:
    status = _schema_status(connection, ScriptDirectory.from_config(config))
    if status.unknown:
        # Alembic would stop on an unknown revision with a bare "Can't locate revision";
        # say what it means and what to do instead.
        raise StoreError(status.newer_message(describe_database(engines.url)))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    if connection.in_transaction():
        connection.commit()
    return status
