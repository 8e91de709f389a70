"""Which server process owns which site, through PostgreSQL itself.

Several ``qms server`` processes may share one PostgreSQL database; each site is served by
exactly one of them at a time. Each process keeps one dedicated connection
(:class:`OwnershipConnection`) for as long as it lives, and holds on it:

* its **member lock**, a session advisory lock keyed by its public URL: while it is held the
  process is live, and its row in ``server_processes`` says where it is (``url``) and which
  sites it prefers (``[server] sites``);
* one **site lock** per site it owns, a session advisory lock keyed by the site's code.

PostgreSQL releases a session's advisory locks when the session ends: a process killed with
``kill -9`` closes its socket and its locks go at once; a machine that vanishes is noticed by
TCP keepalives, set on both ends of the session (about 6 s). Taking a site (:meth:`take`)
also raises the site's ``owner_epoch`` (the fencing epoch) in its row and records the new
owner; every commit writes that row only ``WHERE owner_epoch`` is its own
(:mod:`server.store.repository`), so a process that lost a site can never commit for it again,
whatever it still believes. :func:`read_view` reads who is live and who holds what, for the
running processes and for ``qms status``.

Everything here blocks; one connection is used from one thread at a time. Errors of the
driver are raised as :class:`OwnershipLost` (a :class:`StoreError`): the connection must be
presumed gone, and with it every lock it held.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from server.store.errors import StoreError, describe_error
from server.store.writer import Recipe

logger = logging.getLogger(__name__)

# Both ends of the session notice a peer gone silent within about 3 + 3 x 1 s.
KEEPALIVE_OPTIONS = {"keepalives": 1, "keepalives_idle": 3, "keepalives_interval": 1,
                     "keepalives_count": 3, "connect_timeout": 5}
_SESSION_SETTINGS = ("SET tcp_keepalives_idle = 3", "SET tcp_keepalives_interval = 1",
                     "SET tcp_keepalives_count = 3",
                     # A query that cannot get an answer must not hold the thread forever.
                     "SET statement_timeout = '5s'",
                     "SET application_name = 'qms server ownership'")


class OwnershipLost(StoreError):
    """The ownership connection failed: every lock it held must be presumed released."""


def lock_key(kind: str, name: str) -> int:
    """The advisory lock key (a signed 64-bit number) of a site (``kind`` ``site``) or a
    process (``member``); a hash, so that keys of two names meet with odds of 1 in 2^64."""
    value = int.from_bytes(hashlib.sha256(f"qms {kind} {name}".encode()).digest()[:8], "big")
    return value - (1 << 64) if value >= 1 << 63 else value


def _held_key(classid: int, objid: int) -> int:
    """A bigint advisory key from ``pg_locks`` (its high and low 32 bits)."""
    value = (int(classid) << 32) | int(objid)
    return value - (1 << 64) if value >= 1 << 63 else value


@dataclass(frozen=True, slots=True)
class Member:
    """A server process of the database: ``live`` while its member lock is held (by the
    database session ``backend``)."""

    url: str
    host: str
    pid: int
    sites: tuple[str, ...]
    version: str
    started_at: datetime
    live: bool
    backend: int | None


@dataclass(frozen=True, slots=True)
class SiteOwner:
    """A site's row: its epoch, the owner it last recorded, and who holds its lock now
    (``holder``: a database session's pid; ``None``: nobody, the site is free)."""

    code: str
    epoch: int
    recorded_owner: str | None
    since: datetime | None
    holder: int | None


@dataclass(frozen=True, slots=True)
class OwnershipView:
    """Who is live and who holds what, read in one go."""

    members: tuple[Member, ...]
    sites: dict[str, SiteOwner]
    # Site codes whose lock is held, with the holding session (configured sites may have no
    # row yet: a site never taken).
    site_holders: dict[str, int]
    configuration_version: int

    def live_owner(self, code: str) -> str | None:
        """The public URL of the live process holding ``code``'s lock, or ``None``."""
        holder = self.site_holders.get(code)
        if holder is None:
            return None
        for member in self.members:
            if member.live and member.backend == holder:
                return member.url
        return None


def read_view(cursor: Any, site_codes: Iterable[str]) -> OwnershipView:
    """Read the view on ``cursor`` (a psycopg cursor); ``site_codes``: the configured sites,
    whose locks are looked for even if they have no row yet."""
    cursor.execute(
        "SELECT pid, classid::bigint, objid::bigint FROM pg_locks "
        "WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
    held = {_held_key(classid, objid): int(pid) for pid, classid, objid in cursor.fetchall()}
    cursor.execute("SELECT url, host, pid, sites, version, started_at FROM server_processes "
                   "ORDER BY url")
    members = []
    for url, host, pid, sites, version, started_at in cursor.fetchall():
        backend = held.get(lock_key("member", url))
        members.append(Member(url, host, int(pid), _site_list(sites), version,
                              _aware(started_at), backend is not None, backend))
    cursor.execute("SELECT code, owner_epoch, owner, owned_since FROM sites ORDER BY code")
    rows = {code: (int(epoch), owner, _aware(since) if since is not None else None)
            for code, epoch, owner, since in cursor.fetchall()}
    codes = set(site_codes) | set(rows)
    holders = {code: held[lock_key("site", code)] for code in codes
               if lock_key("site", code) in held}
    sites = {code: SiteOwner(code, epoch, owner, since, holders.get(code))
             for code, (epoch, owner, since) in rows.items()}
    cursor.execute("SELECT coalesce(max(version), 0) FROM configuration_versions")
    row = cursor.fetchone()
    return OwnershipView(tuple(members), sites, holders, int(row[0]) if row else 0)


def _site_list(text: str) -> tuple[str, ...]:
    try:
        value = json.loads(text)
    except ValueError:
        return ()
    return tuple(item for item in value if isinstance(item, str)) if isinstance(value,
                                                                                list) else ()


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class OwnershipConnection:
    """This process's ownership session (see the module docstring). Blocking; one thread."""

    def __init__(self, recipe: Recipe) -> None:
        if recipe.driver != "psycopg":
            raise StoreError("site ownership needs PostgreSQL")
        self._recipe = recipe
        self._connection: Any = None
        self.backend: int | None = None

    def open(self) -> int:
        """Connect (autocommit; keepalives on both ends); returns the session's pid."""
        import psycopg

        options = {**self._recipe.options, **KEEPALIVE_OPTIONS, "autocommit": True}
        try:
            self._connection = psycopg.connect(*self._recipe.args, **options)
            with self._connection.cursor() as cursor:
                for setting in _SESSION_SETTINGS:
                    cursor.execute(setting)
                cursor.execute("SELECT pg_backend_pid()")
                self.backend = int(cursor.fetchone()[0])
        except psycopg.Error as error:
            self.close()
            raise OwnershipLost(f"cannot open the ownership connection: "
                                f"{describe_error(error)}") from error
        return self.backend

    def close(self) -> None:
        """Close the session: PostgreSQL releases every lock it held."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception as error:  # noqa: BLE001 - closing a broken session: nothing to do
                logger.debug("closing the ownership connection: %s", error)

    def join(self, url: str, host: str, pid: int, sites: tuple[str, ...],
             version: str) -> bool:
        """Take the member lock of ``url`` and record this process; False when another live
        process already has that URL (nothing changed then)."""
        with self._cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", (lock_key("member", url),))
            if not cursor.fetchone()[0]:
                return False
            cursor.execute(
                "INSERT INTO server_processes (url, host, pid, sites, version, started_at) "
                "VALUES (%s, %s, %s, %s, %s, now() AT TIME ZONE 'UTC') "
                "ON CONFLICT (url) DO UPDATE SET host = excluded.host, pid = excluded.pid, "
                "sites = excluded.sites, version = excluded.version, "
                "started_at = excluded.started_at",
                (url, host[:255], pid, json.dumps(list(sites)), version[:32]))
        return True

    def take(self, code: str, owner: str, today: date) -> int | None:
        """Take site ``code`` for the process at ``owner`` (its public URL): its lock, then,
        in one transaction, its epoch raised by one and the owner recorded (a site never
        served gets its row: day ``today``, no events). Returns the new epoch, or ``None``
        when another process holds the site.

        The epoch's ``UPDATE`` waits for a commit of the former owner that has already
        written the site's row: what the new owner reads next includes it.
        """
        key = lock_key("site", code)
        with self._cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", (key,))
            if not cursor.fetchone()[0]:
                return None
            try:
                with self._connection.transaction():
                    cursor.execute(
                        "INSERT INTO sites (code, business_date, seq, next_queue_key, "
                        "owner_epoch, owner, owned_since) "
                        "VALUES (%s, %s, 0, 1, 1, %s, now() AT TIME ZONE 'UTC') "
                        "ON CONFLICT (code) DO UPDATE SET "
                        "owner_epoch = sites.owner_epoch + 1, owner = excluded.owner, "
                        "owned_since = excluded.owned_since RETURNING owner_epoch",
                        (code, today, owner))
                    epoch = int(cursor.fetchone()[0])
            except BaseException:
                cursor.execute("SELECT pg_advisory_unlock(%s)", (key,))
                raise
        return epoch

    def release(self, code: str) -> None:
        """Give site ``code``'s lock up (held or not)."""
        with self._cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", (lock_key("site", code),))

    def view(self, site_codes: Iterable[str]) -> OwnershipView:
        with self._cursor() as cursor:
            return read_view(cursor, site_codes)

    def _cursor(self) -> _Cursor:
        if self._connection is None:
            raise OwnershipLost("the ownership connection is closed")
        return _Cursor(self._connection)


class _Cursor:
    """A cursor whose driver errors become :class:`OwnershipLost`."""

    def __init__(self, connection: Any) -> None:
        self._cursor = connection.cursor()

    def __enter__(self) -> Any:
        return self._cursor

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 _traceback: object) -> None:
        import psycopg

        self._cursor.close()
        if isinstance(error, psycopg.Error):
            raise OwnershipLost(f"the ownership connection failed: "
                                f"{describe_error(error)}") from error
