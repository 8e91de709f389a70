"""The dashboard's figures of the hall (pure): counters, services, totals, alerts, and the
QĐ 766 satisfaction rate on a worked example."""

from __future__ import annotations

from datetime import timedelta

from support.domain import MORNING, Desk, build_site, services_with

from server.domain.commands import Finish, Pause, Rate, ReportDevice
from server.domain.hall import DEVICE_SILENCE, AlertKind, hall_figures
from server.domain.model import (
    CounterStatus,
    DeviceCondition,
    DeviceKind,
    Rating,
    RatingSource,
)
from server.domain.satisfaction import satisfaction_rate


def test_the_qd_766_rate_on_a_worked_example() -> None:
    # Five served tickets, four cases: the submitting and collecting tickets A and B share
    # case X; C was entered without a case code, so it is a case of its own; D is case Y and
    # E case Z. Ratings: A "không hài lòng" (1), B 4, C 1, D 3, E unrated.
    # Cases served 4; cases with a lowest rating: X (through A) and C: 2.
    # Rate = (4 - 2) / 4 = 50 %.
    site = build_site()
    served = [("A", "X"), ("B", "X"), ("C", None), ("D", "Y"), ("E", "Z")]
    ratings = [Rating(ticket, score, RatingSource.COUNTER, MORNING, "Q1", "an", "KS", case)
               for ticket, score, case in (("A", 1, "X"), ("B", 4, "X"), ("C", 1, None),
                                           ("D", 3, "Y"))]
    assert satisfaction_rate(site, served, ratings) == 50.0
    assert satisfaction_rate(site, [], ratings) is None
    # A rating of a ticket not served in the range does not count.
    assert satisfaction_rate(site, served[3:], ratings) == 100.0


def test_services_counters_and_totals_of_the_day() -> None:
    desk = Desk(build_site())
    first = desk.issue("KS")
    desk.later(minutes=2)
    desk.issue("KS")
    desk.issue("DD")
    desk.login("Q1")
    desk.later(minutes=3)
    called = desk.call_next("Q1")
    assert called.id == first.id
    desk.serve("Q1", minutes=4)
    desk.run(Rate(first.id, 1, RatingSource.WEB))
    figures = hall_figures(desk.site, desk.state, desk.now)
    by_code = {service.code: service for service in figures.services}
    assert (by_code["KS"].waiting, by_code["KS"].served_today, by_code["KS"].open_counters) == (
        1, 1, 1)
    assert by_code["KS"].longest_waiting_since == MORNING + timedelta(minutes=2)
    assert (by_code["DD"].waiting, by_code["DD"].open_counters) == (1, 0)
    counters = {counter.code: counter for counter in figures.counters}
    assert counters["Q1"].status is CounterStatus.OPEN and counters["Q1"].officer == "an"
    assert counters["Q4"].status is CounterStatus.CLOSED
    totals = figures.totals
    assert (totals.issued, totals.served, totals.waiting, totals.ratings) == (3, 1, 2, 1)
    assert totals.median_wait_seconds == 5 * 60  # issued at 08:00, first called at 08:05
    assert totals.satisfaction_percent == 0.0  # one case, rated "không hài lòng"


def test_a_wait_past_its_target_and_a_long_pause_are_alerts_when_due() -> None:
    site = build_site(services=services_with("KS", target_wait_minutes=10),
                      pause_alert_minutes=15)
    desk = Desk(site)
    desk.issue("KS")  # 08:00, target 10 min
    desk.issue("DD")  # the site's default target, 30 min
    desk.login("Q2")
    desk.run(Pause("Q2", "họp giao ban"))  # 08:00
    early = hall_figures(site, desk.state, desk.now + timedelta(minutes=9))
    assert early.alerts == ()
    assert early.next_change_at == MORNING + timedelta(minutes=10)
    late = hall_figures(site, desk.state, MORNING + timedelta(minutes=16))
    assert [(alert.kind, alert.subject) for alert in late.alerts] == [
        (AlertKind.WAIT_OVER_TARGET, "KS"), (AlertKind.COUNTER_PAUSED, "Q2")]
    assert late.alerts[1].detail == "họp giao ban"
    assert late.next_change_at == MORNING + timedelta(minutes=30)  # DD's target next


def test_a_device_fault_and_a_device_gone_silent_are_alerts() -> None:
    desk = Desk(build_site())
    desk.run(ReportDevice("kiosk-1/printer", DeviceKind.PRINTER, DeviceCondition.PAPER_OUT,
                          "kiosk", "Máy in hết giấy"))
    desk.run(ReportDevice("bus/0x21", DeviceKind.LED_BOARD, DeviceCondition.OK, "bridge"))
    gone = desk.now
    fresh = hall_figures(desk.site, desk.state, desk.now, {"bus/0x21": gone})
    assert [(alert.kind, alert.subject) for alert in fresh.alerts] == [
        (AlertKind.DEVICE_FAULT, "kiosk-1/printer")]
    assert fresh.next_change_at == gone + DEVICE_SILENCE
    later = hall_figures(desk.site, desk.state, gone + DEVICE_SILENCE, {"bus/0x21": gone})
    assert {(alert.kind, alert.subject) for alert in later.alerts} == {
        (AlertKind.DEVICE_FAULT, "kiosk-1/printer"), (AlertKind.DEVICE_SILENT, "bus/0x21")}


def test_nothing_to_show_is_shown_as_nothing() -> None:
    desk = Desk(build_site())
    figures = hall_figures(desk.site, desk.state, desk.now)
    assert figures.totals.satisfaction_percent is None
    assert figures.totals.median_wait_seconds is None
    assert figures.alerts == () and figures.next_change_at is None
    assert all(service.longest_waiting_since is None for service in figures.services)
    desk.issue("KS")
    desk.login("Q1")
    desk.call_next("Q1")
    desk.run(Finish("Q1"))
    assert hall_figures(desk.site, desk.state, desk.now).totals.satisfaction_percent == 100.0
