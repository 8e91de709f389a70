"""``qms status``: which server process serves which site, read from the database.

On PostgreSQL (several processes may share the database: server.app.ownership) it lists the
server processes (live while they hold their member lock) and, for each configured site, the
process that holds it now, its fencing epoch and since when. On SQLite one process serves
every site, and there is nothing more to say. A site fed by a centre's own server (store
and forward) has how far its forwarding has come beside it: its last ``seq`` and when its
last event happened at the centre.

The exit status is 0 when every configured site has a live owner, 1 when one has none (a
monitoring check can run it), 2 when the database cannot be read; when its URL asks for a
primary (``target_session_attrs=read-write``, several hosts) and none answers, the report
says "no database primary" (a failover under way), with exit status 2 too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from server.store.configuration import ConfigurationStore
from server.store.database import (
    Engines,
    StoreError,
    describe_database,
    open_engines,
    writer_recipe,
)
from server.store.errors import describe_error
from server.store.ownership import OwnershipView, read_view
from server.store.tables import EventRow, SiteRow


@dataclass(frozen=True, slots=True)
class StatusReport:
    """What ``qms status`` prints (``text``) and its exit status."""

    text: str
    status: int
    document: dict[str, Any]


def ownership_status(url: str) -> StatusReport:
    """The report for the database at ``url`` (raises StoreError when it cannot be read)."""
    engines = open_engines(url)
    try:
        try:
            configured = _configured_sites(engines)
        except StoreError as error:
            if engines.is_sqlite or not _asks_for_primary(engines):
                raise
            return _no_primary_report(url, error)
        forwarded = _forwarded(engines)
        if engines.is_sqlite:
            return _sqlite_report(url, configured, forwarded)
        return _report(url, configured, _read(engines, configured), forwarded)
    finally:
        engines.dispose()


def _configured_sites(engines: Engines) -> tuple[str, ...]:
    return tuple(code for code, _ in _configured(engines))


def _configured(engines: Engines) -> list[tuple[str, bool]]:
    """Each configured site's code, and whether a centre's own server feeds it."""
    latest = ConfigurationStore(engines).latest()
    if latest is None:
        return []
    return [(str(site.get("code")), site.get("forwarded_from_centre") is True)
            for site in latest.document.get("sites", [])
            if isinstance(site, dict) and site.get("code")]


@dataclass(frozen=True, slots=True)
class Forwarded:
    """What the province holds of a site a centre feeds: its last ``seq`` and when its last
    event happened at the centre (``None``: nothing forwarded yet)."""

    seq: int
    last_event_at: datetime | None

    def text(self) -> str:
        if self.last_event_at is None:
            return "fed by its centre: nothing forwarded yet"
        return (f"fed by its centre: seq {self.seq}, last event "
                f"{_when(self.last_event_at)}")

    def document(self) -> dict[str, Any]:
        return {"seq": self.seq, "last_event_at": None if self.last_event_at is None
                else self.last_event_at.isoformat()}


def _forwarded(engines: Engines) -> dict[str, Forwarded]:
    """The sites fed by a centre, and how far their forwarding has come."""
    codes = [code for code, fed in _configured(engines) if fed]
    if not codes:
        return {}
    try:
        with engines.reader.connect() as connection:
            seqs = dict(connection.execute(
                select(SiteRow.code, SiteRow.seq).where(SiteRow.code.in_(codes))).all())
            lasts = dict(connection.execute(
                select(EventRow.site, func.max(EventRow.at)).where(EventRow.site.in_(codes))
                .group_by(EventRow.site)).all())
    except SQLAlchemyError as error:
        raise StoreError(f"cannot read {describe_database(engines.url)}: "
                         f"{describe_error(error)}") from error
    return {code: Forwarded(int(seqs.get(code) or 0), lasts.get(code)) for code in codes}


def _read(engines: Engines, configured: tuple[str, ...]) -> OwnershipView:
    import psycopg

    recipe = writer_recipe(engines)
    try:
        with psycopg.connect(*recipe.args, **recipe.options, autocommit=True) as connection, \
                connection.cursor() as cursor:
            return read_view(cursor, configured)
    except psycopg.Error as error:
        raise StoreError(f"cannot read {describe_database(engines.url)}: "
                         f"{describe_error(error)}") from error


def _asks_for_primary(engines: Engines) -> bool:
    """Whether the URL names standbys beside the primary (several hosts, or a session
    attribute that only a primary has)."""
    query = engines.writer.url.query
    hosts = query.get("host", ())
    return (not isinstance(hosts, str) and len(hosts) > 1) or \
        query.get("target_session_attrs") in ("read-write", "primary")


def _no_primary_report(url: str, error: StoreError) -> StatusReport:
    database = describe_database(url)
    text = (f"{database}: no database primary: no host of the address accepts writes now "
            f"({error}). A failover may be under way: the server processes serve what they "
            "hold and refuse changes until a standby is promoted.")
    return StatusReport(text, 2, {"database": database, "engine": "postgresql",
                                  "primary": None, "error": "no database primary",
                                  "reason": str(error)})


def _sqlite_report(url: str, configured: tuple[str, ...],
                   forwarded: dict[str, Forwarded]) -> StatusReport:
    text = (f"{describe_database(url)}: embedded SQLite, one server process serves every "
            f"site ({', '.join(configured) or 'none configured yet'}).")
    for code, progress in forwarded.items():
        text += f"\n  {code}: {progress.text()}"
    return StatusReport(text, 0, {"database": describe_database(url), "engine": "sqlite",
                                  "sites": [{"code": code, **(
                                      {"forwarded": forwarded[code].document()}
                                      if code in forwarded else {})}
                                      for code in configured]})


def _when(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _report(url: str, configured: tuple[str, ...], view: OwnershipView,
            forwarded: dict[str, Forwarded]) -> StatusReport:
    live = [member for member in view.members if member.live]
    lines = [f"{describe_database(url)}: {len(live)} live server process"
             f"{'' if len(live) == 1 else 'es'}", "", "Server processes:"]
    if not view.members:
        lines.append("  (none has run on this database yet)")
    for member in view.members:
        owned = sorted(code for code in view.site_holders
                       if view.live_owner(code) == member.url)
        prefers = ", ".join(member.sites) if member.sites else "an even share"
        lines.append(f"  {'live' if member.live else 'gone'}  {member.url}  (host "
                     f"{member.host}, pid {member.pid}, version {member.version}, started "
                     f"{_when(member.started_at)}; prefers {prefers})"
                     + (f": serves {', '.join(owned)}" if member.live else ""))
    lines += ["", "Sites:"]
    without = []
    sites = []
    for code in sorted(set(configured) | set(view.sites)):
        row = view.sites.get(code)
        owner = view.live_owner(code)
        if owner is None and code in configured:
            without.append(code)
        epoch = row.epoch if row is not None else 0
        since = row.since if row is not None and owner is not None else None
        note = "" if code in configured else "  (no longer configured)"
        if code in forwarded:
            note += f"  ({forwarded[code].text()})"
        lines.append(f"  {code:<20} {owner or 'NO OWNER':<32} epoch {epoch:<5} since "
                     f"{_when(since)}{note}")
        sites.append({"code": code, "owner": owner, "epoch": epoch,
                      "since": None if since is None else since.isoformat(),
                      "configured": code in configured,
                      **({"forwarded": forwarded[code].document()}
                         if code in forwarded else {})})
    if not configured:
        lines.append("  (no configuration in the database yet)")
    if without:
        lines += ["", f"Without a live owner: {', '.join(without)} (a process takes a free "
                      "site within seconds; if none is running, start one)"]
    document = {
        "database": describe_database(url), "engine": "postgresql",
        "processes": [{"url": member.url, "live": member.live, "host": member.host,
                       "pid": member.pid, "version": member.version,
                       "started_at": member.started_at.isoformat(),
                       "prefers": list(member.sites)} for member in view.members],
        "sites": sites,
    }
    return StatusReport("\n".join(lines), 1 if without else 0, document)


def as_json(report: StatusReport) -> str:
    return json.dumps(report.document, ensure_ascii=False, indent=2)
