"""``qms backup`` and ``qms restore``: one file holds the whole database.

SQLite: SQLite's online backup API copies the database from a read transaction, so a running
server goes on issuing tickets meanwhile (WAL: readers never block the writer) and the copy is
the database as of one commit. The copy is checked (``PRAGMA quick_check``), written beside
its final name and renamed into place, so a file with the final name is always a whole backup.

PostgreSQL: ``pg_dump`` in its custom format (one consistent snapshot, the server running) and
``pg_restore``. The password travels in ``PGPASSWORD``, never on a command line.

A restore replaces the whole database. It refuses while another program has the database
open (a running server would go on from what it holds in memory, over the restored data), and
it refuses a backup that a newer release wrote. What was there before is first saved as a
``qms-before-restore-*`` backup in the backup folder, which the nightly clean-up never removes.

Backups made by ``--out-dir`` are named ``qms-YYYYMMDD-HHMMSS.sqlite3`` (or ``.pgdump``), so
their names sort by age; :func:`prune` keeps the newest and removes no other file.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from server.ops.errors import BackupError, DatabaseInUse
from server.store.database import (
    Engines,
    describe_database,
    known_revisions,
    open_engines,
    schema_status,
    sqlalchemy_url,
)

__all__ = [
    "BackupKind",
    "Outcome",
    "backup",
    "backup_kind",
    "backup_to_directory",
    "prune",
    "refuse_if_in_use",
    "restore",
]

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"
BACKUP_NAME = re.compile(r"qms-\d{8}-\d{6}\.(sqlite3|pgdump)")
STAMP_FORMAT = "%Y%m%d-%H%M%S"


@dataclass(frozen=True)
class BackupKind:
    """The database's kind as a backup file sees it: its file suffix and its header."""

    suffix: str
    header: bytes


SQLITE = BackupKind(".sqlite3", SQLITE_HEADER)
POSTGRESQL = BackupKind(".pgdump", PG_DUMP_HEADER)


@dataclass(frozen=True)
class Outcome:
    """What a backup or restore did: ``path`` the file made (the backup, or the copy of what
    a restore replaced), ``revision`` the schema revision it holds, ``removed`` old backups
    pruned."""

    path: Path | None
    revision: str
    removed: tuple[Path, ...] = ()


def backup_kind(url: str) -> BackupKind:
    backend = make_url(sqlalchemy_url(url)).get_backend_name()
    if backend == "sqlite":
        return SQLITE
    if backend == "postgresql":
        return POSTGRESQL
    raise BackupError(f"cannot back up a {backend} database (SQLite and PostgreSQL only)")


def backup(url: str, out: Path) -> Outcome:
    """Write the database at ``url`` to the file ``out`` (replaced if it exists)."""
    if backup_kind(url) is SQLITE and not _sqlite_file(url).is_file():
        # Opening it would create an empty database.
        raise BackupError(f"{_sqlite_file(url)} does not exist: no QMS database yet")
    revision = _current_revision(url)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        if backup_kind(url) is SQLITE:
            _backup_sqlite(_sqlite_file(url), partial)
        else:
            _pg_dump(url, partial)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return Outcome(out, revision)


def backup_to_directory(url: str, directory: Path, keep: int,
                        now: Callable[[], datetime] = datetime.now) -> Outcome:
    """A new backup named by the time in ``directory``, then only the newest ``keep``
    backups there are kept (the new one included; pruned only once it is complete)."""
    if keep < 1:
        raise BackupError("--keep must be at least 1")
    out = directory / f"qms-{now().strftime(STAMP_FORMAT)}{backup_kind(url).suffix}"
    made = backup(url, out)
    return Outcome(made.path, made.revision, tuple(prune(directory, keep)))


def prune(directory: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` backups named ``qms-YYYYMMDD-HHMMSS.*`` in
    ``directory``; returns what was removed. No other file is touched."""
    backups = sorted(path for path in directory.iterdir()
                     if path.is_file() and BACKUP_NAME.fullmatch(path.name))
    removed = backups[:-keep] if keep > 0 else backups
    for path in removed:
        path.unlink()
    return removed


def restore(url: str, source: Path, safety_directory: Path,
            now: Callable[[], datetime] = datetime.now) -> Outcome:
    """Replace the database at ``url`` with the backup ``source``.

    Raises DatabaseInUse while another program has the database open, BackupError when
    ``source`` is not a backup of this kind of database or a newer release wrote it; then
    nothing is changed. Returns the copy of what was replaced (``path``; ``None`` when there
    was nothing) and the restored schema revision: an older one is migrated when the server
    starts.
    """
    kind = backup_kind(url)
    try:
        with source.open("rb") as file:
            header = file.read(len(kind.header))
    except OSError as error:
        raise BackupError(f"cannot read {source}: {error.strerror or error}") from error
    if header != kind.header:
        what = ("a PostgreSQL dump" if header.startswith(PG_DUMP_HEADER) else
                "a SQLite database" if header == SQLITE_HEADER else "not a QMS backup")
        raise BackupError(f"{source} is {what}: {describe_database(url)} needs a "
                          f"{'SQLite file' if kind is SQLITE else 'pg_dump custom-format'} "
                          f"backup ({kind.suffix})")
    safety = safety_directory / f"qms-before-restore-{now().strftime(STAMP_FORMAT)}{kind.suffix}"
    if kind is SQLITE:
        revision = _backup_revision_sqlite(source)
        _refuse_newer(revision, source)
        kept = _restore_sqlite(_sqlite_file(url), source, safety)
    else:
        revision = _backup_revision_pg(source)
        _refuse_newer(revision, source)
        kept = _restore_pg(url, source, safety)
    return Outcome(kept, revision)


# --- schema revisions ------------------------------------------------------------------------


def _current_revision(url: str) -> str:
    engines = open_engines(url)
    try:
        status = schema_status(engines)
    finally:
        engines.dispose()
    if not status.current:
        raise BackupError(f"{describe_database(url)} holds no QMS database yet (no schema): "
                          "nothing to back up")
    return ",".join(status.current)


def _refuse_newer(revision: str, source: Path) -> None:
    known = known_revisions()
    unknown = [item for item in revision.split(",") if item not in known]
    if unknown:
        raise BackupError(f"{source} was made by a newer release of QMS (schema revision "
                          f"{', '.join(unknown)}): restore it with that release; downgrades "
                          "are not supported")


# --- SQLite ----------------------------------------------------------------------------------


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"{url!r} names no SQLite file")
    return Path(database)


def _backup_sqlite(database: Path, out: Path) -> None:
    if not database.is_file():
        raise BackupError(f"{database} does not exist")
    # A plain connection that only reads: a read-only one cannot open a WAL database whose
    # shared-memory file is not there (the server stopped cleanly).
    source = sqlite3.connect(database, timeout=30)
    target = sqlite3.connect(out, isolation_level=None)
    try:
        source.backup(target)
        # One self-contained file: no WAL beside it.
        target.execute("PRAGMA journal_mode=DELETE")
        check = target.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            raise BackupError(f"the copy of {database} fails its check: {check}")
    except sqlite3.Error as error:
        raise BackupError(f"cannot back up {database}: {error}") from error
    finally:
        target.close()
        source.close()
    _flush_to_disk(out)


def _backup_revision_sqlite(source: Path) -> str:
    try:
        connection = sqlite3.connect(f"file:{source.absolute().as_posix()}?mode=ro", uri=True)
        try:
            check = connection.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise BackupError(f"{source} is damaged ({check}): not restored")
            rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise BackupError(f"{source} is not a QMS backup: {error}") from error
    if not rows:
        raise BackupError(f"{source} is not a QMS backup: it has no schema revision")
    return ",".join(sorted(str(row[0]) for row in rows))


def _restore_sqlite(database: Path, source: Path, safety: Path) -> Path | None:
    database.parent.mkdir(parents=True, exist_ok=True)
    existed = database.is_file() and database.stat().st_size > 0
    target = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        # Exclusive locking mode keeps the lock after this empty transaction until the
        # connection closes: nobody can open the database in between, and if anybody has it
        # open now (the server's writer and readers), the lock is refused at once.
        target.execute("PRAGMA locking_mode=EXCLUSIVE")
        try:
            target.execute("BEGIN EXCLUSIVE")
            target.execute("COMMIT")
        except sqlite3.OperationalError as error:
            raise DatabaseInUse(
                f"{database} is open in another program, most likely a running qms server "
                f"({error}): stop it first (sudo systemctl stop qms-server), then restore, "
                "then start it again") from error
        kept = None
        if existed:
            safety.parent.mkdir(parents=True, exist_ok=True)
            copy = sqlite3.connect(safety)
            try:
                target.backup(copy)
            finally:
                copy.close()
            _flush_to_disk(safety)
            kept = safety
        backup_file = sqlite3.connect(source)
        try:
            backup_file.backup(target)
        finally:
            backup_file.close()
        return kept
    except sqlite3.Error as error:
        raise BackupError(f"cannot restore {source} into {database}: {error}") from error
    finally:
        target.close()


def _flush_to_disk(path: Path) -> None:
    with path.open("rb") as file:
        os.fsync(file.fileno())


# --- PostgreSQL ------------------------------------------------------------------------------


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """``url`` as libpq reads it (no SQLAlchemy driver name), with the password moved to the
    environment, where ``ps`` does not show it."""
    environment = dict(os.environ)
    if sqlalchemy_url(url) != url:
        # Several hosts (a primary and its standbys): libpq reads its own form as it is
        # and, with target_session_attrs=read-write, finds the primary itself.
        rest = url.partition("://")[2]
        authority, _, tail = rest.partition("/")
        credentials, at, hosts = authority.rpartition("@")
        user, _, password = credentials.partition(":")
        if password:
            environment["PGPASSWORD"] = unquote(password)
        return f"postgresql://{user}{at}{hosts}/{tail}", environment
    parsed: URL = make_url(url)
    if parsed.password:
        environment["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environment


def _pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore``: on PATH, else the newest in Debian's versioned folders."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                      key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0)
    if versions:
        return str(versions[-1])
    raise BackupError(f"{name} is not installed: install PostgreSQL's client tools "
                      "(Debian/Ubuntu: apt-get install postgresql-client)")


def _run_pg(arguments: Sequence[str], environment: dict[str, str]) -> str:
    finished = subprocess.run(list(arguments), capture_output=True, text=True, check=False,
                              env=environment)
    if finished.returncode != 0:
        lines = [line for line in finished.stderr.strip().splitlines() if line.strip()]
        raise BackupError(f"{Path(arguments[0]).name} failed (exit {finished.returncode}): "
                          + (" / ".join(lines[:3]) or "no message"))
    return finished.stdout


def _pg_dump(url: str, out: Path) -> None:
    address, environment = _libpq(url)
    _run_pg([_pg_tool("pg_dump"), "--format=custom", "--file", str(out), "--dbname", address],
            environment)
    _flush_to_disk(out)


def _backup_revision_pg(source: Path) -> str:
    """The schema revision in a custom-format dump, read without any database: its
    ``alembic_version`` data as SQL text."""
    script = _run_pg([_pg_tool("pg_restore"), "--data-only", "--table=alembic_version",
                      "--file=-", str(source)], dict(os.environ))
    revisions: list[str] = []
    lines = iter(script.splitlines())
    for line in lines:
        if line.startswith("COPY ") and "alembic_version" in line:
            for row in lines:
                if row == "\\.":
                    break
                revisions.append(row.strip())
    if not revisions:
        raise BackupError(f"{source} is not a QMS backup: it has no schema revision")
    return ",".join(sorted(revisions))


def refuse_if_in_use(url: str, what: str) -> None:
    """Raise DatabaseInUse when another program (most likely a running server) has the
    database at ``url`` open; ``what`` is the operation the message says to run after
    stopping it. A check, not a lock: the operation follows at once."""
    if backup_kind(url) is SQLITE:
        database = _sqlite_file(url)
        if not database.is_file():
            return
        connection = sqlite3.connect(database, timeout=0, isolation_level=None)
        try:
            # As in a restore: in exclusive locking mode the lock is refused while anybody
            # has the database open (WAL readers too); closing releases it.
            connection.execute("PRAGMA locking_mode=EXCLUSIVE")
            connection.execute("BEGIN EXCLUSIVE")
            connection.execute("COMMIT")
        except sqlite3.OperationalError as error:
            raise DatabaseInUse(
                f"{database} is open in another program, most likely a running qms server "
                f"({error}): stop it first (sudo systemctl stop qms-server), then {what}, "
                "then start it again") from error
        finally:
            connection.close()
        return
    engines = open_engines(url)
    try:
        _refuse_other_connections(engines, url, what)
    except SQLAlchemyError as error:
        raise BackupError(f"cannot reach {describe_database(url)}: {error}") from error
    finally:
        engines.dispose()


def _refuse_other_connections(engines: Engines, url: str, what: str) -> None:
    with engines.reader.connect() as connection:
        others = connection.execute(text(
            "SELECT coalesce(host(client_addr), 'local') FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalars()
        addresses = sorted(set(others))
    if addresses:
        raise DatabaseInUse(
            f"{describe_database(url)} has other connections (from "
            f"{', '.join(addresses)}), most likely a running qms server: stop it first "
            f"(sudo systemctl stop qms-server), then {what}, then start it again")


def _restore_pg(url: str, source: Path, safety: Path) -> Path | None:
    engines = open_engines(url)
    try:
        _refuse_other_connections(engines, url, "restore")
        with engines.reader.connect() as connection:
            tables = list(connection.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
        kept = None
        if tables:
            safety.parent.mkdir(parents=True, exist_ok=True)
            _pg_dump(url, safety)
            kept = safety
            # Tables a newer schema added would stay beside an older backup and break its
            # migration on the next start: the database becomes exactly the backup.
            with engines.writer.begin() as connection:
                for table in tables:
                    quoted = connection.dialect.identifier_preparer.quote(table)
                    connection.execute(text(f"DROP TABLE IF EXISTS {quoted} CASCADE"))
    except SQLAlchemyError as error:
        raise BackupError(f"cannot prepare {describe_database(url)} for the restore: "
                          f"{error}") from error
    finally:
        engines.dispose()
    address, environment = _libpq(url)
    try:
        _run_pg([_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction",
                 "--exit-on-error", "--dbname", address, str(source)], environment)
    except BackupError as error:
        where = f"; what was there before is in {kept} (qms restore {kept})" if kept else ""
        raise BackupError(f"{error}{where}") from error
    return kept
