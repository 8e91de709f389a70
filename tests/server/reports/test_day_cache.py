"""The reports' copy of closed days (server.reports.day_cache), on real SQLite files: the
figures from it are exactly those read from the tickets, whatever happened to the copy or to
the days since it was made.

The hand-made tickets of conftest.py: site ``hcc``'s days 02/11 and 03/11 (and 04/11, outside
the reports here). A ``sites`` row gives the site's live day: the days before it are closed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, text, update

from server.config import Settings, parse_settings
from server.reports import day_cache
from server.reports.model import Report
from server.reports.request import Breakdown, build_request
from server.reports.run import run_reports
from server.reports.source import open_report_engine
from server.store.database import migrate, open_engines
from server.store.tables import RatingRow, TicketRow
from tests.server.reports.conftest import (
    hand_made_tickets,
    live_days,
    report_config,
    ticket,
    write,
)

NOW = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
EVERY = tuple(Breakdown)




@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'qms.sqlite3'}"
    engines = open_engines(url)
    migrate(engines)
    engines.dispose()
    yield url


@pytest.fixture
def closed_database(sqlite_database: str) -> str:
    """The hand-made tickets; ``hcc``'s live day 10/11: 02/11-04/11 are closed."""
    rows, ratings = hand_made_tickets()
    write(sqlite_database, insert(TicketRow).values(rows), insert(RatingRow).values(ratings),
          live_days(date(2026, 11, 10), "hcc"))
    return sqlite_database


def reports(url: str, settings: Settings, use_day_cache: bool = True,
            first: str = "2026-11-02", last: str = "2026-11-03") -> dict[Breakdown, Report]:
    engine = open_report_engine(url)
    try:
        return run_reports(engine, settings, build_request(
            settings, sites="hcc", first=first, last=last, breakdown="service"), EVERY,
            now=NOW, use_day_cache=use_day_cache)
    finally:
        engine.dispose()


def cache_file(url: str) -> Path:
    return day_cache.cache_path(Path(url.removeprefix("sqlite:///")))


def copied(url: str) -> dict[tuple[str, str], int]:
    """(site, day) -> tickets in the copy."""
    import sqlite3
    with sqlite3.connect(cache_file(url)) as connection:
        return {(site, day): count for site, day, count in connection.execute(
            "SELECT d.site, d.day, (SELECT count(*) FROM facts f WHERE f.site = d.site "
            "AND f.day = d.day) FROM days d")}


def test_closed_days_come_from_the_copy_with_the_very_same_figures(
        closed_database: str, report_settings: Settings) -> None:
    from_tickets = reports(closed_database, report_settings, use_day_cache=False)
    assert not cache_file(closed_database).exists()
    first = reports(closed_database, report_settings)  # copies the two days, then reads them
    assert copied(closed_database) == {("hcc", "2026-11-02"): 8, ("hcc", "2026-11-03"): 1}
    second = reports(closed_database, report_settings)  # from the copy
    assert first == from_tickets and second == from_tickets
    assert from_tickets[Breakdown.SERVICE].total.issued == 9
    assert from_tickets[Breakdown.SERVICE].total.cases_served == 5


@pytest.mark.parametrize("live", [date(2026, 11, 3), date(2026, 11, 2), date(2026, 11, 1)])
def test_the_live_day_and_later_ones_are_read_from_the_tickets(
        sqlite_database: str, report_settings: Settings, live: date) -> None:
    rows, ratings = hand_made_tickets()
    write(sqlite_database, insert(TicketRow).values(rows), insert(RatingRow).values(ratings),
          live_days(live, "hcc"))
    from_tickets = reports(sqlite_database, report_settings, use_day_cache=False)
    assert reports(sqlite_database, report_settings) == from_tickets
    assert reports(sqlite_database, report_settings) == from_tickets
    days = {day for _site, day in copied(sqlite_database)}
    assert days == {day.isoformat() for day in (date(2026, 11, 2),) if day < live}


def test_a_late_rating_a_changed_ticket_and_a_new_one_show_in_the_next_report(
        closed_database: str, report_settings: Settings) -> None:
    reports(closed_database, report_settings)
    before = reports(closed_database, report_settings)[Breakdown.SERVICE].total
    # A rating for T3 (served, unrated), written straight into the database.
    write(closed_database, insert(RatingRow).values(
        ticket_id="hcc:20261102:B001", site="hcc", score=1, source="web",
        rated_at=datetime(2026, 11, 4, 2, 0, tzinfo=UTC), counter="C1", officer="an",
        service="S2", case_code=None))
    after = reports(closed_database, report_settings)
    assert after == reports(closed_database, report_settings, use_day_cache=False)
    total = after[Breakdown.SERVICE].total
    assert (total.rated, total.cases_dissatisfied) == (before.rated + 1,
                                                      before.cases_dissatisfied + 1)
    # The stale copy was dropped and is made again by the next report.
    assert ("hcc", "2026-11-02") not in copied(closed_database)
    assert reports(closed_database, report_settings) == after
    assert copied(closed_database)[("hcc", "2026-11-02")] == 8
    # A ticket whose status changed, a ticket removed, a ticket added on a closed day.
    write(closed_database,
          update(TicketRow).where(TicketRow.id == "hcc:20261102:C002").values(status="done"),
          delete(TicketRow).where(TicketRow.id == "hcc:20261102:A003"),
          insert(TicketRow).values(ticket(
              "C009", "S3", "done", datetime(2026, 11, 3, 2, 0, tzinfo=UTC),
              datetime(2026, 11, 3, 2, 5, tzinfo=UTC), datetime(2026, 11, 3, 2, 5, tzinfo=UTC),
              datetime(2026, 11, 3, 2, 9, tzinfo=UTC), counter="C2", officer="binh",
              day=date(2026, 11, 3))))
    changed = reports(closed_database, report_settings)
    assert changed == reports(closed_database, report_settings, use_day_cache=False)
    assert changed[Breakdown.SERVICE].total.issued == 9
    assert changed[Breakdown.SERVICE].total.cancelled == 0
    assert reports(closed_database, report_settings) == changed
    assert copied(closed_database) == {("hcc", "2026-11-02"): 7, ("hcc", "2026-11-03"): 2}


def test_a_new_configuration_applies_to_copied_days(closed_database: str) -> None:
    """Targets, scales and time zones come from the settings of each report, not the copy."""
    settings = parse_settings(report_config())
    reports(closed_database, settings)
    config = report_config()
    config["sites"][0]["timezone"] = "Asia/Tokyo"
    config["sites"][0]["target_wait_minutes"] = 5
    config["sites"][0]["services"][0].pop("target_wait_minutes")
    changed = parse_settings(config)
    assert reports(closed_database, changed) == reports(closed_database, changed,
                                                        use_day_cache=False)
    assert reports(closed_database, changed)[Breakdown.HOUR] \
        != reports(closed_database, settings)[Breakdown.HOUR]


@pytest.mark.parametrize("damage", ["deleted", "garbage", "truncated", "other version",
                                    "table dropped", "rows removed"])
def test_a_deleted_or_damaged_copy_is_made_again_never_wrong(
        closed_database: str, report_settings: Settings, damage: str) -> None:
    expected = reports(closed_database, report_settings, use_day_cache=False)
    reports(closed_database, report_settings)
    path = cache_file(closed_database)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    if damage == "deleted":
        path.unlink()
    elif damage == "garbage":
        path.write_bytes(b"not a database at all " * 500)
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:1500])
    else:
        import sqlite3
        with sqlite3.connect(path) as connection:
            if damage == "other version":
                connection.execute("UPDATE meta SET value = '0' WHERE key = 'version'")
            elif damage == "table dropped":
                connection.execute("DROP TABLE facts")
            else:  # the copy lost tickets but not its days' fingerprints: a damaged copy
                connection.execute("DELETE FROM facts WHERE status = 'done'")
    assert reports(closed_database, report_settings) == expected
    assert reports(closed_database, report_settings) == expected
    assert copied(closed_database) == {("hcc", "2026-11-02"): 8, ("hcc", "2026-11-03"): 1}


def test_reports_running_together_fill_the_copy_once_and_agree(
        closed_database: str, report_settings: Settings) -> None:
    expected = reports(closed_database, report_settings, use_day_cache=False)
    start = threading.Barrier(3)
    results: list[Any] = []

    def one() -> None:
        start.wait()
        try:
            results.append(reports(closed_database, report_settings))
        except Exception as error:  # noqa: BLE001 - reported below
            results.append(error)

    threads = [threading.Thread(target=one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 3
    assert copied(closed_database) == {("hcc", "2026-11-02"): 8, ("hcc", "2026-11-03"): 1}


def test_local_hours_from_the_copy_across_a_daylight_saving_change(
        sqlite_database: str) -> None:
    """Berlin leaves summer time at 01:00 UTC on 25/10/2026: 00:30 and 01:30 UTC are both
    02:30 local, 00:59:59.9999 UTC is 02:59 local and 01:00 UTC is 02:00 local."""
    config = report_config()
    config["sites"][0]["timezone"] = "Europe/Berlin"
    settings = parse_settings(config)
    day = date(2026, 10, 25)
    moments = [datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
               datetime(2026, 10, 25, 0, 59, 59, 999900, tzinfo=UTC),
               datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
               datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
               datetime(2026, 10, 25, 12, 59, 59, 999999, tzinfo=UTC)]
    rows = [ticket(f"A{index:03d}", "S1", "done", moment, moment + timedelta(minutes=3),
                   moment + timedelta(minutes=3), moment + timedelta(minutes=9),
                   counter="C1", officer="an", day=day)
            for index, moment in enumerate(moments, start=1)]
    write(sqlite_database, insert(TicketRow).values(rows), live_days(date(2026, 10, 27), "hcc"))
    expected = reports(sqlite_database, settings, use_day_cache=False,
                       first="2026-10-25", last="2026-10-25")
    hours = {row.key: row.figures.issued for row in expected[Breakdown.HOUR].rows}
    assert hours == {2: 4, 13: 1}
    for _ in range(2):
        assert reports(sqlite_database, settings, first="2026-10-25",
                       last="2026-10-25") == expected
    assert copied(sqlite_database) == {("hcc", "2026-10-25"): 5}


def test_no_copy_where_the_directory_cannot_hold_one(
        closed_database: str, report_settings: Settings) -> None:
    """A directory in the copy's place: no copy can be made, the report reads the tickets."""
    cache_file(closed_database).mkdir()
    expected = reports(closed_database, report_settings, use_day_cache=False)
    assert reports(closed_database, report_settings) == expected


def test_postgresql_reports_keep_no_copy(empty_database: str,
                                         report_settings: Settings) -> None:
    if empty_database.startswith("sqlite"):
        pytest.skip("the PostgreSQL half of the fixture")
    rows, ratings = hand_made_tickets()
    write(empty_database, insert(TicketRow).values(rows), insert(RatingRow).values(ratings),
          live_days(date(2026, 11, 10), "hcc"))
    result = reports(empty_database, report_settings)
    assert result[Breakdown.SERVICE].total.issued == 9
    engines = open_engines(empty_database)
    with engines.reader.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM sites")).scalar_one() == 1
    engines.dispose()
