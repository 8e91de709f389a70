"""Device reports in the pure rules: one event per change, kept across midnight."""

from __future__ import annotations

from datetime import timedelta

from support.domain import Desk, build_site

from server.domain import EventName, NotFound
from server.domain.commands import ReportDevice
from server.domain.model import DeviceCondition, DeviceKind


def _report(condition: DeviceCondition, counter: str | None = None) -> ReportDevice:
    return ReportDevice("bus/0x21", DeviceKind.LED_BOARD, condition, "admin", None, counter)


def test_a_report_makes_an_event_only_when_the_condition_changes() -> None:
    desk = Desk(build_site())
    first = desk.run(_report(DeviceCondition.OFFLINE, "Q1"))
    again = desk.run(_report(DeviceCondition.OFFLINE, "Q1"))
    back = desk.run(_report(DeviceCondition.OK, "Q1"))
    assert [event.name for event in first.events] == [EventName.DEVICE_STATUS]
    assert again.events == ()
    assert [event.name for event in back.events] == [EventName.DEVICE_STATUS]
    assert desk.state.devices["bus/0x21"].condition is DeviceCondition.OK


def test_reports_survive_midnight_and_name_known_counters_only() -> None:
    desk = Desk(build_site())
    desk.run(_report(DeviceCondition.OFFLINE))
    desk.now = desk.now.replace(hour=23, minute=59) + timedelta(minutes=2)
    desk.issue("KS")  # the first command of the new day opens it
    assert desk.state.business_date == desk.now.date()
    assert desk.state.devices["bus/0x21"].condition is DeviceCondition.OFFLINE
    desk.refuse(_report(DeviceCondition.OK, "NO-SUCH-COUNTER"), NotFound)


def test_a_device_silent_for_a_day_is_forgotten_and_one_heard_from_is_kept() -> None:
    desk = Desk(build_site())
    desk.run(ReportDevice("kiosk-1/printer", DeviceKind.PRINTER, DeviceCondition.OK, "kiosk"))
    desk.run(_report(DeviceCondition.OK))
    desk.later(minutes=23 * 60)
    # The LED board reports the same news again: it is alive, though nothing changed (the
    # day changed meanwhile: that is the only event).
    events = desk.run(_report(DeviceCondition.OK)).events
    assert [event.name for event in events] == [EventName.DAY_RESET]
    desk.later(minutes=2 * 60)
    desk.run(ReportDevice("kiosk-2/printer", DeviceKind.PRINTER, DeviceCondition.OK, "kiosk"))
    assert set(desk.state.devices) == {"bus/0x21", "kiosk-2/printer"}
    # Across midnight too: the day's reset keeps only devices heard from within a day.
    desk.later(minutes=23 * 60)
    desk.issue("KS")
    assert set(desk.state.devices) == {"kiosk-2/printer"}
