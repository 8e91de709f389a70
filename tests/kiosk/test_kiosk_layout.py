"""The kiosk screens with the demo configuration (17 fields, 44 services) on a Full HD screen,
portrait and landscape: everything fits, nothing scrolls, text is big and not clipped.

With ``KIOSK_SCREENSHOTS=docs/images`` in the environment the test also saves the screens
(``kiosk-<screen>-<width>x<height>.png``) and a printed ticket (``kiosk-printed-ticket.png``)
there; that is how the pictures in docs/kiosk.md are made.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QLabel, QScrollBar, QWidget
from pytestqt.qtbot import QtBot
from support.clock import ManualClock

from hardware.printer import PrinterStatus, VirtualPrinter
from kiosk.models.catalogue import Catalogue
from kiosk.models.screens import CHECK_IN_CODE, Screen
from kiosk.models.status import ConnectionState
from kiosk.ui.app import KioskApp
from kiosk.ui.window import KioskWindow
from server.app.serve import RunningServer, start_server
from server.config import load_settings, parse_settings, settings_document
from server.protocol.client import ProtocolClient

Until = Callable[..., Awaitable[None]]
MakeKiosk = Callable[..., KioskApp]
SIZES = [(1920, 1080), (1080, 1920)]
DEMO_KIOSK_TOKEN = "demo-kiosk-token-0001"
DEMO_ADMIN_TOKEN = "demo-admin-token-0001"
DEMO_SITE = "hcc-tinh"
HOME_TITLE_MINIMUM_PX = 44
"""The home tiles' common title size must reach this on a 1080-px short side."""
ANY_TITLE_MINIMUM_PX = 36
"""No menu title may be smaller than this (a very long name on a crowded screen)."""


async def start_demo_server(folder: Path) -> RunningServer:
    """The demo configuration with a busy morning: open counters and waiting tickets."""
    running = await start_server(load_settings(None), host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{folder / 'demo.sqlite3'}")
    chance = random.Random(20261122)
    async with ProtocolClient(running.ws_url, "admin", DEMO_ADMIN_TOKEN, DEMO_SITE) as admin, \
            ProtocolClient(running.ws_url, "kiosk", DEMO_KIOSK_TOKEN, DEMO_SITE) as kiosk:
        state = admin.hello_result["state"]
        for counter in state["counters"][:10]:
            await admin.request("login", counter=counter["code"])
        services = [service["code"] for service in state["services"]]
        for _ in range(60):
            await kiosk.request("issue", service=chance.choice(services[:20]),
                                request_key=uuid.uuid4().hex)
    return running


def screenshot_folder() -> Path | None:
    folder = os.environ.get("KIOSK_SCREENSHOTS")
    return Path(folder) if folder else None


def save(window: KioskWindow, name: str) -> None:
    QApplication.processEvents()
    folder = screenshot_folder()
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        width, height = window.width(), window.height()
        assert window.grab().save(str(folder / f"kiosk-{name}-{width}x{height}.png"))


def assert_fits(window: KioskWindow, size: tuple[int, int]) -> None:
    """No scrolling anywhere; every visible widget inside the window; no clipped text."""
    QApplication.processEvents()  # let pending layout requests run, as before a paint
    assert (window.width(), window.height()) == size
    assert window.findChildren(QAbstractScrollArea) == []
    assert [bar for bar in window.findChildren(QScrollBar) if bar.isVisible()] == []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or widget.width() == 0:
            continue
        top_left = widget.mapTo(window, widget.rect().topLeft())
        bottom_right = widget.mapTo(window, widget.rect().bottomRight())
        assert window.rect().contains(top_left) and window.rect().contains(bottom_right), \
            f"{widget.objectName() or type(widget).__name__} sticks out of the window"
        if isinstance(widget, QLabel) and widget.text():
            if widget.wordWrap():
                assert widget.heightForWidth(widget.width()) <= widget.height(), widget.text()
            else:
                assert widget.sizeHint().width() <= widget.width(), widget.text()
    grid = window.current_grid
    if grid is not None:
        assert grid.fit.pages == 1
        for tile in grid.visible_tiles():
            needed = tile.height_needed()
            assert needed is not None and needed <= tile.height(), tile.text()
        assert grid.fit.smallest_px >= round(ANY_TITLE_MINIMUM_PX * min(size) / 1080)


@pytest.mark.parametrize("size", SIZES, ids=["landscape", "portrait"])
async def test_every_screen_fits_full_hd(
        make_kiosk: MakeKiosk, until: Until, qtbot: QtBot, tmp_path: Path,
        size: tuple[int, int]) -> None:
    demo_server = await start_demo_server(tmp_path)
    try:
        kiosk = await check_every_screen(demo_server, make_kiosk, until, qtbot, tmp_path, size)
    finally:
        await demo_server.stop()
    await until(lambda: kiosk.model.connection is ConnectionState.OFFLINE, "the lost server")
    assert kiosk.window.banner.isVisible()
    assert_fits(kiosk.window, size)
    save(kiosk.window, "disconnected")


async def check_every_screen(demo_server: RunningServer, make_kiosk: MakeKiosk, until: Until,
                             qtbot: QtBot, tmp_path: Path, size: tuple[int, int]) -> KioskApp:
    printer = VirtualPrinter(tmp_path / f"tickets-{size[0]}")
    kiosk = make_kiosk(demo_server.ws_url, printer=printer, size=size, token=DEMO_KIOSK_TOKEN,
                       site=DEMO_SITE, one_level_max_services=8, kiosk_name="kiosk-1")
    window = kiosk.window
    await until(lambda: kiosk.model.can_issue, "the demo menu")
    model = kiosk.model
    assert not model.one_level
    grid = window.home_page.grid
    tiles = grid.visible_tiles()
    assert len(tiles) == 17 + 1  # the fields, then "Tôi đã đặt lịch" (the demo takes bookings)
    assert tiles[-1].code == CHECK_IN_CODE and tiles[-1].accent
    assert_fits(window, size)
    assert grid.fit.title_px >= HOME_TITLE_MINIMUM_PX
    save(window, "home")

    QTest.mouseClick(window.language_button, Qt.MouseButton.LeftButton)
    assert_fits(window, size)
    save(window, "home-english")
    QTest.mouseClick(window.language_button, Qt.MouseButton.LeftButton)

    for field in model.catalogue.fields if model.catalogue else ():
        kiosk.controller.choose_field(field.code)
        assert_fits(window, size)
        assert window.procedures_page.grid.fit.title_px >= HOME_TITLE_MINIMUM_PX
        kiosk.controller.back()
    kiosk.controller.choose_field("TP")
    assert_fits(window, size)
    save(window, "procedures")

    kiosk.controller.ask_priority("TP-KS")
    assert_fits(window, size)
    save(window, "priority")
    kiosk.controller.choose_priority("cao-tuoi")
    await until(lambda: model.screen is Screen.TICKET, "the ticket screen")
    assert_fits(window, size)
    save(window, "ticket")
    folder = screenshot_folder()
    if folder is not None and size == SIZES[1]:
        shutil.copyfile(printer.jobs[0].png_path, folder / "kiosk-printed-ticket.png")
    kiosk.controller.finish()

    kiosk.controller.choose_field("DD")
    kiosk.controller.choose_service("DD-NOP")
    printer.simulate(PrinterStatus(paper_out=True))
    await until(lambda: model.screen is Screen.PRINT_FAULT, "the printer fault")
    assert_fits(window, size)
    save(window, "printer-fault")
    printer.simulate(PrinterStatus())
    await until(lambda: model.reprint_enabled, "the printer back")
    kiosk.controller.reprint()
    await until(lambda: model.screen is Screen.TICKET, "the reprint")
    kiosk.controller.finish()

    return kiosk


# --- opening hours ---------------------------------------------------------------------------

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
WORKING_DAY = "07:30-11:30, 13:30-17:00"
MORNING = "07:30-11:30"
# Monday 8 March 2027, 14:00: the afternoon session.
MONDAY_AFTERNOON = datetime(2027, 3, 8, 14, 0, tzinfo=VIETNAM)
SATURDAY_NOON = datetime(2027, 3, 13, 12, 0, tzinfo=VIETNAM)
MONDAY_MORNING = datetime(2027, 3, 8, 8, 50, tzinfo=VIETNAM)


class KioskClock:
    """The kiosk's monotonic seconds, moved with the server's clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def demo_with_hours() -> dict[str, object]:
    """The demo deployment with the provincial centre's real hours: two sessions on
    weekdays, Saturday morning, and land files (DD-NOP, DD-BD) taken in the mornings."""
    document = settings_document(load_settings(None))
    province = document["sites"][0]
    province["opening_hours"] = {
        **dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), WORKING_DAY),
        "saturday": MORNING, "closed": ["2027-04-30", "2027-05-01"]}
    for service in province["services"]:
        if service["code"] in ("DD-NOP", "DD-BD"):
            service["opening_hours"] = dict.fromkeys(
                ("monday", "tuesday", "wednesday", "thursday", "friday"), MORNING)
    return document


@pytest.mark.parametrize("size", SIZES, ids=["landscape", "portrait"])
async def test_closed_screens_fit_full_hd(
        make_kiosk: MakeKiosk, until: Until, tmp_path: Path, size: tuple[int, int]) -> None:
    """A procedure outside its hours is a disabled tile saying when it reopens; a closed
    centre says so on the home screen (``kiosk-procedures-closed-*``, ``kiosk-closed-*``)."""
    clock = ManualClock(MONDAY_AFTERNOON)
    running = await start_server(parse_settings(demo_with_hours()), host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{tmp_path / 'hours.sqlite3'}",
                                 clock=clock)
    try:
        async with ProtocolClient(running.ws_url, "admin", DEMO_ADMIN_TOKEN,
                                  DEMO_SITE) as admin:
            for counter in ("Q01", "Q02", "Q08"):
                await admin.request("login", counter=counter)
            for _ in range(4):
                await admin.request("issue", service="DD-TRA", request_key=uuid.uuid4().hex)
        kiosk_clock = KioskClock()
        kiosk = make_kiosk(running.ws_url, size=size, token=DEMO_KIOSK_TOKEN, site=DEMO_SITE,
                           one_level_max_services=8, kiosk_name="kiosk-1", clock=kiosk_clock,
                           idle_seconds=10**7)
        window = kiosk.window
        await until(lambda: kiosk.model.can_issue, "the demo menu")
        kiosk.controller.choose_field("DD")
        land = window.procedures_page.grid.tile("DD-NOP")
        assert land is not None and not land.isEnabled()
        assert land.text_parts.detail == "Mở lại lúc 07:30 thứ Ba 09/03"
        collect = window.procedures_page.grid.tile("DD-TRA")
        assert collect is not None and collect.isEnabled()
        assert_fits(window, size)
        save(window, "procedures-closed")
        kiosk.controller.back()

        # Saturday noon: the morning is over, Monday reopens.
        kiosk_clock.now += (SATURDAY_NOON - clock.now).total_seconds()
        clock.now = SATURDAY_NOON
        await until(lambda: window.stack.currentWidget() is window.message_page,
                    "the closed centre")
        assert window.message_page.message.text() == "Hiện ngoài giờ cấp số thứ tự"
        assert window.message_page.detail.text() == (
            "Mở lại lúc 07:30 thứ Hai 15/03. Kính mời Quý khách quay lại sau.")
        catalogue = kiosk.model.catalogue
        assert isinstance(catalogue, Catalogue) and catalogue.closed
        assert_fits(window, size)
        save(window, "closed")
    finally:
        await running.stop()


# --- check-in and the ID card ------------------------------------------------------------------

ELDER_CARD = "001050000000"
"""A made-up CCCD number (born 1950: over the demo's age rule of 60)."""


async def test_check_in_screens_fit_full_hd(
        make_kiosk: MakeKiosk, until: Until, tmp_path: Path) -> None:
    """The keypad, a refusal saying when check-in opens, an ID card's bookings to choose
    from, and the menus after a card without bookings (its masked number and the priority
    the age rule gives), on both screens (``kiosk-check-in-*``, ``kiosk-check-in-refused-*``,
    ``kiosk-bookings-*``, ``kiosk-id-card-*``)."""
    from hardware.scanner.samples import id_card_text
    from server.booking.desk import BookingRequest
    from server.booking.model import IdentityKind

    clock = ManualClock(MONDAY_MORNING)
    demo = load_settings(None)
    site = demo.site(DEMO_SITE)
    assert site is not None
    running = await start_server(demo, host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{tmp_path / 'booking.sqlite3'}",
                                 clock=clock)
    try:
        fields = [field.code for field in site.fields]
        services = [next(service.code for service in site.services if service.field == code)
                    for code in fields[:2]]
        codes = []
        for service, minute in zip(services, (0, 30), strict=True):
            booked = await running.service.bookings.book(BookingRequest(
                DEMO_SITE, service, MONDAY_MORNING.replace(hour=9, minute=minute),
                IdentityKind.CCCD, ELDER_CARD))
            codes.append(booked.code)
        late = await running.service.bookings.book(BookingRequest(
            DEMO_SITE, services[0], MONDAY_MORNING.replace(hour=10, minute=0), IdentityKind.CCCD,
            "079090000000"))
        for size in SIZES:
            kiosk = make_kiosk(running.ws_url, size=size, token=DEMO_KIOSK_TOKEN,
                               site=DEMO_SITE, one_level_max_services=8, kiosk_name="kiosk-1")
            window = kiosk.window
            await until(lambda kiosk=kiosk: kiosk.model.can_check_in, "the demo menu")
            controller = kiosk.controller
            controller.open_check_in()
            for character in late.code.replace("-", "")[:6]:
                controller.type_code(character)
            assert_fits(window, size)
            assert all(key.height() >= round(80 * min(size) / 1080)
                       for key in window.check_in_page.keys.values())
            save(window, "check-in")
            for character in late.code.replace("-", "")[6:]:
                controller.type_code(character)
            controller.submit_code()
            await until(lambda kiosk=kiosk: kiosk.model.screen is Screen.REFUSED,
                        "the refusal")
            assert window.message_page.detail.text() == "Nhận lịch hẹn từ 09:30"
            assert_fits(window, size)
            save(window, "check-in-refused")
            controller.finish()

            controller.scan(id_card_text(date(1950, 4, 1), id_number=ELDER_CARD))
            await until(lambda kiosk=kiosk: kiosk.model.screen is Screen.BOOKINGS,
                        "the card's bookings")
            assert len(window.bookings_page.grid.visible_tiles()) == 2
            assert_fits(window, size)
            save(window, "bookings")
            controller.back()
            controller.finish()

            controller.scan(id_card_text(date(1950, 4, 1), id_number="001050000001"))
            await until(lambda window=window: window.notice.isVisible(), "the card's notice")
            assert window.notice.text().endswith(
                "Ưu tiên: Người cao tuổi (từ 60 tuổi)"), window.notice.text()
            assert_fits(window, size)
            save(window, "id-card")
            kiosk.stop_widgets()
            await asyncio.to_thread(kiosk.stop_workers)
            window.close()
    finally:
        await running.stop()
