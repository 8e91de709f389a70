"""Percentiles on SQLite without sorting every time (the total's brackets, the groups' first
rows from their counts) give exactly what sorting every time gives: on random times with
hypothesis (ties, the unlucky samples that fall back to a sort), and on every breakdown of
generated days of the demo's two centres, against the window functions' figures."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Connection, Float, Integer, MetaData, Table, create_engine, insert

from server.config import load_settings
from server.demo_history import history_days
from server.reports import percentiles, queries
from server.reports.percentiles import TOTAL, Percentiles, by_bracketing, by_sorting, by_windows
from server.reports.request import Breakdown, build_request
from server.reports.run import ReportSession, run_report, scope_of
from server.reports.source import open_report_engine, reading
from tests.server.reports.conftest import write_demo_history

LAST_DAY = date(2026, 12, 1)
HALF, NINE_TENTHS = Fraction(1, 2), Fraction(9, 10)


def nearest_rank(values: list[float], share: Fraction) -> float | None:
    """The definition, in Python: the value at rank ceil(share * n) once sorted."""
    if not values:
        return None
    return sorted(values)[math.ceil(share * len(values)) - 1]


def times_table(connection: Connection, rows: list[tuple[float, float]]) -> Table:
    """A TEMP base with only the times (what the total's percentiles read)."""
    table = Table("report_base", MetaData(), Column("waiting", Float()),
                  Column("service_time", Float()), Column("other", Integer()),
                  prefixes=["TEMPORARY"])
    table.drop(connection, checkfirst=True)
    table.create(connection)
    if rows:
        connection.execute(insert(table), [{"waiting": waiting, "service_time": service,
                                            "other": 0} for waiting, service in rows])
    # Untimed tickets between them (no times): they are no value of any rank.
    connection.execute(insert(table), [{"waiting": None, "service_time": None, "other": 1}] * 3)
    return table


@pytest.fixture
def connection() -> Iterator[Connection]:
    engine = create_engine("sqlite://")
    with engine.connect() as opened:
        yield opened
    engine.dispose()


# Times to the millisecond in a few ranges, so that ties are common.
times = st.builds(lambda whole, part: whole + part / 1000,
                  st.integers(min_value=0, max_value=40), st.sampled_from([0, 250, 500, 999]))


# One connection for every example: times_table makes its table anew each time.
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(times, times), max_size=300),
       sample=st.integers(min_value=1, max_value=40), spread=st.sampled_from([0.0, 1.0, 4.0]))
def test_the_totals_brackets_give_the_nearest_rank(connection: Connection,
                                                   rows: list[tuple[float, float]], sample: int,
                                                   spread: float) -> None:
    """Small samples and narrow brackets (spread 0) miss often: the time is sorted then."""
    table = times_table(connection, rows)
    original = (percentiles.SAMPLE_SIZE, percentiles._SPREAD)
    percentiles.SAMPLE_SIZE, percentiles._SPREAD = sample, spread
    try:
        found = by_bracketing(connection, None, table, len(rows))  # type: ignore[arg-type]
    finally:
        percentiles.SAMPLE_SIZE, percentiles._SPREAD = original
    waits, services = [row[0] for row in rows], [row[1] for row in rows]
    assert found == Percentiles(nearest_rank(waits, HALF), nearest_rank(waits, NINE_TENTHS),
                                nearest_rank(services, HALF),
                                nearest_rank(services, NINE_TENTHS))
    sorted_whole = by_sorting(connection, None, table, None,  # type: ignore[arg-type]
                              {TOTAL: len(rows)})
    assert found == sorted_whole[TOTAL]


def test_a_missed_bracket_falls_back_to_sorting(connection: Connection) -> None:
    """Times in rising order sampled every 10th: with no spread the brackets miss."""
    rows = [(float(index), float(1000 - index)) for index in range(1000)]
    table = times_table(connection, rows)
    original = (percentiles.SAMPLE_SIZE, percentiles._SPREAD)
    percentiles.SAMPLE_SIZE, percentiles._SPREAD = 100, -1.0
    try:
        found = by_bracketing(connection, None, table, len(rows))  # type: ignore[arg-type]
    finally:
        percentiles.SAMPLE_SIZE, percentiles._SPREAD = original
    assert found == Percentiles(499.0, 899.0, 500.0, 900.0)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Eight weekdays of the demo's provincial centre and ward (about 4,500 tickets)."""
    path = tmp_path_factory.mktemp("generated") / "generated.sqlite3"
    write_demo_history(path, history_days(LAST_DAY, 11))
    return f"sqlite:///{path}"


@pytest.mark.parametrize("breakdown", list(Breakdown))
def test_every_breakdown_agrees_with_the_window_functions(generated: str,
                                                          breakdown: Breakdown) -> None:
    demo = load_settings(None)
    first = history_days(LAST_DAY, 11)[0]
    request = build_request(demo, sites="all", first=first, last=LAST_DAY,
                            breakdown=breakdown.value)
    engine = open_report_engine(generated)
    try:
        report = run_report(engine, demo, request)
        with reading(engine) as connection:
            session = ReportSession(connection, scope_of(demo, request, "sqlite"))
            by_window = by_windows(connection, session.scope, session.base, breakdown)
            total = by_windows(connection, session.scope, session.base, None)[TOTAL]
            # The groups' first rows found by grouping the sorted rows, as before.
            rows = list(connection.execute(queries.figures_statement(
                session.scope, session.base, breakdown, session.scores)))
            counts = {(row._mapping.get("site"), row._mapping.get("key")): int(row.timed)
                      for row in rows}
            regrouped = by_sorting(connection, session.scope, session.base, breakdown, counts)
    finally:
        engine.dispose()
    assert report.total.issued > 4_000 and report.total.waiting.count > 3_000
    assert (report.total.waiting.median, report.total.waiting.p90,
            report.total.service.median, report.total.service.p90) == (
        total.waiting_median, total.waiting_p90, total.service_median, total.service_p90)
    assert len(report.rows) >= len(by_window) > 1  # groups never timed have no window row
    for row in report.rows:
        expected = by_window.get((row.site, row.key)) or Percentiles()
        assert regrouped[(row.site, row.key)] == expected
        assert (row.figures.waiting.median, row.figures.waiting.p90,
                row.figures.service.median, row.figures.service.p90) == (
            expected.waiting_median, expected.waiting_p90, expected.service_median,
            expected.service_p90), row.label


def test_the_charts_count_every_ticket_once(generated: str) -> None:
    """Arrivals and calls by hour and waits by bucket, from one grouping, against counting
    the base's rows one by one."""
    demo = load_settings(None)
    first = history_days(LAST_DAY, 11)[0]
    request = build_request(demo, sites="all", first=first, last=LAST_DAY, breakdown="service")
    engine = open_report_engine(generated)
    try:
        charts = run_report(engine, demo, request).charts
        with reading(engine) as connection:
            session = ReportSession(connection, scope_of(demo, request, "sqlite"))
            base = list(connection.execute(session.base.select()))
    finally:
        engine.dispose()
    arrivals = {hour.hour: hour.arrivals for hour in charts.hours}
    calls = {hour.hour: hour.calls for hour in charts.hours}
    for hour in range(24):
        assert arrivals.get(hour, 0) == sum(1 for row in base if row.arrival_hour == hour)
        assert calls.get(hour, 0) == sum(1 for row in base if row.call_hour == hour)
    bounds = [*queries.WAIT_BUCKETS[1:], math.inf]
    waits = [row.waiting for row in base if row.waiting is not None]
    assert [bucket.count for bucket in charts.waiting] == [
        sum(1 for wait in waits if low * 60 <= wait < high * 60)
        for low, high in zip(queries.WAIT_BUCKETS, bounds, strict=True)]
    assert sum(bucket.count for bucket in charts.waiting) == len(waits) > 3_000

