"""A report read in two parts side by side (server.reports.partition) is exactly the report
read in one: every breakdown, the total, the charts, on generated days of the demo's two
centres; with ties, with case codes served at both sites, with brackets that miss; the
merged percentiles against the definition on random times (hypothesis); and a failing part
stops the other."""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, create_engine, insert
from sqlalchemy.pool import StaticPool

from server.config import Settings, load_settings
from server.demo_history import history_days
from server.reports import partition, queries
from server.reports.model import Report
from server.reports.percentiles import TOTAL, Percentiles
from server.reports.request import Breakdown, build_request
from server.reports.run import run_reports
from server.reports.source import open_report_engine, reading
from tests.server.reports.conftest import HISTORY_DAYS as DAYS
from tests.server.reports.conftest import HISTORY_LAST_DAY as LAST_DAY
from tests.server.reports.conftest import assert_same

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
HALF, NINE_TENTHS = Fraction(1, 2), Fraction(9, 10)


def both(path: Path, breakdowns: list[Breakdown] | None = None,
         settings: Settings | None = None) -> tuple[dict[Breakdown, Report],
                                                    dict[Breakdown, Report]]:
    """Every breakdown's report read in one part and in two."""
    demo = settings or load_settings(None)
    wanted = breakdowns or list(Breakdown)
    request = build_request(demo, sites="all", first=history_days(LAST_DAY, DAYS)[0],
                            last=LAST_DAY, breakdown=wanted[0].value)
    engine = open_report_engine(f"sqlite:///{path}")
    try:
        one = run_reports(engine, demo, request, wanted, NOW, parts=1)
        two = run_reports(engine, demo, request, wanted, NOW, parts=2)
    finally:
        engine.dispose()
    return one, two


def test_every_breakdown_read_in_two_parts_is_the_same(demo_history: Path) -> None:
    one, two = both(demo_history)
    report = one[Breakdown.HOUR]
    assert report.total.issued > 4_000 and report.total.waiting.count > 3_000
    assert len(report.rows) > 5 and len(one[Breakdown.DAY].rows) >= 7
    assert_same(one, two)


def test_ties_at_the_ranks(demo_history_copy: Path) -> None:
    """Many equal times: no wait for a third of the tickets, no service time for half."""
    with sqlite3.connect(demo_history_copy) as connection:
        connection.execute("UPDATE tickets SET first_called_at = issued_at "
                           "WHERE id % 3 = 0 AND first_called_at IS NOT NULL")
        connection.execute("UPDATE tickets SET finished_at = serving_at "
                           "WHERE id % 2 = 0 AND serving_at IS NOT NULL "
                           "AND finished_at IS NOT NULL")
    one, two = both(demo_history_copy)
    total = one[Breakdown.SERVICE].total
    assert total.waiting.median == 0.0 or total.service.median == 0.0
    assert_same(one, two)


def test_case_codes_served_at_both_sites_count_once(demo_history_copy: Path) -> None:
    """The ward's served cases given the centre's codes (some of them dissatisfied): the
    total, the hours, the days and the weeks count each code once."""
    with sqlite3.connect(demo_history_copy) as connection:
        codes = [row[0] for row in connection.execute(
            "SELECT DISTINCT case_code FROM tickets WHERE site = 'hcc-tinh' "
            "AND case_code IS NOT NULL ORDER BY case_code LIMIT 300")]
        ward = [row[0] for row in connection.execute(
            "SELECT id FROM tickets WHERE site = 'ubnd-phuong-1' AND status = 'done' "
            "ORDER BY id LIMIT 300")]
        connection.executemany("UPDATE tickets SET case_code = ? WHERE id = ?",
                               list(zip(codes, ward, strict=False)))
        connection.executemany("UPDATE ratings SET score = 1 WHERE ticket_id = ?",
                               [(item,) for item in ward[::3]])
        connection.executemany("UPDATE ratings SET score = 1 WHERE ticket_id IN (SELECT id "
                               "FROM tickets WHERE site = 'hcc-tinh' AND case_code = ?)",
                               [(code,) for code in codes[::2]])
    one, two = both(demo_history_copy)
    total = one[Breakdown.SERVICE].total
    parts = sum(row.figures.cases_served for row in one[Breakdown.SITE].rows)
    assert total.cases_served < parts  # the shared codes counted once
    assert_same(one, two)


def test_brackets_that_miss_are_widened_until_exact(demo_history: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A sample of a few times and no spread: the brackets miss and are asked again."""
    monkeypatch.setattr(partition, "SAMPLE_SCALE", 0.1)
    monkeypatch.setattr(partition, "SPREAD", 0.0)
    widened = []
    original = partition._Bracket.widen

    def counting(self: partition._Bracket, downwards: bool) -> None:
        widened.append(downwards)
        original(self, downwards)

    monkeypatch.setattr(partition._Bracket, "widen", counting)
    one, two = both(demo_history, [Breakdown.HOUR, Breakdown.DAY, Breakdown.SERVICE])
    assert True in widened and False in widened
    assert_same(one, two)


def test_a_failing_part_interrupts_the_other(demo_history: Path) -> None:
    """One part fails at once while the other runs a statement of minutes: the other is
    interrupted, and the first failure is what comes out."""
    engine = open_report_engine(f"sqlite:///{demo_history}")
    started = threading.Event()

    def work(part: Any) -> Any:
        connection: Connection = part.connection
        if part.scope == "slow":
            started.set()
            return connection.exec_driver_sql(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                "WHERE i < 10000000000) SELECT count(*) FROM n").scalar()
        started.wait(10)
        raise ValueError("the first part failed")

    try:
        with reading(engine) as slow, reading(engine) as failing:
            parts = [partition._Part("slow", (), slow),  # type: ignore[arg-type]
                     partition._Part("failing", (), failing)]  # type: ignore[arg-type]
            began = time.monotonic()
            with ThreadPoolExecutor(max_workers=2) as pool, \
                    pytest.raises(ValueError, match="the first part failed"):
                partition._each(pool, parts, work)
            assert time.monotonic() - began < 30
    finally:
        engine.dispose()



# --- the merging of percentiles, on random times -------------------------------------------

# Times to the millisecond in a few ranges, so that ties are common.
times = st.builds(lambda whole, part: whole + part / 1000,
                  st.integers(min_value=0, max_value=30), st.sampled_from([0, 500, 999]))
rows_of_times = st.lists(st.tuples(st.integers(min_value=7, max_value=9), times, times),
                         max_size=150)


class FiguresRow:
    """A figures statement's row as the merging reads it: its group and timed count."""

    def __init__(self, hour: int, timed: int) -> None:
        self._mapping: dict[str, Any] = {"site": None, "key": hour}
        self.timed = timed


def nearest(values: list[float], share: Fraction) -> float:
    """The definition: the value at rank ceil(share * n) once sorted."""
    return sorted(values)[math.ceil(share * len(values)) - 1]


@pytest.fixture
def two_connections() -> Iterator[list[Connection]]:
    # The parts' statements run in the pool's threads.
    engines = [create_engine("sqlite://", poolclass=StaticPool,
                             connect_args={"check_same_thread": False}) for _ in range(2)]
    with engines[0].connect() as first, engines[1].connect() as second:
        yield [first, second]
    for engine in engines:
        engine.dispose()


def parts_of(connections: list[Connection],
             halves: list[list[tuple[int, float, float]]]) -> list[partition._Part]:
    """Two parts, each a base of its (hour, waiting, service time) rows with untimed
    tickets between them, and its figures' rows by hour."""
    parts = []
    for connection, rows in zip(connections, halves, strict=True):
        base = queries.base_table()
        base.drop(connection, checkfirst=True)
        base.create(connection)
        for table in ("report_sorted_hour_waiting", "report_sorted_hour_service_time"):
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{table}")
        tickets: list[dict[str, Any]] = [
            {"arrival_hour": hour, "waiting": waiting, "service_time": service}
            for hour, waiting, service in rows]
        tickets += [{"arrival_hour": 8, "waiting": None, "service_time": None}] * 3
        connection.execute(insert(base), tickets)
        part = partition._Part(cast(Any, None), (), connection)
        part.session = cast(Any, SimpleNamespace(connection=connection, base=base))
        counts = Counter(hour for hour, _waiting, _service in rows)
        part.grouped[Breakdown.HOUR] = {(None, hour): FiguresRow(hour, counts[hour])
                                        for hour in sorted(counts)}
        partition._sort_groups(part, cast(Any, part.session), Breakdown.HOUR,
                               list(part.grouped[Breakdown.HOUR].values()))
        parts.append(part)
    return parts


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(halves=st.lists(rows_of_times, min_size=2, max_size=2),
       scale=st.sampled_from([0.01, 0.1, 1.0]), spread=st.sampled_from([0.0, 1.0, 4.0]))
def test_merged_percentiles_are_the_nearest_ranks(
        two_connections: list[Connection], halves: list[list[tuple[int, float, float]]],
        scale: float, spread: float) -> None:
    """Every hour's ranks by bisection over the two parts' sorted times, the total's by
    brackets over parts (small samples and no spread: brackets that miss), against the
    definition over both parts' times together."""
    parts = parts_of(two_connections, halves)
    every = halves[0] + halves[1]
    hours = Counter(hour for hour, _waiting, _service in every)
    original = (partition.SAMPLE_SCALE, partition.SPREAD)
    partition.SAMPLE_SCALE, partition.SPREAD = scale, spread
    try:
        by_hour = partition._ranks_of_two(parts, Breakdown.HOUR,
                                          {(None, hour): count for hour, count in hours.items()})
        with ThreadPoolExecutor(max_workers=2) as pool:
            total = partition._merged_percentiles(pool, parts, None, {TOTAL: len(every)})
    finally:
        partition.SAMPLE_SCALE, partition.SPREAD = original

    def expected(rows: list[tuple[int, float, float]]) -> Percentiles:
        waits = [waiting for _hour, waiting, _service in rows]
        services = [service for _hour, _waiting, service in rows]
        return Percentiles(nearest(waits, HALF), nearest(waits, NINE_TENTHS),
                           nearest(services, HALF), nearest(services, NINE_TENTHS))

    assert total == ({TOTAL: expected(every)} if every else {})
    assert by_hour == {(None, hour): expected([row for row in every if row[0] == hour])
                       for hour in hours}
