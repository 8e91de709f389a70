"""Officers' time on duty from the reports' copy of closed days (server.reports.day_cache
keeps each closed day's seconds per officer): exactly what the window pass over every ticket
gives (server.reports.queries.on_duty_terms), on real SQLite files, whatever the days.

The hand-made spans (local times, site ``hcc`` unless said; the live day is Wednesday
04/11/2026, so Monday and Tuesday are closed and come from the copy):

======  ======  =====================================================  ========
day     who     spans (call - finish)                                  on duty
======  ======  =====================================================  ========
Mon     an      08:00-08:10, 08:10-08:20 (touching), 08:12-08:15       8,399 s
                (inside), 08:18-08:25 (overlapping); 08:50-08:55 and
                08:50-09:00 (called together); 09:30-09:40 (a gap of
                exactly 30:00); 10:10:01-10:20 (30:01: a break);
                10:49:59-10:50 (29:59)
Tue     an      09:00-09:20, 09:49:59-10:00 (29:59)                    3,600 s
Wed     an      08:00-08:30, 09:00:01-09:10 (30:01: a break)           2,399 s
Mon     binh    08:00-09:00, 08:30-08:45 (inside); a no-show           4,320 s
                09:10-09:12
Wed     binh    10:00-10:05                                            300 s
Mon     an      14:00-14:10 at site ``p1``                             600 s
======  ======  =====================================================  ========

Monday: 25 + 10 + 10 minutes, 599 s and 1 s of spans (3,300 s), gaps of 25 minutes, 30:00
and 29:59 (5,099 s), not the 30:01. Also never counted: a ticket called but not finished,
one cancelled before any call. Binh's Monday: 60 minutes of spans, the 10-minute gap to the
no-show, and its 2 minutes: 4,320 s.

The seconds come out a few microseconds off the hand-worked ones (SQLite reads the times as
Julian days, held to about 40 µs), so those are compared to the millisecond; the copy and
the window pass are compared exactly (the whole reports, ``==``).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from server.config import Settings, load_settings
from server.demo_history import history_days
from server.reports import day_cache
from server.reports.model import Report
from server.reports.request import Breakdown, build_request
from server.reports.run import run_reports
from server.reports.source import open_report_engine
from server.store.database import migrate, open_engines
from server.store.tables import TicketRow
from tests.server.reports.conftest import live_days, local, ticket, write, write_demo_history

MONDAY, TUESDAY, WEDNESDAY = date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)
NOW = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
BREAKDOWNS = (Breakdown.OFFICER, Breakdown.SERVICE)
EXPECTED = {("hcc", "an"): 8399.0 + 3600.0 + 2399.0, ("hcc", "binh"): 4320.0 + 300.0,
            ("hcc", None): 0.0, ("p1", "an"): 600.0}
COPIED = {("hcc", "2026-11-02", "an"): 8399.0, ("hcc", "2026-11-03", "an"): 3600.0,
          ("hcc", "2026-11-02", "binh"): 4320.0, ("p1", "2026-11-02", "an"): 600.0}


def span(number: str, officer: str, day: date, start: str, end: str, site: str = "hcc",
         status: str = "done") -> dict[str, Any]:
    """A ticket of ``officer`` called at ``start`` and finished at ``end`` (local times)."""
    called, finished = local(day, start), local(day, end)
    service = "S1" if site == "p1" or officer == "an" else "S3"
    return ticket(number, service, status, called - timedelta(minutes=5), called,
                  called if status == "done" else None, finished,
                  counter="C2" if service == "S3" else "C1", officer=officer, site=site,
                  day=day)


def spans() -> list[dict[str, Any]]:
    return [
        span("A001", "an", MONDAY, "08:00", "08:10"),
        span("A002", "an", MONDAY, "08:10", "08:20"),
        span("A003", "an", MONDAY, "08:12", "08:15"),
        span("A004", "an", MONDAY, "08:18", "08:25"),
        span("A005", "an", MONDAY, "08:50", "08:55"),
        span("A006", "an", MONDAY, "08:50", "09:00"),
        span("A007", "an", MONDAY, "09:30", "09:40"),
        span("A008", "an", MONDAY, "10:10:01", "10:20"),
        span("A009", "an", MONDAY, "10:49:59", "10:50"),
        span("A001", "an", TUESDAY, "09:00", "09:20"),
        span("A002", "an", TUESDAY, "09:49:59", "10:00"),
        span("A001", "an", WEDNESDAY, "08:00", "08:30"),
        span("A002", "an", WEDNESDAY, "09:00:01", "09:10"),
        # Called and never finished (the live day): no span.
        {**span("A003", "an", WEDNESDAY, "09:20", "09:30"), "status": "serving",
         "finished_at": None},
        span("C001", "binh", MONDAY, "08:00", "09:00"),
        span("C002", "binh", MONDAY, "08:30", "08:45"),
        span("C003", "binh", MONDAY, "09:10", "09:12", status="no_show"),
        span("C001", "binh", WEDNESDAY, "10:00", "10:05"),
        # Cancelled before any call: no officer, no span.
        ticket("C004", "S3", "cancelled", local(MONDAY, "11:00"),
               finished=local(MONDAY, "11:30")),
        span("A001", "an", MONDAY, "14:00", "14:10", site="p1"),
    ]




@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    """The spans of the module's docstring; Wednesday is the live day of both sites."""
    url = f"sqlite:///{tmp_path / 'qms.sqlite3'}"
    engines = open_engines(url)
    migrate(engines)
    engines.dispose()
    write(url, insert(TicketRow).values(spans()), live_days(WEDNESDAY, "hcc", "p1"))
    yield url


def reports(url: str, settings: Settings, use_day_cache: bool = True, parts: int = 1,
            first: date = MONDAY, last: date = WEDNESDAY) -> dict[Breakdown, Report]:
    engine = open_report_engine(url)
    try:
        return run_reports(engine, settings, build_request(
            settings, sites="all", first=first, last=last, breakdown="officer"), BREAKDOWNS,
            now=NOW, use_day_cache=use_day_cache, parts=parts)
    finally:
        engine.dispose()


def on_duty(report: Report) -> dict[tuple[str | None, Any], float | None]:
    return {(row.site, row.key): row.figures.on_duty_seconds for row in report.rows}


def assert_close(found: dict[Any, Any], expected: dict[Any, float]) -> None:
    """The same keys, each value to the millisecond."""
    assert found.keys() == expected.keys()
    for key, value in expected.items():
        assert math.isclose(found[key], value, abs_tol=1e-3), (key, found[key], value)


def cache_file(url: str) -> Path:
    return day_cache.cache_path(Path(url.removeprefix("sqlite:///")))


def copied(url: str) -> dict[tuple[str, str, str], float]:
    with sqlite3.connect(cache_file(url)) as connection:
        return {(site, day, officer): seconds for site, day, officer, seconds in
                connection.execute("SELECT site, day, officer, seconds FROM on_duty")}


@pytest.mark.parametrize("parts", [1, 2])
def test_time_on_duty_from_the_copy_is_the_window_pass(
        database: str, report_settings: Settings, parts: int) -> None:
    """Closed days from the copy, the live day from the tickets, in one part or in two:
    the same reports as the window pass over every ticket, and the hand-worked seconds."""
    expected = reports(database, report_settings, use_day_cache=False)
    assert_close(on_duty(expected[Breakdown.OFFICER]), EXPECTED)
    filling = reports(database, report_settings, parts=parts)
    assert_close(copied(database), COPIED)  # closed days only
    from_copy = reports(database, report_settings, parts=parts)
    assert filling == expected and from_copy == expected
    assert reports(database, report_settings, use_day_cache=False, parts=parts) == expected


def test_only_the_closed_days_in_range_are_added_up(
        database: str, report_settings: Settings) -> None:
    """A range of closed days alone (no live day in it), and one of the live day alone."""
    reports(database, report_settings)
    for first, last in ((MONDAY, MONDAY), (TUESDAY, TUESDAY), (MONDAY, TUESDAY),
                        (WEDNESDAY, WEDNESDAY)):
        expected = reports(database, report_settings, use_day_cache=False, first=first,
                           last=last)
        assert reports(database, report_settings, first=first, last=last) == expected
    assert_close(on_duty(reports(database, report_settings, first=TUESDAY,
                                 last=TUESDAY)[Breakdown.OFFICER]), {("hcc", "an"): 3600.0})


@pytest.mark.parametrize(("gap", "counted"), [(1799, True), (1799.999, True), (1800, None),
                                              (1800.001, False), (1801, False), (1, True),
                                              (0, False), (-60, False)])
def test_gaps_just_under_and_over_the_limit(
        tmp_path: Path, report_settings: Settings, gap: float, counted: bool | None) -> None:
    """Two 10-minute tickets of a closed day ``gap`` seconds apart (negative: overlapping).
    A gap of exactly 30:00 is measured a few microseconds either side of it (Julian days):
    whether it counts is the window pass's to say, and the copy says the same."""
    url = f"sqlite:///{tmp_path / 'gap.sqlite3'}"
    engines = open_engines(url)
    migrate(engines)
    engines.dispose()
    first = local(MONDAY, "08:00")
    second = first + timedelta(minutes=10, seconds=gap)
    write(url, insert(TicketRow).values([
        ticket("A001", "S1", "done", first, first, first, first + timedelta(minutes=10),
               counter="C1", officer="an"),
        ticket("A002", "S1", "done", second, second, second, second + timedelta(minutes=10),
               counter="C1", officer="an")]), live_days(WEDNESDAY, "hcc", "p1"))
    expected = reports(url, report_settings, use_day_cache=False)
    found = on_duty(expected[Breakdown.OFFICER])
    seconds = found[("hcc", "an")]
    assert seconds is not None
    if counted is not None:
        assert_close(found, {("hcc", "an"): 1200.0 + (gap if counted else min(gap, 0))})
    assert reports(url, report_settings) == expected
    assert reports(url, report_settings) == expected
    assert copied(url) == {("hcc", "2026-11-02", "an"): seconds}


def test_a_closed_day_changed_since_its_copy_is_read_from_the_tickets_and_copied_again(
        database: str, report_settings: Settings) -> None:
    reports(database, report_settings)
    # Monday 10:50-11:00 for an, right after the span ending 10:50: 600 s more.
    write(database, insert(TicketRow).values(span("A010", "an", MONDAY, "10:50", "11:00")))
    expected = reports(database, report_settings, use_day_cache=False)
    seconds = on_duty(expected[Breakdown.OFFICER])[("hcc", "an")]
    assert math.isclose(seconds or 0.0, EXPECTED[("hcc", "an")] + 600, abs_tol=1e-3)
    assert reports(database, report_settings) == expected  # Monday from the tickets
    assert ("hcc", "2026-11-02", "an") not in copied(database)  # its copy dropped
    assert reports(database, report_settings) == expected  # and made again
    assert_close(copied(database), {**COPIED, ("hcc", "2026-11-02", "an"): 8999.0})
    assert reports(database, report_settings) == expected


def test_the_report_takes_closed_days_from_the_copy_and_a_damaged_copy_is_remade(
        database: str, report_settings: Settings) -> None:
    expected = reports(database, report_settings, use_day_cache=False)
    reports(database, report_settings)
    # A changed value is not seen (nothing in the server makes one): the copy is read.
    with sqlite3.connect(cache_file(database)) as connection:
        connection.execute("UPDATE on_duty SET seconds = seconds + 1 WHERE officer = 'binh'")
    changed = on_duty(reports(database, report_settings)[Breakdown.OFFICER])
    assert changed[("hcc", "binh")] == \
        (on_duty(expected[Breakdown.OFFICER])[("hcc", "binh")] or 0.0) + 1
    # A row lost: the copy no longer holds what its days counted; read again, remade.
    with sqlite3.connect(cache_file(database)) as connection:
        connection.execute("DELETE FROM on_duty WHERE officer = 'an' AND site = 'p1'")
    assert reports(database, report_settings) == expected
    assert reports(database, report_settings) == expected
    assert_close(copied(database), COPIED)


def test_a_copy_of_an_older_version_is_made_again(
        database: str, report_settings: Settings) -> None:
    """A file of version 1 (no time on duty kept) with its days copied: remade whole."""
    with sqlite3.connect(cache_file(database)) as connection:
        connection.executescript(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "INSERT INTO meta VALUES ('version', '1');"
            "CREATE TABLE days (site TEXT NOT NULL, day TEXT NOT NULL, fingerprint TEXT "
            "NOT NULL, PRIMARY KEY (site, day)) WITHOUT ROWID;"
            "INSERT INTO days VALUES ('hcc', '2026-11-02', 'x'), ('hcc', '2026-11-03', 'y');"
            "CREATE TABLE facts (site TEXT NOT NULL, day TEXT NOT NULL, ticket INTEGER NOT "
            "NULL, PRIMARY KEY (site, day, ticket)) WITHOUT ROWID;")
    expected = reports(database, report_settings, use_day_cache=False)
    assert reports(database, report_settings) == expected
    assert_close(copied(database), COPIED)
    with sqlite3.connect(cache_file(database)) as connection:
        assert connection.execute("SELECT value FROM meta").fetchall() == \
            [(day_cache.VERSION,)]
        assert day_cache.VERSION != "1"
    assert reports(database, report_settings) == expected


def test_generated_days_of_the_demo_from_the_copy_in_one_part_and_two(
        tmp_path: Path) -> None:
    """Four weekdays of the demo's two centres (their officers' real-looking days; the last
    one live): by officer from the copy, in one part and two, as from the tickets."""
    path = tmp_path / "history.sqlite3"
    days = history_days(date(2026, 12, 1), 6)
    write_demo_history(path, days)
    demo = load_settings(None)
    url = f"sqlite:///{path}"
    first, last = days[0], days[-1]
    expected = reports(url, demo, use_day_cache=False, first=first, last=last)
    seconds = on_duty(expected[Breakdown.OFFICER])
    assert len([value for value in seconds.values() if value]) >= 4
    for parts in (1, 2, 1, 2):
        assert reports(url, demo, parts=parts, first=first, last=last) == expected
    assert {day for _site, day, _officer in copied(url)} == \
        {day.isoformat() for day in days if day < last}
