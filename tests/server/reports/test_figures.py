"""Report figures against the hand-made tickets of conftest.py, worked out by hand here.

Waiting times (issue to first call), seconds: T1 600, T2 1,200, T3 2,040, T4 60, T7 300,
T8 300, T9 480; sorted 60 300 300 480 600 1,200 2,040: the median is the 4th (ceil 7/2),
480; the 90th percentile the 7th (ceil 6.3), 2,040; the mean 4,980 / 7.
Service times: T1 600, T2 300, T3 720, T4 120, T7 600 (at C2 only), T8 300, T9 480; sorted
120 300 300 480 600 600 720: median 480, 90th percentile 720, mean 3,120 / 7.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from server.config import Settings
from server.reports.model import Figures, Report
from server.reports.request import Breakdown, build_request
from server.reports.run import iter_cases, run_report, run_reports
from server.reports.source import open_report_engine
from server.reports.table import body, headers

NOW = datetime(2026, 11, 10, 3, 0)


def report(url: str, settings: Settings, by: str, first: str = "02/11/2026",
           last: str = "03/11/2026", sites: str | list[str] = "hcc") -> Report:
    engine = open_report_engine(url)
    try:
        return run_report(engine, settings, build_request(settings, sites=sites, first=first,
                                                          last=last, breakdown=by))
    finally:
        engine.dispose()


def rows_by_key(result: Report) -> dict[object, Figures]:
    return {row.key: row.figures for row in result.rows}


def test_total_counts_times_and_shares(report_database: str, report_settings: Settings) -> None:
    total = report(report_database, report_settings, "service").total
    assert (total.issued, total.served, total.no_show, total.cancelled, total.in_progress,
            total.transferred) == (9, 7, 1, 1, 0, 1)
    assert (total.waiting.count, total.waiting.median, total.waiting.p90,
            total.waiting.maximum) == (7, 480, 2040, 2040)
    assert total.waiting.mean == pytest.approx(4980 / 7)
    assert (total.service.median, total.service.p90, total.service.maximum) == (480, 720, 720)
    assert total.service.mean == pytest.approx(3120 / 7)
    # Targets: S1 10 min, the rest 30 min. Within: T1 (exactly 600 s: counted), T4, T7 (its
    # last service S3: 30 min), T8, T9; not T2 (1,200 > 600) nor T3 (2,040 > 1,800).
    assert total.within_target == 5
    assert total.within_target_share == pytest.approx(5 / 7)


def test_ratings_and_the_qd766_rate_on_a_worked_example(report_database: str,
                                                        report_settings: Settings) -> None:
    """QĐ 766: cases served are HS-1 (T1, T2), HS-2 (T4 and T9, two services), HS-3 (T7),
    and T3 and T8 (no case code: each its own case): 5. Dissatisfied (any rating at the
    lowest score, 1): HS-1 (T2 rated 1) and HS-2 (T9 rated 1): 2. Rate (5 - 2) / 5 = 60 %.
    T3 is served but unrated: a case all the same, and not a dissatisfied one."""
    result = report(report_database, report_settings, "service")
    total = result.total
    assert [step.score for step in result.scale] == [4, 3, 2, 1]
    assert result.scale[-1].lowest and result.scale[-1].label_vi == "Không hài lòng"
    assert dict(total.ratings) == {4: 2, 3: 1, 2: 1, 1: 2}
    assert total.rated == 6
    assert total.rated_share == pytest.approx(6 / 7)
    assert (total.cases_served, total.cases_dissatisfied) == (5, 2)
    assert total.satisfaction_rate == pytest.approx(0.6)


def test_by_service_attributes_a_transferred_ticket_where_it_ended(
        report_database: str, report_settings: Settings) -> None:
    result = report(report_database, report_settings, "service")
    assert [(row.key, row.label, row.site) for row in result.rows] == [
        ("S1", "Nộp hồ sơ đất đai", "hcc"), ("S2", "Nhận kết quả đất đai", "hcc"),
        ("S3", "Đăng ký khai sinh", "hcc")]
    rows = rows_by_key(result)
    s1, s2, s3 = rows["S1"], rows["S2"], rows["S3"]
    assert (s1.issued, s1.served, s1.cancelled, s1.transferred) == (3, 2, 1, 0)
    assert (s1.waiting.median, s1.waiting.p90) == (600, 1200)  # ranks 1 and 2 of 2
    assert (s1.within_target, s1.cases_served, s1.cases_dissatisfied) == (1, 1, 1)
    assert s1.satisfaction_rate == 0
    assert (s2.issued, s2.served, s2.waiting.median, s2.waiting.p90) == (2, 2, 480, 2040)
    assert (s2.cases_served, s2.cases_dissatisfied, s2.satisfaction_rate) == (2, 1, 0.5)
    # T7 (called at S1, transferred, served at S3) counts at S3 only, with its wait from
    # issue to its first call (at S1) and its service time at C2.
    assert (s3.issued, s3.served, s3.no_show, s3.transferred) == (4, 3, 1, 1)
    assert (s3.waiting.median, s3.waiting.p90, s3.service.maximum) == (300, 300, 600)
    # HS-2 is in S2 and S3: a case in each row, once in the total.
    assert (s3.cases_served, s3.cases_dissatisfied) == (3, 0)
    assert sum(row.cases_served for row in rows.values()) == 6
    assert result.total.cases_served == 5


def test_by_counter_and_by_officer_with_time_on_duty(report_database: str,
                                                     report_settings: Settings) -> None:
    counters = report(report_database, report_settings, "counter")
    assert [(row.key, row.label) for row in counters.rows] == [
        ("C1", "Quầy 1"), ("C2", "Quầy 2"), (None, "(chưa gọi)")]
    rows = rows_by_key(counters)
    assert (rows["C1"].issued, rows["C1"].served) == (4, 4)
    assert (rows["C2"].issued, rows["C2"].served, rows["C2"].no_show) == (4, 3, 1)
    assert (rows[None].issued, rows[None].cancelled) == (1, 1)
    assert rows["C1"].on_duty_seconds is None

    officers = report(report_database, report_settings, "officer")
    assert [row.label for row in officers.rows] == ["Nguyễn Văn An", "Trần Thị Bình",
                                                     "(không đăng nhập)"]
    rows = rows_by_key(officers)
    # an, 02/11: T1 08:10-08:20:30, gap 4.5 min, T2 08:25-08:30, gap 10 min, T3 08:40-08:52;
    # then T9 23:58-00:06 after a break of 15 h (not counted): 630 + 270 + 300 + 600 + 720
    # + 480 = 3,000 s; 4 served: 4.8 an hour.
    assert rows["an"].on_duty_seconds == pytest.approx(3000)
    assert rows["an"].tickets_per_hour == pytest.approx(4.8)
    # binh, 02/11: T4 09:01-09:03, gap 17 min, T5 09:20-09:22 (the no-show), 68 min break,
    # T7 10:30-10:40 (from its call at C2); 03/11: T8 00:20-00:25. 120 + 1,020 + 120 + 600
    # + 300 = 2,160 s; 3 served: 5 an hour.
    assert rows["binh"].on_duty_seconds == pytest.approx(2160)
    assert rows["binh"].tickets_per_hour == pytest.approx(5.0)
    assert rows[None].tickets_per_hour is None


def test_by_hour_and_by_day_use_local_time_across_midnight(report_database: str,
                                                          report_settings: Settings) -> None:
    hours = rows_by_key(report(report_database, report_settings, "hour"))
    # T8 was issued at 00:15 local (17:15 UTC the day before), T9 at 23:50 local.
    assert {hour: figures.issued for hour, figures in hours.items()} == {
        0: 1, 8: 3, 9: 2, 10: 2, 23: 1}
    assert hours[23].served == 1 and hours[23].service.median == 480  # finished 00:06
    days = report(report_database, report_settings, "day")
    assert [(row.key, row.label, row.figures.issued) for row in days.rows] == [
        (date(2026, 11, 2), "Thứ Hai 02/11/2026", 8), (date(2026, 11, 3), "Thứ Ba 03/11/2026", 1)]
    only_tuesday = report(report_database, report_settings, "service", first="03/11/2026")
    assert only_tuesday.total.issued == 1


def test_by_field_and_by_site(report_database: str, report_settings: Settings) -> None:
    fields = report(report_database, report_settings, "field")
    assert [(row.key, row.label, row.figures.issued) for row in fields.rows] == [
        ("F1", "Đất đai", 5), ("F2", "Hộ tịch", 4)]
    sites = report(report_database, report_settings, "site", sites="all")
    assert [(row.key, row.figures.issued, row.figures.served) for row in sites.rows] == [
        ("hcc", 9, 7), ("p1", 1, 1)]
    assert sites.total.issued == 10
    # p1's ticket has no case code: one more case, dissatisfied (rated 1).
    assert (sites.total.cases_served, sites.total.cases_dissatisfied) == (6, 3)


def test_rows_and_headers_are_named_in_english_too(report_database: str,
                                                   report_settings: Settings) -> None:
    """For the pages' English switch: the configuration's English names where it has them
    (the site's), its Vietnamese ones where not (these services), English words for the
    rest; the files keep the Vietnamese."""
    counters = report(report_database, report_settings, "counter")
    assert [row.label_en for row in counters.rows] == ["Quầy 1", "Quầy 2", "(not called)"]
    assert headers(counters, english=True)[:4] == ["Counter code", "Counter",
                                                   "Tickets issued", "Served"]
    assert headers(counters)[:4] == ["Mã quầy", "Quầy", "Số phiếu đã cấp", "Đã phục vụ"]
    assert list(body(counters, english=True))[-1][1] == "Total"
    officers = report(report_database, report_settings, "officer")
    assert officers.rows[-1].label_en == "(no officer signed in)"
    assert headers(officers, english=True)[-2:] == ["Hours on duty", "Tickets served per hour"]
    days = report(report_database, report_settings, "day")
    assert [row.label_en for row in days.rows] == ["Monday 02/11/2026", "Tuesday 03/11/2026"]
    services = report(report_database, report_settings, "service", sites="all")
    assert [(row.label_en, row.site_name_en) for row in services.rows][:1] == [
        ("Nộp hồ sơ đất đai", "Test centre")]
    english = headers(services, english=True)
    assert english[:3] == ["Site", "Service code", "Service"]
    assert [step.label_en for step in services.scale] == [
        "Very satisfied", "Satisfied", "Neutral", "Dissatisfied"]
    assert all(header.replace("QĐ", "").isascii() for header in english)
    assert next(body(services, english=True))[0] == "Test centre"
    assert next(body(services))[0] == "Trung tâm thử nghiệm"


def test_charts(report_database: str, report_settings: Settings) -> None:
    charts = report(report_database, report_settings, "service").charts
    hours = {item.hour: (item.arrivals, item.calls) for item in charts.hours}
    assert list(hours) == list(range(24))  # every hour from the first to the last
    assert (hours[0], hours[8], hours[9], hours[10], hours[12], hours[23]) == (
        (1, 1), (3, 3), (2, 2), (2, 1), (0, 0), (1, 1))
    assert [(bucket.label, bucket.count) for bucket in charts.waiting] == [
        ("0-5", 1), ("5-10", 3), ("10-15", 1), ("15-20", 0), ("20-30", 1), ("30-45", 1),
        ("45-60", 0), ("≥ 60", 0)]
    assert [(week.week_start, week.cases_served, week.cases_dissatisfied, week.rated)
            for week in charts.weeks] == [(date(2026, 11, 2), 5, 2, 6)]


def test_an_empty_range_has_no_rows_and_no_figures(report_database: str,
                                                  report_settings: Settings) -> None:
    result = report(report_database, report_settings, "officer", first="01/12/2026",
                    last="31/12/2026")
    assert result.rows == ()
    total = result.total
    assert (total.issued, total.served, total.cases_served) == (0, 0, 0)
    assert total.waiting.median is None and total.waiting.mean is None
    assert total.satisfaction_rate is None and total.within_target_share is None
    assert result.charts.hours == () and result.charts.weeks == ()
    assert all(bucket.count == 0 for bucket in result.charts.waiting)


def test_several_breakdowns_share_one_reading(report_database: str,
                                              report_settings: Settings) -> None:
    engine = open_report_engine(report_database)
    request = build_request(report_settings, sites="hcc", first="2026-11-02", last="2026-11-03",
                            breakdown="day")
    reports = run_reports(engine, report_settings, request,
                          (Breakdown.SERVICE, Breakdown.HOUR, Breakdown.DAY))
    engine.dispose()
    assert list(reports) == [Breakdown.SERVICE, Breakdown.HOUR, Breakdown.DAY]
    assert {item.request.breakdown for item in reports.values()} == set(reports)
    assert all(item.total == reports[Breakdown.DAY].total for item in reports.values())


def test_per_case_rows_in_local_time(report_database: str, report_settings: Settings) -> None:
    engine = open_report_engine(report_database)
    request = build_request(report_settings, sites="hcc", first="2026-11-02", last="2026-11-03",
                            breakdown="service")
    cases = list(iter_cases(engine, report_settings, request))
    engine.dispose()
    assert [case.number for case in cases] == ["A001", "A002", "B001", "C001", "C002", "A003",
                                               "A004", "B002", "C003"]
    transferred = cases[6]
    assert (transferred.service, transferred.counter_name, transferred.officer_name,
            transferred.transfer_count, transferred.case_code) == (
        "S3", "Quầy 2", "Trần Thị Bình", 1, "HS-3")
    assert transferred.issued_at == datetime(2026, 11, 2, 10, 0)
    assert (transferred.waiting_seconds, transferred.service_seconds) == (300, 600)
    assert (transferred.score, transferred.rating_label) == (2, "Bình thường")
    unrated = cases[2]
    assert (unrated.score, unrated.rating_label, unrated.case_code) == (None, None, None)
    assert cases[5].status == "cancelled" and cases[5].waiting_seconds is None
    assert cases[8].issued_at == datetime(2026, 11, 3, 0, 15)


def test_every_way_of_taking_percentiles_agrees(report_database: str,
                                                report_settings: Settings) -> None:
    """The window-function statement (the generic way) gives the hand-computed percentiles
    on both databases, as the sorted tables (SQLite) and percentile_disc (PostgreSQL) do."""
    from server.reports.percentiles import by_windows
    from server.reports.run import ReportSession, scope_of
    from server.reports.source import reading

    engine = open_report_engine(report_database)
    request = build_request(report_settings, sites="hcc", first="2026-11-02",
                            last="2026-11-03", breakdown="service")
    with reading(engine) as connection:
        session = ReportSession(connection, scope_of(report_settings, request,
                                                     engine.dialect.name))
        grouped = by_windows(connection, session.scope, session.base, Breakdown.SERVICE)
        total = by_windows(connection, session.scope, session.base, None)[(None, None)]
    engine.dispose()
    assert (grouped[("hcc", "S1")].waiting_median, grouped[("hcc", "S1")].waiting_p90) == (
        600, 1200)
    assert (grouped[("hcc", "S3")].waiting_median, grouped[("hcc", "S3")].service_p90) == (
        300, 600)
    assert (total.waiting_median, total.waiting_p90, total.service_median,
            total.service_p90) == (480, 2040, 480, 720)
