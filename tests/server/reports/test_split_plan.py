"""The split plan of a large SQLite report (server.reports.split_plan): parts of about as
many tickets, one part for small reports, busy cores or PostgreSQL; its ticket counts from
the reports' copy of closed days equal the tickets counted (the live day counted in the
tickets), a stale day counts what the copy held, and a report split on such counts is still
exactly the report read in one."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from server.config import load_settings
from server.demo_history import history_days
from server.reports import day_cache, queries, split_plan
from server.reports.request import Breakdown, build_request
from server.reports.run import run_reports, scope_of
from server.reports.source import open_report_engine, reading
from tests.server.reports.conftest import HISTORY_DAYS as DAYS
from tests.server.reports.conftest import HISTORY_LAST_DAY as LAST_DAY
from tests.server.reports.conftest import assert_same

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def every_site() -> queries.Scope:
    demo = load_settings(None)
    first = history_days(LAST_DAY, DAYS)[0]
    return scope_of(demo, build_request(demo, sites="all", first=first, last=LAST_DAY,
                                        breakdown="service"), "sqlite")


def counted(path: Path, scope: queries.Scope, cache: Path | None) -> dict[str, int]:
    engine = open_report_engine(f"sqlite:///{path}")
    attach = (day_cache.attach_statement(cache),) if cache is not None else ()
    try:
        with reading(engine, attach) as connection:
            return split_plan.site_tickets(connection, scope, cached=cache is not None)
    finally:
        engine.dispose()


def test_plan_balances_the_tickets_and_keeps_small_reports_whole(
        demo_history: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demo = load_settings(None)
    first = history_days(LAST_DAY, DAYS)[0]
    engine = open_report_engine(f"sqlite:///{demo_history}")
    try:
        every = every_site()
        one = scope_of(demo, build_request(demo, sites="hcc-tinh", first=first,
                                           last=LAST_DAY, breakdown="service"), "sqlite")
        assert split_plan.plan(engine, every, None, load=0.0) is None  # under MIN_TICKETS
        assert split_plan.plan(engine, every, 1) is None
        assert split_plan.plan(engine, one, 2) is None
        assert split_plan.plan(engine, every, 2) == [("hcc-tinh",), ("ubnd-phuong-1",)]
        # Large enough: two parts while a core is free, one when the cores are busy.
        monkeypatch.setattr(split_plan, "MIN_TICKETS", 1000)
        cores = os.cpu_count() or 1
        assert split_plan.plan(engine, every, None, load=cores - 1.0) == \
            [("hcc-tinh",), ("ubnd-phuong-1",)]
        assert split_plan.plan(engine, every, None, load=cores - 0.4) is None
        assert split_plan.plan(engine, every, 2, load=cores + 4.0) is not None
        # PostgreSQL reads in one part (not built there).
        assert split_plan.plan(engine, replace(every, dialect="postgresql"), 2) is None
    finally:
        engine.dispose()


def test_counts_from_the_copy_equal_the_counted_tickets(demo_history_copy: Path) -> None:
    scope = every_site()
    cache = day_cache.prepare(demo_history_copy, scope)
    assert cache is not None
    tickets = counted(demo_history_copy, scope, None)
    assert sum(tickets.values()) > 4000 and set(tickets) == {"hcc-tinh", "ubnd-phuong-1"}
    with sqlite3.connect(cache) as connection:
        copied = connection.execute("SELECT count(*) FROM days").fetchone()[0]
    assert copied == 2 * (DAYS - 1)  # every closed day copied; the live day is not
    assert counted(demo_history_copy, scope, cache) == tickets
    # Without a copy of some site's days (dropped), those are counted in the tickets.
    day_cache.drop_stale(demo_history_copy, [("hcc-tinh", day)
                                             for day in history_days(LAST_DAY, DAYS)[2:5]])
    assert counted(demo_history_copy, scope, cache) == tickets


def test_a_stale_day_counts_what_the_copy_held_and_the_split_report_stays_exact(
        demo_history_copy: Path) -> None:
    scope = every_site()
    cache = day_cache.prepare(demo_history_copy, scope)
    assert cache is not None
    before = counted(demo_history_copy, scope, None)
    closed = history_days(LAST_DAY, DAYS)[3]
    with sqlite3.connect(demo_history_copy) as connection:  # a closed day changed behind the copy
        connection.execute(
            "DELETE FROM tickets WHERE rowid = (SELECT min(rowid) FROM tickets "
            "WHERE site = 'ubnd-phuong-1' AND business_date = ?)", (closed.isoformat(),))
    after = counted(demo_history_copy, scope, None)
    assert after == {**before, "ubnd-phuong-1": before["ubnd-phuong-1"] - 1}
    assert counted(demo_history_copy, scope, cache) == before  # the copy's count of the stale day
    engine = open_report_engine(f"sqlite:///{demo_history_copy}")
    try:
        assert split_plan.plan(engine, scope, 2, cache=cache) == \
            [("hcc-tinh",), ("ubnd-phuong-1",)]
        settings = load_settings(None)
        request = scope.request
        split = run_reports(engine, settings, request, tuple(Breakdown), now=NOW, parts=2)
        whole = run_reports(engine, settings, request, tuple(Breakdown), now=NOW, parts=1,
                            use_day_cache=False)
    finally:
        engine.dispose()
    assert_same(split, whole)  # the means but for their last bits, as test_partition
    assert split[Breakdown.SERVICE].total.issued == sum(after.values())


def test_a_copy_it_cannot_read_counts_the_tickets(demo_history_copy: Path, tmp_path: Path) -> None:
    scope = every_site()
    damaged = tmp_path / "damaged.reports-cache"
    damaged.write_bytes(b"not a database at all" * 100)
    engine = open_report_engine(f"sqlite:///{demo_history_copy}")
    try:
        assert split_plan.plan(engine, scope, 2, cache=damaged) == \
            [("hcc-tinh",), ("ubnd-phuong-1",)]
    finally:
        engine.dispose()


def test_uncopied_runs() -> None:
    first, last = date(2026, 11, 2), date(2026, 11, 8)
    days = {date(2026, 11, day) for day in (3, 4, 6)}
    assert split_plan._uncopied(first, last, days) == [
        (date(2026, 11, 2), date(2026, 11, 2)), (date(2026, 11, 5), date(2026, 11, 5)),
        (date(2026, 11, 7), date(2026, 11, 8))]
    assert split_plan._uncopied(first, last, set()) == [(first, last)]
    assert split_plan._uncopied(first, first, {first}) == []
