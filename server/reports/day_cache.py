"""The reports' copy of closed days (SQLite): a compact, narrow row per ticket, kept beside
the database in a file of the reports' own, so a report over past days reads integers and
short codes instead of the wide ticket rows with their times parsed from text.

Why it may be kept: a site's day is *closed* once the site's live day (``sites.business_date``)
is past it. The day's reset has then cancelled what was still open, and the queue never
touches its tickets again: the domain changes only the tickets of the live day (a rating,
a transfer, a finish all look the ticket up in the day's state, which the reset empties),
events are purged but tickets and ratings never are, and the demo's history writes past
days only into an empty database. Still, a database may be restored from a backup, copied
over or written by hand, so the copy of a day is used only while the day's **fingerprint**
is the one it was copied with: per (site, day), the tickets' count and the sum of their row
ids per status (from the index on site, day and status alone) and the ratings' count and
row-id sum (from the ratings' key, whose ticket ids begin ``site:YYYYMMDD:``). A ticket added,
removed, replaced or whose status changed, or a rating added or removed, changes it: that
day is then read from the tickets and its copy dropped, to be made again by the next report.
A change that keeps all of these (an edited time or case code of a closed day's ticket) is
not seen; nothing in the server makes one.

What the copy holds does not depend on the configuration (:data:`~server.reports.queries.
FACT_COLUMNS`: times as whole UTC minutes, waits in seconds, the raw score): local hours,
targets and the lowest score are worked out per report from the settings in force.
Beside the facts, each copied day's seconds on duty per officer (``on_duty``, made from its
facts as the day is copied: :func:`~server.reports.queries.on_duty_by_day_statement`): a
report by officer adds those up for its copied days instead of ordering every ticket of
them, and runs the window pass over its other days only; the sums are exactly the same
(:func:`~server.reports.queries.on_duty_terms` says why). A day's row in ``days`` counts its
``on_duty`` rows: a report finding another count treats the copy as damaged.

The file (``<database>.reports-cache``, WAL) is written only by the reports' own processes,
in a transaction of their own before the report's reading one (``BEGIN IMMEDIATE``: two
reports fill one after the other, the second finds the days there); the server never opens
it. Any trouble with it (a directory the report may not write, a file that is not a
database or is damaged, another version) means: delete it and make it again, or, failing
that, read every day from the tickets. It never decides a figure on its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Float,
    FromClause,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    func,
    insert,
    select,
    tuple_,
)
from sqlalchemy.dialects import sqlite as sqlite_dialect

from server.reports import queries
from server.reports.errors import ReportDataError

SCHEMA = "report_cache"
SUFFIX = ".reports-cache"
# Bumped whenever the copy's tables, columns or their meaning change: an older file is
# remade. 2: each day's seconds on duty per officer (on_duty), counted in days.
VERSION = "2"
_BUSY_MILLISECONDS = 60_000
_CACHE_KIB = 64 * 1024

_metadata = MetaData()
facts = Table("facts", _metadata,
              *(Column(name, kind) for name, kind in queries.FACT_COLUMNS), schema=SCHEMA)
cached_days = Table("days", _metadata, Column("site", String(32)), Column("day", Date()),
                    Column("fingerprint", String()), Column("on_duty_rows", Integer()),
                    schema=SCHEMA)
on_duty = Table("on_duty", _metadata, Column("site", String(32)), Column("day", Date()),
                Column("officer", String(32)), Column("seconds", Float()), schema=SCHEMA)
_TABLES = ("meta", "days", "facts", "on_duty")

_CREATE = (
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.days (site TEXT NOT NULL, day TEXT NOT NULL, "
    "fingerprint TEXT NOT NULL, on_duty_rows INTEGER NOT NULL, PRIMARY KEY (site, day)) "
    "WITHOUT ROWID",
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.on_duty (site TEXT NOT NULL, day TEXT NOT NULL, "
    "officer TEXT NOT NULL, seconds REAL NOT NULL, PRIMARY KEY (site, day, officer)) "
    "WITHOUT ROWID",
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.facts ("
    + ", ".join(f"{name} {_kind}" for name, _kind in (
        ("site", "TEXT NOT NULL"), ("day", "TEXT NOT NULL"), ("ticket", "INTEGER NOT NULL"),
        ("service", "TEXT"), ("counter", "TEXT"), ("officer", "TEXT"), ("status", "TEXT"),
        ("moved", "INTEGER"), ("issued_minute", "INTEGER"), ("call_minute", "INTEGER"),
        ("waiting", "REAL"), ("service_time", "REAL"), ("score", "INTEGER"),
        ("case_code", "TEXT"), ("called", "REAL"), ("finished", "REAL")))
    + ", PRIMARY KEY (site, day, ticket)) WITHOUT ROWID",
)

Day = tuple[str, date]


def cache_path(database: Path) -> Path:
    """Where the copy of ``database``'s closed days is kept."""
    return database.with_name(database.name + SUFFIX)


def discard(path: Path) -> None:
    """Delete the cache file at ``path`` (and its WAL files): the next report remakes it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def attach_statement(path: Path) -> str:
    """The ``ATTACH`` of the cache file at ``path`` (never creating it)."""
    return f"ATTACH DATABASE 'file:{quote(str(path.resolve()))}?mode=rw' AS {SCHEMA}"


@contextmanager
def _maintenance(database: Path, path: Path) -> Iterator[sqlite3.Connection]:
    """A connection reading the queue's database (read-only) with the cache attached for
    writing (created if missing)."""
    connection = sqlite3.connect(f"file:{quote(str(database.resolve()))}?mode=ro", uri=True,
                                 isolation_level=None, timeout=_BUSY_MILLISECONDS / 1000)
    with closing(connection):
        connection.execute(f"PRAGMA busy_timeout={_BUSY_MILLISECONDS}")
        connection.execute(f"ATTACH DATABASE 'file:{quote(str(path.resolve()))}?mode=rwc' "
                           f"AS {SCHEMA}")
        connection.execute(f"PRAGMA {SCHEMA}.cache_size=-{_CACHE_KIB}")
        if connection.execute(f"PRAGMA {SCHEMA}.journal_mode=WAL").fetchone() != ("wal",):
            raise sqlite3.OperationalError("the reports' cache cannot use WAL")
        yield connection


def prepare(database: Path, scope: queries.Scope) -> Path | None:
    """Copy ``scope``'s closed days not copied yet into the cache beside ``database``;
    returns the cache's path, or ``None`` when there is none to use (the report then reads
    every day from the tickets). A damaged file or one of another version is remade once."""
    path = cache_path(database)
    for attempt in (1, 2):
        try:
            _ensure_schema(path)
            with _maintenance(database, path) as connection:
                _fill(connection, scope)
            return path
        except sqlite3.DatabaseError as error:
            if isinstance(error, sqlite3.OperationalError) and not _damaged(error):
                return None  # locked too long, read-only directory, disk full: no cache
            if attempt == 2:
                return None
            discard(path)
        except OSError:
            return None
    return None


def _damaged(error: sqlite3.Error) -> bool:
    text = str(error).lower()
    return any(sign in text for sign in ("malformed", "not a database", "no such table",
                                         "no such column", "other version"))


def _ensure_schema(path: Path) -> None:
    """The cache's tables and version, made in one write transaction of the cache file:
    reports starting together see either no table or all of them (made one by one, another
    report saw a half-made file as damaged, and deleted it under the first). Raises
    :class:`sqlite3.DatabaseError` for a damaged file or one of another version."""
    connection = sqlite3.connect(":memory:", isolation_level=None,
                                 timeout=_BUSY_MILLISECONDS / 1000)
    with closing(connection):
        connection.execute(f"PRAGMA busy_timeout={_BUSY_MILLISECONDS}")
        connection.execute(f"ATTACH DATABASE 'file:{quote(str(path.resolve()))}?mode=rwc' "
                           f"AS {SCHEMA}")
        if connection.execute(f"PRAGMA {SCHEMA}.journal_mode=WAL").fetchone() != ("wal",):
            raise sqlite3.OperationalError("the reports' cache cannot use WAL")
        connection.execute("BEGIN IMMEDIATE")
        try:
            tables = {name for (name,) in connection.execute(
                f"SELECT name FROM {SCHEMA}.sqlite_master WHERE type = 'table'")}
            if tables and not set(_TABLES) <= tables:
                raise sqlite3.DatabaseError("the reports' cache is damaged: no such table")
            for statement in _CREATE:
                connection.execute(statement)
            row = connection.execute(
                f"SELECT value FROM {SCHEMA}.meta WHERE key = 'version'").fetchone()
            if row is None:
                connection.execute(f"INSERT INTO {SCHEMA}.meta VALUES ('version', ?)",
                                   (VERSION,))
            elif row[0] != VERSION:
                raise sqlite3.DatabaseError("the reports' cache is of another version")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise


def closed_days(connection: Any, scope: queries.Scope) -> list[Day]:
    """Every (site, day) of ``scope`` before its site's live day (none for a site that has
    no live day stored)."""
    request = scope.request
    live = dict(connection.execute(
        "SELECT code, business_date FROM sites WHERE code IN "
        f"({', '.join('?' for _ in request.sites)})", tuple(request.sites)).fetchall())
    days = []
    for site in request.sites:
        if site not in live:
            continue
        last = min(request.last, date.fromisoformat(str(live[site])) - timedelta(days=1))
        day = request.first
        while day <= last:
            days.append((site, day))
            day += timedelta(days=1)
    return days


def _fill(connection: sqlite3.Connection, scope: queries.Scope) -> None:
    wanted = closed_days(connection, scope)
    if not wanted or not _missing(connection, wanted):
        return
    connection.execute("BEGIN IMMEDIATE")  # one filler at a time; the others wait here
    try:
        missing = _missing(connection, wanted)
        if missing:
            first = min(day for _site, day in missing)
            last = max(day for _site, day in missing)
            found = fingerprints(connection, sorted({site for site, _day in missing}),
                                 first, last)
            connection.execute("CREATE TEMP TABLE IF NOT EXISTS report_fill_days "
                               "(site TEXT, day TEXT, PRIMARY KEY (site, day))")
            connection.execute("DELETE FROM report_fill_days")
            connection.executemany("INSERT INTO report_fill_days VALUES (?, ?)",
                                   [(site, day.isoformat()) for site, day in missing
                                    if (site, day) in found])
            fill_days = Table("report_fill_days", MetaData(), Column("site", String),
                              Column("day", Date()))
            _execute(connection, insert(facts).from_select(
                [name for name, _kind in queries.FACT_COLUMNS],
                queries.facts_select(scope, days=fill_days)))
            # Each day's seconds on duty per officer, from the facts just copied.
            filled = select(facts).where(tuple_(facts.c.site, facts.c.day).in_(
                select(fill_days.c.site, fill_days.c.day))).subquery("filled_facts")
            _execute(connection, insert(on_duty).from_select(
                ["site", "day", "officer", "seconds"],
                queries.on_duty_by_day_statement(filled)))
            officers = {(site, day): count for site, day, count in _execute(
                connection, select(on_duty.c.site, on_duty.c.day, func.count())
                .where(tuple_(on_duty.c.site, on_duty.c.day).in_(
                    select(fill_days.c.site, fill_days.c.day)))
                .group_by(on_duty.c.site, on_duty.c.day))}
            connection.executemany(
                f"INSERT OR REPLACE INTO {SCHEMA}.days VALUES (?, ?, ?, ?)",
                [(site, day.isoformat(), found.get((site, day), ""),
                  officers.get((site, day.isoformat()), 0)) for site, day in missing])
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _execute(connection: sqlite3.Connection, statement: Any) -> sqlite3.Cursor:
    """``statement`` (SQLAlchemy Core) on the maintenance connection."""
    compiled = statement.compile(dialect=sqlite_dialect.dialect())
    return connection.execute(str(compiled), _positional(compiled))


def _positional(compiled: Any) -> tuple[Any, ...]:
    processors = compiled._bind_processors
    values = []
    for name in compiled.positiontup:
        value = compiled.params[name]
        processor = processors.get(name)
        values.append(processor(value) if processor else value)
    return tuple(values)


def _missing(connection: sqlite3.Connection, wanted: Sequence[Day]) -> list[Day]:
    sites = sorted({site for site, _day in wanted})
    first = min(day for _site, day in wanted)
    last = max(day for _site, day in wanted)
    known = {(site, date.fromisoformat(day)) for site, day in connection.execute(
        f"SELECT site, day FROM {SCHEMA}.days WHERE site IN "
        f"({', '.join('?' for _ in sites)}) AND day BETWEEN ? AND ?",
        (*sites, first.isoformat(), last.isoformat()))}
    return [item for item in wanted if item not in known]


def fingerprints(connection: Any, sites: Iterable[str], first: date,
                 last: date) -> dict[Day, str]:
    """Each (site, day) of ``sites`` from ``first`` to ``last`` that has tickets, with its
    fingerprint (see the module's docstring). ``connection``: a DB-API connection to the
    queue's SQLite database."""
    sites = list(sites)
    if not sites:
        return {}
    statuses: dict[Day, list[str]] = {}
    for site, day, status, count, rowids in connection.execute(
            "SELECT site, business_date, status, count(*), sum(rowid) FROM tickets "
            f"WHERE site IN ({', '.join('?' for _ in sites)}) "
            "AND business_date BETWEEN ? AND ? GROUP BY site, business_date, status",
            (*sites, first.isoformat(), last.isoformat())):
        statuses.setdefault((site, date.fromisoformat(str(day))), []) \
            .append(f"{status}={count}/{rowids}")
    rated: dict[Day, str] = {}
    for site in sites:
        for day_text, count, rowids in connection.execute(
                "SELECT substr(ticket_id, ?, 8), count(*), sum(rowid) FROM ratings "
                "WHERE ticket_id >= ? AND ticket_id < ? GROUP BY 1",
                (len(site) + 2, f"{site}:{first:%Y%m%d}", f"{site}:{last:%Y%m%d};")):
            try:
                day = date(int(day_text[:4]), int(day_text[4:6]), int(day_text[6:8]))
            except ValueError:
                continue  # not an id of the server's form: no day of this site
            rated[(site, day)] = f"{count}/{rowids}"
    return {key: f"{','.join(sorted(parts))};rated={rated.get(key, '0/0')}"
            for key, parts in statuses.items()}


@dataclass(frozen=True, slots=True)
class Split:
    """Which days a report takes from the cache and which from the tickets: TEMP tables
    of (site, day) on the report's connection, and the copies found out of date."""

    cached: Table
    live: Table
    stale: tuple[Day, ...]
    cached_count: int
    # Tickets the copies of the cached days must hold (their fingerprints say).
    cached_tickets: int
    # Rows of seconds on duty (per day and officer) the cached days must hold.
    cached_on_duty_rows: int = 0


def split(connection: Connection, scope: queries.Scope) -> Split:
    """In the report's transaction (the cache attached): the days whose copy's fingerprint
    is still the tickets' (read from the copy) and the others with tickets (read from the
    tickets)."""
    request = scope.request
    driver = connection.connection.driver_connection
    live_prints = fingerprints(driver, request.sites, request.first, request.last)
    copied = connection.execute(
        select(cached_days.c.site, cached_days.c.day, cached_days.c.fingerprint,
               cached_days.c.on_duty_rows)
        .where(cached_days.c.site.in_(request.sites), cached_days.c.day >= request.first,
               cached_days.c.day <= request.last)).all()
    valid = {(row.site, row.day) for row in copied
             if row.fingerprint and live_prints.get((row.site, row.day)) == row.fingerprint}
    stale = tuple((row.site, row.day) for row in copied
                  if live_prints.get((row.site, row.day), "") != row.fingerprint)
    tables = []
    for name, days in (("report_cached_days", sorted(valid)),
                       ("report_live_days", sorted(set(live_prints) - valid))):
        table = Table(name, MetaData(), Column("site", String(32), primary_key=True),
                      Column("day", Date(), primary_key=True), prefixes=["TEMPORARY"])
        table.create(connection)
        if days:
            connection.execute(insert(table), [{"site": site, "day": day}
                                               for site, day in days])
        tables.append(table)
    return Split(tables[0], tables[1], stale, len(valid),
                 sum(tickets_in(live_prints[key]) for key in valid),
                 sum(int(row.on_duty_rows) for row in copied if (row.site, row.day) in valid))


def tickets_in(fingerprint: str) -> int:
    """The tickets a day's fingerprint counts."""
    statuses = fingerprint.split(";", 1)[0]
    return sum(int(part.split("=", 1)[1].split("/", 1)[0])
               for part in statuses.split(",") if "=" in part)


def cached_facts(days: FromClause) -> FromClause:
    """The copied facts of ``days`` (a table of site and day)."""
    return select(*facts.c).select_from(
        days.join(facts, and_(facts.c.site == days.c.site, facts.c.day == days.c.day))) \
        .subquery("cached_facts")


def cached_on_duty(connection: Connection, days: Split) -> dict[tuple[str, str], float]:
    """Seconds on duty per (site, officer) over the cached days of ``days``, added up from
    the copy's per-day figures (the same double as the tickets' window pass gives: see
    :func:`server.reports.queries.on_duty_terms`). Raises
    :class:`~server.reports.errors.ReportDataError` when the copy holds other rows than its
    days counted (a damaged copy: the report is then read again from the tickets)."""
    cached = days.cached
    joined = cached.join(on_duty, and_(on_duty.c.site == cached.c.site,
                                       on_duty.c.day == cached.c.day))
    found: dict[tuple[str, str], float] = {}
    rows = 0
    for site, officer, seconds, count in connection.execute(
            select(on_duty.c.site, on_duty.c.officer, func.sum(on_duty.c.seconds),
                   func.count()).select_from(joined)
            .group_by(on_duty.c.site, on_duty.c.officer)):
        found[(site, officer)] = float(seconds)
        rows += int(count)
    if rows != days.cached_on_duty_rows:
        raise ReportDataError(None, "the reports' copy of closed days holds "
                                    f"{rows} rows of time on duty, not "
                                    f"{days.cached_on_duty_rows}")
    return found


def drop_stale(database: Path, days: Sequence[Day]) -> None:
    """Forget the copies of ``days`` (out of date): the next report copies them again."""
    if not days:
        return
    try:
        with _maintenance(database, cache_path(database)) as connection:
            connection.execute("BEGIN IMMEDIATE")
            for site, day in days:
                for table in ("facts", "on_duty", "days"):
                    connection.execute(f"DELETE FROM {SCHEMA}.{table} WHERE site = ? "
                                       "AND day = ?", (site, day.isoformat()))
            connection.execute("COMMIT")
    except (sqlite3.Error, OSError):
        discard(cache_path(database))
