"""A large SQLite report read in two parts side by side, then merged: exactly the figures of
one reading.

A month of a province on SQLite is about eight seconds of one core in SQLite itself (the
base, the groupings, the sorts). The report's sites are split in two parts of about as many
tickets (:mod:`server.reports.split_plan`); each part is read on a connection of its own,
in a thread of its own
(Python's ``sqlite3`` lets go of the interpreter's lock while SQLite runs a statement, so two
statements run on two cores; a thread, not a process: nothing to start, send or clean up
beyond the connection, and it ends with the report's process). What the parts return is
merged here (:func:`read`):

- Rows of one site (by service, field, counter, officer, site) are each part's own: their
  figures, percentiles and cases are the part's.
- Counts, sums and maxima of rows spanning sites (by hour, by day, the total, the charts)
  add up.
- Cases (QĐ 766) spanning sites: a case code is compared across sites, so a code served in
  both parts would count twice. Each part lists its served codes that also appear among the
  other part's tickets (the database's own look-up, usually none: the e-system's codes are
  unique); for those few each part then returns where they were served (day, hour, week,
  dissatisfied), and the merge takes the ones counted twice off.
- Percentiles of the hour and day rows (nearest rank): each part sorts its times of each
  group into a TEMP table (row ids are ranks within the part); the ``k``-th of both parts
  is found by bisecting how many of its predecessors come from the first part, a few
  values fetched by row id per step (:func:`_ranks_of_two`).
- The total's percentiles: the brackets of :mod:`server.reports.percentiles` over parts.
  Each part returns a systematic sample of its times (one step for all parts, from the
  merged count); the merged samples choose ``lo`` and ``hi`` around each rank; each part
  returns how many of its times are below ``lo`` and its times from ``lo`` to ``hi``,
  sorted; the rank lies among the merged slice when the counts say so, else the bracket is
  widened towards it and asked again (until it is unbounded on that side: always exact).

The two parts read two snapshots taken a few milliseconds apart (SQLite has no way to share
one between connections): each site's figures are of one moment, the sum of a live day's
sites may be of two. Should a part fail, the other's statement is interrupted and both
connections are closed before the error goes on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from server.reports import day_cache, queries
from server.reports import percentiles as percentiles_of
from server.reports import run as single
from server.reports.model import Charts, Figures, ReportRow, ScaleStep, WeekSatisfaction
from server.reports.percentiles import Percentiles, ranks
from server.reports.request import Breakdown
from server.reports.source import reading
from server.reports.sql import week_start

GroupKey = tuple[str | None, Any]
T = TypeVar("T")
# Breakdowns whose rows span sites (the rest are per site).
SPANNING = (Breakdown.HOUR, Breakdown.DAY)
# Samples per group: about (6.4 n)^(2/3) of n times minimises what a one-round bracket
# brings back (the sample plus the slices); scaled by SAMPLE_SCALE (tests make it tiny to
# force misses).
SAMPLE_SCALE = 1.0
# A bracket reaches this many standard deviations of the sample's rank either side (see
# server.reports.percentiles).
SPREAD = 4.0
_NO_LOW, _NO_HIGH = -1e300, 1e300
_MEASURES = percentiles_of.MEASURES


@dataclass
class _Part:
    """One part's connection, session and what it found."""

    scope: queries.Scope
    others: tuple[str, ...]
    connection: Connection | None = None
    session: single.ReportSession | None = None
    grouped: dict[Breakdown, dict[GroupKey, Any]] = field(default_factory=dict)
    sums: list[Any] = field(default_factory=list)
    cases: Any = None
    counts: single.ChartCounts | None = None
    weeks: tuple[WeekSatisfaction, ...] = ()
    shared: set[str] = field(default_factory=set)
    # Per (hour or day breakdown, measure): the TEMP table of the part's times sorted by
    # group then time, and each group's first row id in it.
    sorted: dict[tuple[Breakdown, str], tuple[Table, dict[GroupKey, int]]] = \
        field(default_factory=dict)

    @property
    def live(self) -> tuple[Connection, single.ReportSession]:
        assert self.connection is not None and self.session is not None
        return self.connection, self.session


def read(engine: Engine, scope: queries.Scope, breakdowns: Sequence[Breakdown],
         cache: Path | None, database: Path | None,
         site_parts: Sequence[Sequence[str]]) -> tuple[
             dict[Breakdown, tuple[ReportRow, ...]], Figures, Charts, tuple[ScaleStep, ...]]:
    """What :func:`server.reports.run._read` returns, read in ``site_parts`` side by side
    and merged (see the module's docstring)."""
    scale = single.scale_of(scope.sites)
    scores = [step.score for step in scale]
    wanted = tuple(dict.fromkeys(breakdowns))
    parts = [_Part(_sub_scope(scope, codes),
                   tuple(code for code in scope.request.sites if code not in codes))
             for codes in site_parts]
    attach = (day_cache.attach_statement(cache),) if cache is not None else ()
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=len(parts)) as pool:
        for part in parts:
            part.connection = stack.enter_context(reading(engine, attach))

        def first(part: _Part) -> None:
            assert part.connection is not None
            session = part.session = single.ReportSession(part.connection, part.scope,
                                                          cached=cache is not None,
                                                          scale=scale)
            _read_part(part, session, wanted, scores)

        _each(pool, parts, first)
        grouped: dict[Breakdown, dict[GroupKey, Figures]] = {}
        overlaps = _Overlaps(pool, parts)
        for breakdown in wanted:
            if breakdown in SPANNING:
                grouped[breakdown] = _merge_spanning(parts, breakdown, scores, overlaps)
            else:
                grouped[breakdown] = {key: figures for part in parts
                                      for key, figures in part.grouped[breakdown].items()}
        sums = [row for part in parts for row in part.sums]
        timed = sum(single._int(row.timed) for row in sums)
        total_percentiles = _merged_percentiles(pool, parts, None, {percentiles_of.TOTAL:
                                                                     timed})
        total = single._figures_of(
            single._Totals(sums, scores, SimpleNamespace(
                cases_served=sum(single._int(part.cases.cases_served) for part in parts)
                - overlaps.served("total", None),
                cases_dissatisfied=sum(single._int(part.cases.cases_dissatisfied)
                                       for part in parts)
                - overlaps.dissatisfied("total", None))),
            total_percentiles.get(percentiles_of.TOTAL), scores, None)
        charts = single.charts_of(_merged_counts(parts), _merged_weeks(parts, overlaps))
    stale = tuple(day for part in parts for day in (part.session.stale if part.session
                                                    else ()))
    if database is not None and stale:
        day_cache.drop_stale(database, stale)
    return ({breakdown: single.rows_of(scope.sites, breakdown, grouped[breakdown])
             for breakdown in wanted}, total, charts, scale)


def _sub_scope(scope: queries.Scope, codes: Sequence[str]) -> queries.Scope:
    return replace(scope, request=replace(scope.request, sites=tuple(codes)),
                   sites=tuple(site for site in scope.sites if site.code in codes),
                   periods={code: scope.periods[code] for code in codes})


def _read_part(part: _Part, session: single.ReportSession, wanted: Sequence[Breakdown],
               scores: Sequence[int]) -> None:
    """A part's own figures: its per-site rows whole, the spanning ones' additive figures,
    its cases, chart counts and weeks, and its served case codes found among the other
    part's tickets."""
    connection, base = session.connection, session.base
    for breakdown in wanted:
        if breakdown in SPANNING:
            rows = list(connection.execute(
                queries.figures_statement(session.scope, base, breakdown, scores)))
            part.grouped[breakdown] = {single._key(row): row for row in rows}
            _sort_groups(part, session, breakdown, rows)
            part.sums = part.sums or rows
        else:
            part.grouped[breakdown] = session._grouped(breakdown)
    part.sums = part.sums or list(session._sums or connection.execute(
        queries.figures_statement(session.scope, base, None, scores)))
    part.cases = connection.execute(queries.total_cases_statement(session.scope, base)).one()
    part.counts = session.chart_counts()
    part.weeks = session.weeks()
    column, request = queries.tickets.c, part.scope.request
    elsewhere = select(column.case_code).where(
        column.site.in_(part.others), column.business_date >= request.first,
        column.business_date <= request.last, column.case_code.is_not(None))
    part.shared = set(connection.execute(
        select(base.c.case_code).distinct().where(
            base.c.status == queries.DONE, base.c.case_code.in_(elsewhere))).scalars())


def _each(pool: ThreadPoolExecutor, parts: Sequence[_Part],
          work: Callable[[_Part], T]) -> list[T]:
    """``work`` on every part at once; the first failure interrupts the other parts'
    statements (SQLite's ``interrupt``), waits for them and is raised."""
    futures: list[Future[T]] = [pool.submit(work, part) for part in parts]
    try:
        done, _pending = wait(futures, return_when=FIRST_EXCEPTION)
        if any(future.exception() is not None for future in done):
            raise next(error for future in done
                       if (error := future.exception()) is not None)
        return [future.result() for future in futures]
    except BaseException:
        # Again until they have stopped: an interrupt between two statements is lost.
        while not all(future.done() for future in futures):
            for part in parts:
                if part.connection is not None:
                    driver = part.connection.connection.driver_connection
                    if driver is not None:
                        driver.interrupt()
            wait(futures, timeout=0.05)
        raise


class _Overlaps:
    """The served case codes counted in both parts, per group: to take off the sums of the
    parts' distinct counts. Asked of the parts only when some code is shared."""

    def __init__(self, pool: ThreadPoolExecutor, parts: Sequence[_Part]) -> None:
        shared = sorted(set().union(*(part.shared for part in parts)))
        # (family, group key, code) -> dissatisfied there, per part.
        self._found: list[dict[tuple[str, Any, str], bool]] = [{} for _ in parts]
        if not shared:
            return
        results = _each(pool, parts, lambda part: _served_shared(part, shared))
        for found, rows in zip(self._found, results, strict=True):
            for day, hour, week, code, dissatisfied in rows:
                for family, key in (("total", None), ("hour", hour), ("day", day),
                                    ("week", week)):
                    slot = (family, key, code)
                    found[slot] = found.get(slot, False) or bool(dissatisfied)

    def served(self, family: str, key: Any) -> int:
        return self._twice(family, key, lambda first, second: True)

    def dissatisfied(self, family: str, key: Any) -> int:
        return self._twice(family, key, lambda first, second: first and second)

    def _twice(self, family: str, key: Any, counted: Callable[[bool, bool], bool]) -> int:
        if len(self._found) < 2 or not self._found[0]:
            return 0
        first, second = self._found[0], self._found[1]
        return sum(1 for slot, dissatisfied in first.items()
                   if slot[0] == family and slot[1] == key and slot in second
                   and counted(dissatisfied, second[slot]))


def _served_shared(part: _Part, codes: Sequence[str]) -> list[tuple[Any, ...]]:
    """(day, local hour of issue, week, code, dissatisfied) of the part's served tickets of
    ``codes``, one per day, hour and code."""
    connection, session = part.live
    table = Table("report_shared_codes", MetaData(), Column("code", String(64),
                                                            primary_key=True),
                  prefixes=["TEMPORARY"])
    table.drop(connection, checkfirst=True)
    table.create(connection)
    connection.execute(insert(table), [{"code": code} for code in codes])
    base = session.base.c
    week = week_start(session.scope.dialect, base.day)
    statement = select(base.day, base.arrival_hour, week.label("week"), base.case_code,
                       func.max(base.dissatisfied)) \
        .select_from(session.base.join(table, table.c.code == base.case_code)) \
        .where(base.status == queries.DONE) \
        .group_by(base.day, base.arrival_hour, base.case_code)
    rows = [tuple(row) for row in connection.execute(statement)]
    table.drop(connection)
    return [(single._as_date(day), None if hour is None else int(hour),
             single._as_date(week), code, dissatisfied)
            for day, hour, week, code, dissatisfied in rows]


def _merge_spanning(parts: Sequence[_Part], breakdown: Breakdown, scores: Sequence[int],
                    overlaps: _Overlaps) -> dict[GroupKey, Figures]:
    """The rows of an hour or day breakdown: the parts' figures added up, their cases less
    the ones counted twice, their percentiles merged."""
    family = breakdown.value
    keys = list(dict.fromkeys(key for part in parts for key in part.grouped[breakdown]))
    counts = {key: sum(single._int(part.grouped[breakdown][key].timed) for part in parts
                       if key in part.grouped[breakdown]) for key in keys}
    ranked = _ranks_of_two(parts, breakdown, counts)
    merged = {}
    for key in keys:
        rows = [part.grouped[breakdown][key] for part in parts
                if key in part.grouped[breakdown]]
        cases = SimpleNamespace(
            cases_served=sum(single._int(row.cases_served) for row in rows)
            - overlaps.served(family, _plain(key[1])),
            cases_dissatisfied=sum(single._int(row.cases_dissatisfied) for row in rows)
            - overlaps.dissatisfied(family, _plain(key[1])))
        merged[key] = single._figures_of(single._Totals(rows, scores, cases), ranked.get(key),
                                         scores, None)
    return merged


def _plain(key: Any) -> Any:
    """A group key as the overlaps hold it (days as dates, hours as integers)."""
    if key is None or isinstance(key, int):
        return key
    return single._as_date(key)


def _sort_groups(part: _Part, session: single.ReportSession, breakdown: Breakdown,
                 rows: Sequence[Any]) -> None:
    """Sort the part's times of each group of an hour or day breakdown into TEMP tables
    (as :func:`server.reports.percentiles.by_sorting` does): the ``i``-th time of a group
    is then the row ``first + i - 1``, ``first`` following from the counts of the groups
    before it (``rows``: the figures' rows, in the order the sort puts the groups)."""
    connection, base = session.connection, session.base
    column = _group_column(part, breakdown)
    assert column is not None
    starts: dict[GroupKey, int] = {}
    first = 1
    for row in rows:
        starts[single._key(row)] = first
        first += single._int(row.timed)
    for measure in _MEASURES:
        table = Table(f"report_sorted_{breakdown.value}_{measure}", MetaData(),
                      Column("value", Float()), prefixes=["TEMPORARY"])
        table.create(connection)
        value = base.c[measure]
        connection.execute(insert(table).from_select(
            ["value"], select(value).where(value.is_not(None)).order_by(column, value)))
        part.sorted[(breakdown, measure)] = (table, starts)


def _ranks_of_two(parts: Sequence[_Part], breakdown: Breakdown,
                  counts: dict[GroupKey, int]) -> dict[GroupKey, Percentiles]:
    """Each group's nearest ranks over two parts' sorted times (:func:`_sort_groups`): the
    ``k``-th of two sorted lists by bisecting how many of the first list come before it,
    every search of every group and measure a step at a time, each step's values fetched
    by row id in one statement per part and measure: a few dozen values per search come to
    Python, never the times."""
    assert len(parts) == 2, "plan makes two parts"
    sizes = [{key: single._int(row.timed) for key, row in part.grouped[breakdown].items()}
             for part in parts]
    # (key, measure, position) -> [low, high, rank]: how many of the rank's predecessors
    # (itself included) come from the first part lies in [low, high].
    searches: dict[tuple[GroupKey, str, int], list[int]] = {}
    for key, count in counts.items():
        if not count:
            continue
        mine, theirs = sizes[0].get(key, 0), sizes[1].get(key, 0)
        for measure in _MEASURES:
            for position, rank in enumerate(ranks(count)):
                searches[(key, measure, position)] = [max(0, rank - theirs),
                                                      min(rank, mine), rank]
    found: dict[tuple[GroupKey, str, int], float] = {}
    while len(found) < len(searches):
        wanted: list[dict[tuple[GroupKey, str, int], tuple[int, int]]] = [{}, {}]
        for slot, (low, high, rank) in searches.items():
            if slot in found:
                continue
            taken = (low + high) // 2
            wanted[0][slot] = (taken, taken + 1)
            wanted[1][slot] = (rank - taken, rank - taken + 1)
        values: list[dict[str, dict[int, float]]] = []
        for index, part in enumerate(parts):
            rows: dict[str, set[int]] = {}
            for (key, measure, _position), pair in wanted[index].items():
                start = part.sorted[(breakdown, measure)][1].get(key, 1)
                size = sizes[index].get(key, 0)
                rows.setdefault(measure, set()).update(
                    start + item - 1 for item in pair if 1 <= item <= size)
            values.append({measure: _values_at(part, breakdown, measure, rowids)
                           for measure, rowids in rows.items()})
        for slot, (low, high, rank) in searches.items():
            if slot in found:
                continue
            key, measure, _position = slot
            taken = (low + high) // 2
            rest = rank - taken
            place = (parts, breakdown, sizes, values, key, measure)
            mine_next, theirs_last = _time_at(place, 0, taken + 1), _time_at(place, 1, rest)
            mine_last, theirs_next = _time_at(place, 0, taken), _time_at(place, 1, rest + 1)
            if mine_next is not None and theirs_last is not None and theirs_last > mine_next:
                searches[slot][0] = taken + 1  # more of the rank's predecessors are mine
            elif mine_last is not None and theirs_next is not None and mine_last > theirs_next:
                searches[slot][1] = taken - 1  # fewer
            else:
                found[slot] = max(value for value in (mine_last, theirs_last)
                                  if value is not None)
    return {key: Percentiles(found[(key, "waiting", 0)], found[(key, "waiting", 1)],
                             found[(key, "service_time", 0)], found[(key, "service_time", 1)])
            for key, count in counts.items() if count}


def _time_at(place: tuple[Sequence[_Part], Breakdown, list[dict[GroupKey, int]],
                          list[dict[str, dict[int, float]]], GroupKey, str],
             index: int, item: int) -> float | None:
    """The ``item``-th time (from 1) of a group in part ``index`` (``None`` past its
    ends), from the values fetched."""
    parts, breakdown, sizes, values, key, measure = place
    if item < 1 or item > sizes[index].get(key, 0):
        return None
    start = parts[index].sorted[(breakdown, measure)][1][key]
    return values[index][measure][start + item - 1]


def _values_at(part: _Part, breakdown: Breakdown, measure: str,
               rowids: set[int]) -> dict[int, float]:
    """The sorted times at ``rowids`` of the part's table of ``measure``."""
    connection = part.live[0]
    table = part.sorted[(breakdown, measure)][0]
    rowid: ColumnElement[int] = literal_column("rowid", Integer)
    return {int(row[0]): float(row[1]) for row in connection.execute(
        select(rowid, table.c.value).where(rowid.in_(sorted(rowids))))}


def _merged_counts(parts: Sequence[_Part]) -> single.ChartCounts:
    merged = single.ChartCounts({}, {}, {})
    for part in parts:
        assert part.counts is not None
        for mine, theirs in ((merged.arrivals, part.counts.arrivals),
                             (merged.calls, part.counts.calls),
                             (merged.buckets, part.counts.buckets)):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count
    return merged


def _merged_weeks(parts: Sequence[_Part],
                  overlaps: _Overlaps) -> tuple[WeekSatisfaction, ...]:
    weeks: dict[Any, list[int]] = {}
    for part in parts:
        for week in part.weeks:
            sums = weeks.setdefault(week.week_start, [0, 0, 0])
            sums[0] += week.cases_served
            sums[1] += week.cases_dissatisfied
            sums[2] += week.rated
    return tuple(WeekSatisfaction(week, served - overlaps.served("week", week),
                                  dissatisfied - overlaps.dissatisfied("week", week), rated)
                 for week, (served, dissatisfied, rated) in sorted(weeks.items()))


# --- percentiles over parts ----------------------------------------------------------------


@dataclass
class _Bracket:
    """A rank's bracket among a group's merged sample: indices of the sample (``None`` past
    its ends: no bound on that side) and the values they give."""

    rank: int
    position: int  # 0: the median, 1: the 90th percentile
    first: int | None
    last: int | None
    sample: list[float]

    @property
    def low(self) -> float | None:
        return None if self.first is None else self.sample[self.first]

    @property
    def high(self) -> float | None:
        return None if self.last is None else self.sample[self.last]

    def widen(self, downwards: bool) -> None:
        """Move past the side the rank fell beyond, four times as wide."""
        width = 4 * max(2, (self.last if self.last is not None else len(self.sample))
                        - (self.first if self.first is not None else 0))
        if downwards:
            self.last = self.first
            self.first = None if self.first is None or self.first - width < 0 \
                else self.first - width
        else:
            self.first = self.last
            self.last = None if self.last is None or self.last + width >= len(self.sample) \
                else self.last + width


def _merged_percentiles(pool: ThreadPoolExecutor, parts: Sequence[_Part],
                        breakdown: Breakdown | None,
                        counts: dict[GroupKey, int]) -> dict[GroupKey, Percentiles]:
    """Nearest-rank percentiles of each group of ``breakdown`` (hour, day, or the total
    without) over every part, from ``counts`` (each group's timed tickets, all parts)."""
    counted = {key: count for key, count in counts.items() if count}
    if not counted:
        return {}
    steps = {key: max(1, count // max(1, int(SAMPLE_SCALE * (6.4 * count) ** (2 / 3))))
             for key, count in counted.items()}
    samples = _each(pool, parts, lambda part: _sample(part, breakdown, steps))
    brackets: dict[tuple[GroupKey, str], list[_Bracket]] = {}
    for key, count in counted.items():
        for index, measure in enumerate(_MEASURES):
            sample = sorted(value for found in samples for value in found.get(key, {})
                            .get(index, ()))
            brackets[(key, measure)] = [_bracket(sample, rank, position, count)
                                        for position, rank in enumerate(ranks(count))]
    found: dict[tuple[GroupKey, str, int], float] = {}
    while True:
        open_ = {slot: [item for item in pairs if (*slot, item.position) not in found]
                 for slot, pairs in brackets.items()}
        open_ = {slot: pairs for slot, pairs in open_.items() if pairs}
        if not open_:
            break
        answers = _each(pool, parts, partial(_belows_and_slices, breakdown=breakdown,
                                             open_=open_))
        for (key, measure), pairs in open_.items():
            values = sorted(value for answer in answers
                            for value in answer[1].get((key, measure), ()))
            for bracket in pairs:
                position = bracket.position
                below = sum(answer[0].get((key, measure, position), 0) for answer in answers)
                window = [value for value in values
                          if (bracket.low is None or value >= bracket.low)
                          and (bracket.high is None or value <= bracket.high)]
                if below < bracket.rank <= below + len(window):
                    found[(key, measure, position)] = window[bracket.rank - below - 1]
                else:
                    bracket.widen(downwards=bracket.rank <= below)
    return {key: Percentiles(found[(key, "waiting", 0)], found[(key, "waiting", 1)],
                             found[(key, "service_time", 0)], found[(key, "service_time", 1)])
            for key in counted}


def _bracket(sample: list[float], rank: int, position: int, count: int) -> _Bracket:
    """The bracket of the ``rank``-th of ``count`` times among their sorted ``sample``
    (as :func:`server.reports.percentiles._bracket`)."""
    if not sample:
        return _Bracket(rank, position, None, None, sample)
    share = rank / count
    centre = share * len(sample)
    margin = int(SPREAD * math.sqrt(len(sample) * share * (1 - share))) + 2
    first, last = math.floor(centre) - margin, math.ceil(centre) + margin
    return _Bracket(rank, position, first if first >= 0 else None,
                    last if last < len(sample) else None, sample)


def _group_column(part: _Part, breakdown: Breakdown | None) -> ColumnElement[Any] | None:
    base = part.live[1].base.c
    return {None: None, Breakdown.HOUR: base.arrival_hour, Breakdown.DAY: base.day}[breakdown]


def _per_group(column: ColumnElement[Any] | None, values: dict[GroupKey, Any],
               default: Any) -> ColumnElement[Any]:
    """``values[group]`` of each row's group, as SQL."""
    if column is None:
        return literal(values.get(percentiles_of.TOTAL, default))
    return case(*((column == key[1], literal(value)) for key, value in values.items()),
                else_=literal(default))


def _sample(part: _Part, breakdown: Breakdown | None,
            steps: dict[GroupKey, int]) -> dict[GroupKey, dict[int, list[float]]]:
    """Every ``steps[group]``-th row of the part's base (by row id), of the timed tickets:
    their times per group and measure."""
    connection, session = part.live
    base = session.base
    column = _group_column(part, breakdown)
    rowid: ColumnElement[int] = literal_column("rowid", Integer)
    step = _per_group(column, steps, 1)
    statement = select(*(() if column is None else (column,)),
                       *(base.c[measure] for measure in _MEASURES)) \
        .where(base.c.waiting.is_not(None), rowid % step == 0)
    found: dict[GroupKey, dict[int, list[float]]] = {}
    for row in connection.execute(statement):
        key = percentiles_of.TOTAL if column is None else (None, row[0])
        values = row[-len(_MEASURES):]
        slots = found.setdefault(key, {})
        for index, value in enumerate(values):
            slots.setdefault(index, []).append(float(value))
    return found


def _belows_and_slices(part: _Part, breakdown: Breakdown | None,
                       open_: dict[tuple[GroupKey, str], list[_Bracket]]) -> tuple[
                           dict[tuple[GroupKey, str, int], int],
                           dict[tuple[GroupKey, str], list[float]]]:
    """For each open bracket, the part's times below its low bound; and per group and
    measure, its times inside any of the open brackets, sorted. The bounds are a TEMP table
    of a row per group joined to the base (no chain of ``CASE`` per row): one pass counts,
    one fetches."""
    connection, session = part.live
    base = session.base
    column = _group_column(part, breakdown)
    slots = [(measure, position) for measure in _MEASURES for position in (0, 1)]
    bounds = Table("report_bounds", MetaData(),
                   Column("key", column.type if column is not None else Integer(),
                          primary_key=True),
                   *(Column(f"{bound}_{measure}_{position}", Float())
                     for measure, position in slots for bound in ("low", "high")),
                   prefixes=["TEMPORARY"])
    bounds.drop(connection, checkfirst=True)
    bounds.create(connection)
    rows: dict[Any, dict[str, Any]] = {}
    for (key, measure), pairs in open_.items():
        row = rows.setdefault(key[1] if column is not None else 0, {})
        for bracket in pairs:
            row[f"low_{measure}_{bracket.position}"] = _low(bracket)
            row[f"high_{measure}_{bracket.position}"] = _high(bracket)
    # A bound not asked for: nothing below it, nothing inside.
    empty = {f"{bound}_{measure}_{position}": value for measure, position in slots
             for bound, value in (("low", _NO_HIGH), ("high", _NO_LOW))}
    connection.execute(insert(bounds), [{**empty, **row, "key": key}
                                        for key, row in rows.items()])
    joined = base.join(bounds, bounds.c.key == column) if column is not None \
        else base.join(bounds, literal(True))
    timed = base.c.waiting.is_not(None)
    counted = select(bounds.c.key, *(
        func.sum(case((base.c[measure] < bounds.c[f"low_{measure}_{position}"], 1),
                      else_=0)) for measure, position in slots)) \
        .select_from(joined).where(timed)
    if column is not None:
        counted = counted.group_by(bounds.c.key)
    belows: dict[tuple[GroupKey, str, int], int] = {}
    for counts in connection.execute(counted):
        if counts[0] is None:  # the total of no time at all
            continue
        key = percentiles_of.TOTAL if column is None else (None, counts[0])
        for index, (measure, position) in enumerate(slots):
            belows[(key, measure, position)] = int(counts[1 + index] or 0)

    def inside(measure: str) -> ColumnElement[bool]:
        value = base.c[measure]
        return or_(*(and_(value >= bounds.c[f"low_{measure}_{position}"],
                          value <= bounds.c[f"high_{measure}_{position}"])
                     for position in (0, 1)))

    slices: dict[tuple[GroupKey, str], list[float]] = {}
    fetched = select(bounds.c.key, *(base.c[measure] for measure in _MEASURES),
                     *(inside(measure).label(f"in_{measure}") for measure in _MEASURES)) \
        .select_from(joined).where(timed, or_(*(inside(measure) for measure in _MEASURES)))
    for found in connection.execute(fetched):
        key = percentiles_of.TOTAL if column is None else (None, found[0])
        for index, measure in enumerate(_MEASURES):
            if found[1 + len(_MEASURES) + index]:
                slices.setdefault((key, measure), []).append(float(found[1 + index]))
    for values in slices.values():
        values.sort()
    bounds.drop(connection)
    return belows, slices


def _low(bracket: _Bracket) -> float:
    return _NO_LOW if bracket.low is None else bracket.low


def _high(bracket: _Bracket) -> float:
    return _NO_HIGH if bracket.high is None else bracket.high

