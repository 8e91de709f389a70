"""A running kiosk follows the administration pages: a service added in the browser (real
Chromium) appears on the kiosk's screen without a restart, and its first ticket prints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Browser
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton
from pytestqt.qtbot import QtBot
from support.servers import SITE, site_config
from support.web import admin_page, with_accounts

from hardware.printer import VirtualPrinter
from kiosk.models.screens import Screen
from kiosk.models.status import ConnectionState
from kiosk.ui.app import KioskApp
from server.app.serve import RunningServer
from server.config import Settings, parse_settings

Until = Callable[..., Awaitable[None]]
MakeKiosk = Callable[..., KioskApp]


def click(button: QAbstractButton | None) -> None:
    assert button is not None and button.isEnabled()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def service_tile(kiosk: KioskApp, code: str) -> QAbstractButton | None:
    return kiosk.window.procedures_page.grid.tile(code)


def on_ticket_screen(kiosk: KioskApp) -> bool:
    return kiosk.model.screen is Screen.TICKET


@pytest.fixture
def settings() -> Settings:
    return parse_settings(with_accounts(site_config()))


async def test_a_service_added_in_the_browser_appears_on_a_running_kiosk(
        server: RunningServer, browser: Browser, make_kiosk: MakeKiosk, until: Until,
        qtbot: QtBot) -> None:
    kiosk = make_kiosk(server.ws_url)
    await until(lambda: kiosk.model.connection is ConnectionState.ONLINE
                and kiosk.model.can_issue, "the kiosk online with its menu")
    click(kiosk.window.home_page.grid.tile("TP"))
    assert service_tile(kiosk, "CT") is None
    page, problems = await admin_page(browser, server.http_url,
                                      f"/admin/site/{SITE}/services/new")
    await page.fill("#field-code", "CT")
    await page.fill("#field-name_vi", "Chứng thực bản sao từ bản chính")
    await page.fill("#field-name_en", "Certified copies")
    await page.select_option("#field-field", "TP")
    await page.fill("#field-numbers", "C###")
    await page.fill("#field-served_by", "3")
    await page.fill("#field-comment", "thêm thủ tục chứng thực")
    await page.click("form.admin-form button[type=submit]")
    await page.wait_for_selector(".saved")
    assert await page.locator('tr[data-item="CT"]').count() == 1

    # The kiosk took a fresh snapshot on config.changed: the new procedure is on its
    # screen (the citizen who was choosing keeps their place in the menu).
    await until(lambda: service_tile(kiosk, "CT") is not None, "the new service's tile")
    tile = service_tile(kiosk, "CT")
    assert tile is not None and "Chứng thực bản sao từ bản chính" in tile.text()
    click(tile)
    await until(lambda: on_ticket_screen(kiosk), "the ticket screen")
    assert kiosk.window.ticket_page.number.text() == "C001"
    printer = kiosk.printer.transport
    assert isinstance(printer, VirtualPrinter) and len(printer.jobs) == 1
    assert problems == []

