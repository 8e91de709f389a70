"""Which sites each part of a large SQLite report reads (:mod:`server.reports.partition`):
parts of about as many tickets, or one part when splitting would not pay.

The plan only balances the parts: whatever it decides, the merged figures are exactly those
of one reading. So its ticket counts may be approximate, and are taken where they are
cheapest: a day the reports' copy of closed days holds (:mod:`server.reports.day_cache`)
counts the tickets its fingerprint counted when it was copied (the copy's ``days`` table, a
few thousand short rows; counting a month of a province's tickets in their index takes about
0.08 s of the report's start). The other days are counted in the tickets. A copied day
changed since (stale) counts what it held when copied; the report itself then reads that
day from the tickets.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from server.reports import day_cache, queries
from server.reports.errors import ReportDataError
from server.reports.source import reading

# Below this many tickets a report is read in one part: starting the second connection,
# the second base and the merging cost more than they save (measured: docs/reports.md).
MIN_TICKETS = 150_000


def plan(engine: Engine, scope: queries.Scope, parts: int | None,
         load: float | None = None, cache: Path | None = None) -> list[tuple[str, ...]] | None:
    """The report's sites in parts of about as many tickets each (largest first to the
    lighter part), or ``None`` to read them in one: on another database than SQLite, with
    one site, or ``parts`` 1; and when ``parts`` is ``None``, under :data:`MIN_TICKETS`
    tickets or without a free core (:func:`free_core`; ``load``: the 1-minute load average,
    by default the machine's). ``parts`` 2 splits whatever the size and load (the tests,
    the benchmark). ``cache``: the reports' copy of closed days, when the report uses one
    (its days' tickets are counted from it: :func:`site_tickets`)."""
    if scope.dialect != "sqlite" or len(scope.sites) < 2 or parts == 1:
        return None
    if parts is None and not free_core(load):
        return None
    try:
        counts = _counts(engine, scope, cache)
    except ReportDataError:
        if cache is None:
            raise
        counts = _counts(engine, scope, None)  # a copy it cannot read: the report finds out
    if parts is None and sum(counts.values()) < MIN_TICKETS:
        return None
    loads: list[list[str]] = [[], []]
    weights = [0, 0]
    for code in sorted(scope.request.sites, key=lambda item: -counts.get(item, 0)):
        lighter = 0 if weights[0] <= weights[1] else 1
        loads[lighter].append(code)
        weights[lighter] += counts.get(code, 0)
    if not loads[1]:
        return None
    return [tuple(code for code in scope.request.sites if code in load) for load in loads]


def free_core(load: float | None = None) -> bool:
    """Whether a core is likely free for the second part: the 1-minute load average
    (``load``, by default the machine's) under the cores less half of one. On a machine
    whose cores are all busy already the second part finds none, and its extra work (a
    second base, the merging: 1.4-2.7 s of CPU for a month of a province) only makes
    the report later."""
    if load is None:
        try:
            load = os.getloadavg()[0]
        except OSError:  # no load average here: assume the cores are free
            return True
    return load < (os.cpu_count() or 1) - 0.5


def _counts(engine: Engine, scope: queries.Scope, cache: Path | None) -> dict[str, int]:
    attach = (day_cache.attach_statement(cache),) if cache is not None else ()
    with reading(engine, attach) as connection:
        return site_tickets(connection, scope, cached=cache is not None)


def site_tickets(connection: Connection, scope: queries.Scope,
                 cached: bool) -> dict[str, int]:
    """Tickets per site of ``scope`` (sites without any left out): with ``cached`` (the
    copy attached to ``connection``) the copied days as their fingerprints count them, the
    other days counted in the tickets; else every day counted in the tickets."""
    column, request = queries.tickets.c, scope.request
    counts: dict[str, int] = {}
    where: ColumnElement[bool] = scope.where()
    if cached:
        copied: dict[str, set[date]] = {}
        table = day_cache.cached_days.c
        for site, day, fingerprint in connection.execute(
                select(table.site, table.day, table.fingerprint).where(
                    table.site.in_(request.sites), table.day >= request.first,
                    table.day <= request.last)):
            copied.setdefault(site, set()).add(day)
            counts[site] = counts.get(site, 0) + day_cache.tickets_in(fingerprint)
        # Sites with the same days to count (usually all: the live day) share a condition.
        alike: dict[tuple[tuple[date, date], ...], list[str]] = {}
        for site in request.sites:
            runs = tuple(_uncopied(request.first, request.last, copied.get(site, set())))
            if runs:
                alike.setdefault(runs, []).append(site)
        ranges = [and_(column.site.in_(sites), column.business_date >= first,
                       column.business_date <= last)
                  for runs, sites in alike.items() for first, last in runs]
        if not ranges:
            return {site: count for site, count in counts.items() if count}
        where = or_(*ranges)
    for site, count in connection.execute(
            select(column.site, func.count()).where(where).group_by(column.site)):
        counts[site] = counts.get(site, 0) + int(count)
    return {site: count for site, count in counts.items() if count}


def _uncopied(first: date, last: date, copied: set[date]) -> Sequence[tuple[date, date]]:
    """The runs of days from ``first`` to ``last`` not in ``copied`` (usually one: the days
    from a site's live day on)."""
    runs: list[tuple[date, date]] = []
    start: date | None = None
    day = first
    while day <= last:
        if day in copied:
            if start is not None:
                runs.append((start, day - timedelta(days=1)))
                start = None
        elif start is None:
            start = day
        day += timedelta(days=1)
    if start is not None:
        runs.append((start, last))
    return runs
