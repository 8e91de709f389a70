"""The kiosk and opening hours, end to end: real widgets (offscreen) against a real server
whose clock the test sets, the kiosk's own monotonic clock a fake the test moves.

The kiosk takes a fresh snapshot when the server's snapshot says the next opening or closing
comes (measured from the server's ``now`` on the kiosk's own clock): the test moves both
clocks together and the kiosk closes at lunch and comes back by itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from support.clock import ManualClock
from support.servers import site_config

from kiosk.models.screens import Screen
from kiosk.models.status import ConnectionState
from kiosk.ui.app import KioskApp
from kiosk.ui.tiles import Tile
from server.app.serve import RunningServer, start_server
from server.config import parse_settings

Until = Callable[..., Awaitable[None]]
MakeKiosk = Callable[..., KioskApp]
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = "07:30-11:30, 13:30-17:00"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
# Monday 1 February 2027, a minute before the lunch break.
BEFORE_LUNCH = datetime(2027, 2, 1, 11, 29, tzinfo=VIETNAM)


class FakeClock:
    """The kiosk's monotonic seconds, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(BEFORE_LUNCH)


@pytest.fixture
async def hours_server(tmp_path: Path, clock: ManualClock) -> AsyncIterator[RunningServer]:
    """The test site open Monday to Friday in two sessions; land files (DD-NOP) are taken in
    the mornings only, births (HT) not on Tuesdays."""
    config = site_config()
    site = config["sites"][0]
    site["opening_hours"] = dict.fromkeys(WEEKDAYS, DAY)
    site["services"][0]["opening_hours"] = dict.fromkeys(WEEKDAYS, "07:30-11:30")
    site["services"][2]["opening_hours"] = {"tuesday": ""}
    running = await start_server(parse_settings(config), host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{tmp_path / 'q.db'}", clock=clock)
    yield running
    await running.stop()


def tile(kiosk: KioskApp, page: str, code: str) -> Tile:
    grid = getattr(kiosk.window, page).grid
    found = grid.tile(code)
    assert found is not None, f"no tile {code} on {page}"
    assert isinstance(found, Tile)
    return found


def screen(kiosk: KioskApp) -> Screen:
    """The kiosk's screen (a call, so type checkers do not narrow it between steps)."""
    return kiosk.model.screen


def showing_closed(kiosk: KioskApp) -> bool:
    window = kiosk.window
    return (kiosk.model.screen is Screen.HOME
            and window.stack.currentWidget() is window.message_page
            and window.message_page.message.text() == "Hiện ngoài giờ cấp số thứ tự")


def move(clock: ManualClock, kiosk_clock: FakeClock, to: datetime) -> None:
    """Both clocks forward to ``to``, as time passes for the server and the kiosk alike."""
    kiosk_clock.now += (to - clock.now).total_seconds()
    clock.now = to


async def test_the_kiosk_closes_for_lunch_and_comes_back_by_itself(
        hours_server: RunningServer, clock: ManualClock, make_kiosk: MakeKiosk,
        until: Until, qtbot: QtBot) -> None:
    kiosk_clock = FakeClock()
    kiosk = make_kiosk(hours_server.ws_url, clock=kiosk_clock, idle_seconds=10**7)
    window = kiosk.window
    await until(lambda: kiosk.model.can_issue, "the kiosk online with its menu")
    assert tile(kiosk, "home_page", "DD").isEnabled()
    QTest.mouseClick(tile(kiosk, "home_page", "DD"), Qt.MouseButton.LeftButton)
    assert screen(kiosk) is Screen.PROCEDURES
    assert tile(kiosk, "procedures_page", "DD-NOP").isEnabled()

    # 11:30: every service closes for lunch; the kiosk goes home and says so.
    move(clock, kiosk_clock, BEFORE_LUNCH.replace(minute=30))
    await until(lambda: showing_closed(kiosk), "the closed home screen")
    assert window.message_page.detail.text() == (
        "Mở lại lúc 13:30. Kính mời Quý khách quay lại sau.")
    assert not window.message_page.button.isVisible()
    assert not window.instruction.isVisible() and not window.banner.isVisible()
    QTest.mouseClick(window.language_button, Qt.MouseButton.LeftButton)
    assert window.message_page.message.text() == "Numbers are not being issued now"
    assert window.message_page.detail.text() == "Reopens at 13:30. Please come back then."
    QTest.mouseClick(window.language_button, Qt.MouseButton.LeftButton)

    # 13:30: the afternoon opens, except for land files, which wait for Tuesday morning.
    move(clock, kiosk_clock, BEFORE_LUNCH.replace(hour=13, minute=30))
    await until(lambda: window.stack.currentWidget() is window.home_page,
                "the menu back after lunch")
    assert tile(kiosk, "home_page", "DD").isEnabled()
    QTest.mouseClick(tile(kiosk, "home_page", "DD"), Qt.MouseButton.LeftButton)
    land = tile(kiosk, "procedures_page", "DD-NOP")
    assert not land.isEnabled()
    assert land.text_parts.detail == "Mở lại lúc 07:30 thứ Ba 02/02"
    assert tile(kiosk, "procedures_page", "DD-TRA").isEnabled()
    QTest.mouseClick(land, Qt.MouseButton.LeftButton)  # disabled: nothing happens
    assert screen(kiosk) is Screen.PROCEDURES and kiosk.model.pending is None
    QTest.mouseClick(tile(kiosk, "procedures_page", "DD-TRA"), Qt.MouseButton.LeftButton)
    await until(lambda: screen(kiosk) is Screen.TICKET, "the ticket")
    assert kiosk.model.ticket is not None and kiosk.model.ticket.number == "1001"


async def test_a_field_whose_services_are_all_closed_is_disabled(
        hours_server: RunningServer, clock: ManualClock, make_kiosk: MakeKiosk,
        until: Until) -> None:
    # At 14:00 on a Tuesday the land field keeps its collections, while the civil-status
    # field (births only, closed on Tuesdays) is closed until Wednesday.
    clock.now = datetime(2027, 2, 2, 14, 0, tzinfo=VIETNAM)
    kiosk = make_kiosk(hours_server.ws_url, clock=FakeClock())
    await until(lambda: kiosk.model.connection is ConnectionState.ONLINE
                and kiosk.model.catalogue is not None, "the kiosk online")
    births = tile(kiosk, "home_page", "TP")
    assert not births.isEnabled()
    assert births.text_parts.detail == "Mở lại lúc 07:30 thứ Tư 03/02"
    assert tile(kiosk, "home_page", "DD").isEnabled()
