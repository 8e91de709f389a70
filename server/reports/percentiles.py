"""Nearest-rank percentiles of waiting and service times, per group and for the total.

The nearest-rank ``p``-th percentile of ``n`` values is the value at rank ``ceil(p * n)``
once sorted (the median of 4 values is the 2nd, of 5 the 3rd; nothing is interpolated).
Every way below gives exactly that; only aggregated values, and for the total a bounded
slice of values around each rank, come back to Python.

- PostgreSQL: window functions (:func:`server.reports.queries.percentiles_statement`).
- SQLite: its window functions cost about two seconds per window over a month of a
  province's tickets (four windows per report), so a group's values are sorted once per time
  into a TEMP table instead, whose row ids then are the ranks: the ``k``-th value of a group
  is the row ``first + k - 1`` of the group (``first`` follows from the groups' counts in
  the order SQLite sorts them). A sort and a handful of row-id lookups, about a quarter of
  the windows' time.
- SQLite, the total (:func:`by_bracketing`): no sort of every time. A systematic sample of
  the times (about :data:`SAMPLE_SIZE`) brackets each wanted rank between two of its values
  ``lo`` and ``hi``; one pass counts the times below ``lo``, another fetches those from
  ``lo`` to ``hi`` (a few per cent of them), sorted. When the rank falls inside (``below <
  k <= below + len(slice)``) the answer is the slice's ``k - below``-th value, exactly what
  the sort gives; when the sample was unlucky it does not, and that time is sorted as above.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    FromClause,
    Integer,
    MetaData,
    Table,
    and_,
    case,
    func,
    insert,
    literal_column,
    or_,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from server.reports import queries
from server.reports.request import Breakdown

GroupKey = tuple[str | None, Any]
# Row ids asked for in one statement (well under SQLite's 32,766 bound parameters).
_CHUNK = 5000
# About how many times the total's brackets are drawn from (by_bracketing): the slice each
# bracket fetches is a few times n / sqrt(SAMPLE_SIZE) values.
SAMPLE_SIZE = 20_000
# A bracket reaches this many standard deviations of the sample's rank either side: it
# misses (and the time is sorted instead) about once in 15,000 brackets.
_SPREAD = 4.0
TOTAL: GroupKey = (None, None)
MEASURES = ("waiting", "service_time")


@dataclass(frozen=True, slots=True)
class Percentiles:
    waiting_median: float | None = None
    waiting_p90: float | None = None
    service_median: float | None = None
    service_p90: float | None = None


def ranks(count: int) -> tuple[int, int]:
    """The nearest ranks of the median and the 90th percentile among ``count`` values:
    ``ceil(count / 2)`` and ``ceil(9 * count / 10)``."""
    return (count + 1) // 2, (9 * count + 9) // 10


def by_windows(connection: Connection, scope: queries.Scope, base: FromClause,
               breakdown: Breakdown | None) -> dict[GroupKey, Percentiles]:
    """Per group (or the total, without ``breakdown``), through window functions."""
    result = {}
    for row in connection.execute(queries.percentiles_statement(scope, base, breakdown)):
        mapping = row._mapping
        result[(mapping.get("site"), mapping.get("key"))] = Percentiles(
            _float(row.waiting_median), _float(row.waiting_p90),
            _float(row.service_median), _float(row.service_p90))
    return result


def by_sorting(connection: Connection, scope: queries.Scope, base: FromClause,
               breakdown: Breakdown | None, counts: Mapping[GroupKey, int],
               in_sort_order: bool = False,
               measures: Sequence[str] = MEASURES) -> dict[GroupKey, Percentiles]:
    """The same through sorted TEMP tables (SQLite). ``counts``: each group's number of
    timed served tickets, from the figures statement (their ranks follow from it);
    ``in_sort_order``: ``counts`` lists the groups in the order SQLite sorts their keys
    (the figures statement's ``ORDER BY``), so each group's first row follows from the
    counts before it, without grouping the sorted rows again. ``measures``: the times to
    work out (the others are ``None``)."""
    values: dict[str, dict[GroupKey, tuple[float | None, float | None]]] = {}
    for measure in measures:
        values[measure] = _sorted_measure(connection, scope, base, breakdown, counts, measure,
                                          in_sort_order)
    return {key: Percentiles(*values.get("waiting", {}).get(key, (None, None)),
                             *values.get("service_time", {}).get(key, (None, None)))
            for key in counts}


def by_bracketing(connection: Connection, scope: queries.Scope, base: FromClause,
                  count: int) -> Percentiles:
    """The total's percentiles (SQLite: ``base`` is the TEMP table, with row ids) without
    sorting every time: see the module's docstring. ``count``: the timed served tickets
    (each has both times). Exactly :func:`by_sorting`'s figures."""
    if count == 0:
        return Percentiles()
    rowid: ColumnElement[int] = literal_column("rowid", Integer)
    step = max(1, count // SAMPLE_SIZE)
    wanted = ranks(count)
    sampled = select(*(base.c[measure] for measure in MEASURES)) \
        .where(base.c.waiting.is_not(None))
    if step > 1:
        sampled = sampled.where(rowid % step == 0)
    samples = list(connection.execute(sampled))
    brackets = {measure: [_bracket(sorted(row[index] for row in samples
                                          if row[index] is not None), rank, count)
                          for rank in wanted]
                for index, measure in enumerate(MEASURES)}
    # Aggregates all (one row), also where a bracket has no lower bound (none below it).
    below_columns = [
        func.coalesce(func.sum(case((base.c[measure] < low, 1), else_=0)
                               if low is not None else literal_column("0", Integer)), 0)
        for measure in MEASURES for low, _high in brackets[measure]]
    belows = list(connection.execute(select(*below_columns)
                                     .where(base.c.waiting.is_not(None))).one())
    found: dict[str, list[float | None]] = {}
    missed = []
    for measure in MEASURES:
        value = base.c[measure]
        ranges = [and_(*(() if low is None else (value >= low,)),
                       *(() if high is None else (value <= high,)), value.is_not(None))
                  for low, high in brackets[measure]]
        inside = [float(row[0]) for row in connection.execute(
            select(value).where(or_(*ranges)).order_by(value))]
        picked: list[float | None] = []
        for (low, high), rank in zip(brackets[measure], wanted, strict=True):
            below = int(belows.pop(0))
            window = [item for item in inside if (low is None or item >= low)
                      and (high is None or item <= high)]
            picked.append(window[rank - below - 1] if below < rank <= below + len(window)
                          else None)
        if None in picked:
            missed.append(measure)
        found[measure] = picked
    if missed:  # an unlucky sample: those times sorted whole
        sorted_whole = by_sorting(connection, scope, base, None, {TOTAL: count},
                                  measures=missed)[TOTAL]
        if "waiting" in missed:
            found["waiting"] = [sorted_whole.waiting_median, sorted_whole.waiting_p90]
        if "service_time" in missed:
            found["service_time"] = [sorted_whole.service_median, sorted_whole.service_p90]
    return Percentiles(*found["waiting"], *found["service_time"])


def _bracket(sample: Sequence[float], rank: int,
             count: int) -> tuple[float | None, float | None]:
    """Two values of the sorted ``sample`` that the ``rank``-th of ``count`` values very
    likely lies between (``None``: no bound on that side)."""
    if not sample:
        return None, None
    share = rank / count
    centre = share * len(sample)
    margin = int(_SPREAD * math.sqrt(len(sample) * share * (1 - share))) + 2
    first, last = math.floor(centre) - margin, math.ceil(centre) + margin
    return (sample[first] if first >= 0 else None,
            sample[last] if last < len(sample) else None)


def _sorted_measure(connection: Connection, scope: queries.Scope, base: FromClause,
                    breakdown: Breakdown | None, counts: Mapping[GroupKey, int],
                    measure: str,
                    in_sort_order: bool) -> dict[GroupKey, tuple[float | None, float | None]]:
    source, keys = queries.grouping(scope, base, breakdown)
    names = [key.name for key in keys]
    table = Table("report_sorted", MetaData(),
                  *(Column(key.name, key.type) for key in keys), Column("value", Float()),
                  prefixes=["TEMPORARY"])
    table.drop(connection, checkfirst=True)
    table.create(connection)
    value = base.c[measure]
    # Inserted in (group, value) order, so row ids count up through each group's values.
    ordered = select(*keys, value.label("value")).select_from(source) \
        .where(value.is_not(None)).order_by(*(key.element for key in keys), value)
    connection.execute(insert(table).from_select([*names, "value"], ordered))
    rowid: ColumnElement[int] = literal_column("rowid", Integer)
    starts: dict[GroupKey, int] = {}
    if names and in_sort_order:
        first = 1
        for key, count in counts.items():
            starts[key] = first
            first += count
    elif names:
        grouped = [table.c[name] for name in names]
        for group in connection.execute(select(*grouped, func.min(rowid).label("first"))
                                        .group_by(*grouped)):
            starts[_group_key(group._mapping, names)] = int(group.first)
    else:
        starts[(None, None)] = 1
    wanted: dict[int, list[tuple[GroupKey, int]]] = {}
    for key, first in starts.items():
        median, p90 = ranks(counts.get(key, 0))
        if median:
            wanted.setdefault(first + median - 1, []).append((key, 0))
            wanted.setdefault(first + p90 - 1, []).append((key, 1))
    picked: dict[GroupKey, list[float | None]] = {key: [None, None] for key in starts}
    for chunk in _chunks(sorted(wanted), _CHUNK):
        for row in connection.execute(select(rowid.label("position"), table.c.value)
                                      .where(rowid.in_(chunk))):
            for key, slot in wanted[int(row.position)]:
                picked[key][slot] = _float(row.value)
    table.drop(connection)
    return {key: (pair[0], pair[1]) for key, pair in picked.items()}


def _group_key(mapping: Any, names: Sequence[str]) -> GroupKey:
    return (mapping["site"] if "site" in names else None,
            mapping["key"] if "key" in names else None)


def _chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
