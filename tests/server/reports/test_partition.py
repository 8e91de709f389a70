"""A report read in two parts side by side (server.reports.partition) is exactly the report
read in one: every breakdown, the total, the charts, on generated days of the demo's two
centres; with ties, with case codes served at both sites, with brackets that miss; and a
failing part stops the other."""

from __future__ import annotations

import math
import shutil
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection

from server.config import Settings, load_settings
from server.demo_history import history_batches, history_days, write_history
from server.reports import partition
from server.reports.model import Figures, Report
from server.reports.request import Breakdown, build_request
from server.reports.run import run_reports, scope_of
from server.reports.source import open_report_engine, reading
from server.store.database import migrate, open_engines

LAST_DAY = date(2026, 12, 1)
DAYS = 11
NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight weekdays of the demo's provincial centre and ward (about 4,500 tickets)."""
    path = tmp_path_factory.mktemp("partition") / "history.sqlite3"
    engines = open_engines(f"sqlite:///{path}")
    try:
        migrate(engines)
        write_history(engines, history_batches(load_settings(None).sites,
                                               history_days(LAST_DAY, DAYS)))
    finally:
        engines.dispose()
    return path


@pytest.fixture
def database(history: Path, tmp_path: Path) -> Path:
    """A copy of the history to change."""
    path = tmp_path / "copy.sqlite3"
    shutil.copy(history, path)
    return path


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


def without_means(figures: Figures) -> tuple[Figures, list[float | None]]:
    """The figures with their means apart: a sum of floats added in another order may
    differ in its last bits."""
    means = [figures.waiting.mean, figures.service.mean]
    return replace(figures, waiting=replace(figures.waiting, mean=None),
                   service=replace(figures.service, mean=None)), means


def assert_same(one: dict[Breakdown, Report], two: dict[Breakdown, Report]) -> None:
    """Exactly the same reports, but for the means' last bits."""
    assert one.keys() == two.keys()
    for breakdown in one:
        pairs = [(mine.figures, theirs.figures, mine.label) for mine, theirs in
                 zip(one[breakdown].rows, two[breakdown].rows, strict=True)]
        pairs.append((one[breakdown].total, two[breakdown].total, "total"))
        for mine, theirs, label in pairs:
            (exact, means), (other, other_means) = without_means(mine), without_means(theirs)
            assert exact == other, (breakdown, label)
            for mean, other_mean in zip(means, other_means, strict=True):
                assert (mean is None and other_mean is None) or \
                    math.isclose(mean or 0.0, other_mean or 0.0, rel_tol=1e-12)
        rows = [replace(row, figures=without_means(row.figures)[0])
                for row in one[breakdown].rows]
        other_rows = [replace(row, figures=without_means(row.figures)[0])
                      for row in two[breakdown].rows]
        assert rows == other_rows, breakdown
        assert replace(one[breakdown], rows=(), total=without_means(one[breakdown].total)[0]) \
            == replace(two[breakdown], rows=(), total=without_means(two[breakdown].total)[0])


def test_every_breakdown_read_in_two_parts_is_the_same(history: Path) -> None:
    one, two = both(history)
    report = one[Breakdown.HOUR]
    assert report.total.issued > 4_000 and report.total.waiting.count > 3_000
    assert len(report.rows) > 5 and len(one[Breakdown.DAY].rows) >= 7
    assert_same(one, two)


def test_ties_at_the_ranks(database: Path) -> None:
    """Many equal times: no wait for a third of the tickets, no service time for half."""
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE tickets SET first_called_at = issued_at "
                           "WHERE id % 3 = 0 AND first_called_at IS NOT NULL")
        connection.execute("UPDATE tickets SET finished_at = serving_at "
                           "WHERE id % 2 = 0 AND serving_at IS NOT NULL "
                           "AND finished_at IS NOT NULL")
    one, two = both(database)
    total = one[Breakdown.SERVICE].total
    assert total.waiting.median == 0.0 or total.service.median == 0.0
    assert_same(one, two)


def test_case_codes_served_at_both_sites_count_once(database: Path) -> None:
    """The ward's served cases given the centre's codes (some of them dissatisfied): the
    total, the hours, the days and the weeks count each code once."""
    with sqlite3.connect(database) as connection:
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
    one, two = both(database)
    total = one[Breakdown.SERVICE].total
    parts = sum(row.figures.cases_served for row in one[Breakdown.SITE].rows)
    assert total.cases_served < parts  # the shared codes counted once
    assert_same(one, two)


def test_brackets_that_miss_are_widened_until_exact(history: Path,
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
    one, two = both(history, [Breakdown.HOUR, Breakdown.DAY, Breakdown.SERVICE])
    assert True in widened and False in widened
    assert_same(one, two)


def test_plan_balances_the_tickets_and_keeps_small_reports_whole(history: Path) -> None:
    demo = load_settings(None)
    first = history_days(LAST_DAY, DAYS)[0]
    engine = open_report_engine(f"sqlite:///{history}")
    try:
        every = scope_of(demo, build_request(demo, sites="all", first=first, last=LAST_DAY,
                                             breakdown="service"), "sqlite")
        one = scope_of(demo, build_request(demo, sites="hcc-tinh", first=first,
                                           last=LAST_DAY, breakdown="service"), "sqlite")
        assert partition.plan(engine, every, None) is None  # under MIN_TICKETS
        assert partition.plan(engine, every, 1) is None
        assert partition.plan(engine, one, 2) is None
        assert partition.plan(engine, every, 2) == [("hcc-tinh",), ("ubnd-phuong-1",)]
        # PostgreSQL reads in one part (not measured to gain there).
        assert partition.plan(engine, replace(every, dialect="postgresql"), 2) is None
    finally:
        engine.dispose()


def test_a_failing_part_interrupts_the_other(history: Path) -> None:
    """One part fails at once while the other runs a statement of minutes: the other is
    interrupted, and the first failure is what comes out."""
    engine = open_report_engine(f"sqlite:///{history}")
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

