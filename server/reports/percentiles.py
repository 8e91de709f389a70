"""Nearest-rank percentiles of waiting and service times, per group and for the total.

The nearest-rank ``p``-th percentile of ``n`` values is the value at rank ``ceil(p * n)``
once sorted (the median of 4 values is the 2nd, of 5 the 3rd; nothing is interpolated).
Both ways below give exactly that; only aggregated values come back to Python.

- PostgreSQL: window functions (:func:`server.reports.queries.percentiles_statement`).
- SQLite: its window functions cost about two seconds per window over a month of a
  province's tickets (four windows per report), so the values are sorted once per time
  into a TEMP table instead, whose row ids then are the ranks: the ``k``-th value of a group
  is the row ``first + k - 1`` of the group, of the total simply the row ``k``. A sort and a
  handful of row-id lookups, about a quarter of the windows' time.
"""

from __future__ import annotations

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
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from server.reports import queries
from server.reports.request import Breakdown

GroupKey = tuple[str | None, Any]
# Row ids asked for in one statement (well under SQLite's 32,766 bound parameters).
_CHUNK = 5000


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
               breakdown: Breakdown | None,
               counts: Mapping[GroupKey, int]) -> dict[GroupKey, Percentiles]:
    """The same through sorted TEMP tables (SQLite). ``counts``: each group's number of
    timed served tickets, from the figures statement (their ranks follow from it)."""
    values: dict[str, dict[GroupKey, tuple[float | None, float | None]]] = {}
    for measure in ("waiting", "service_time"):
        values[measure] = _sorted_measure(connection, scope, base, breakdown, counts, measure)
    return {key: Percentiles(*values["waiting"].get(key, (None, None)),
                             *values["service_time"].get(key, (None, None)))
            for key in counts}


def _sorted_measure(connection: Connection, scope: queries.Scope, base: FromClause,
                    breakdown: Breakdown | None, counts: Mapping[GroupKey, int],
                    measure: str) -> dict[GroupKey, tuple[float | None, float | None]]:
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
    if names:
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
