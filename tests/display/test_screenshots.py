"""Screenshots of the Qt and web displays on the demo configuration.

A demo-like hall at 1920x1080: zone T1's nine counters, most serving, one paused, tickets
waiting for many services, and a fresh call flashing. Then the screens with nothing (or
nothing known) to show, at 1280x720 and 1920x1080: the morning before the first call, and a
display whose token the server refuses; and the web display asking for the key press that
lets it speak. The images go to the test's temporary folder, and to ``$QMS_SCREENSHOT_DIR``
when set; docs/images/display-*.png are made with

    QMS_SCREENSHOT_DIR=docs/images .venv/bin/python -m pytest tests/display/test_screenshots.py
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import sync_playwright
from pytestqt.qtbot import QtBot
from support.chromium import CHROMIUM, CHROMIUM_ARGUMENTS
from support.display import FakeClock, ServerThread

from display import texts
from display.board import Banner, Board, BoardSettings, ConnectionStatus
from display.connection import ConnectionSettings
from display.ui.board_widget import BoardWidget, Colour, Region
from display.ui.controller import DisplayController
from display.ui.fonts import load_fonts
from server.config import Settings, load_settings

DEMO_SITE = "hcc-tinh"
DEMO_DISPLAY_TOKEN = "demo-display-token-0001"
DEMO_ADMIN_TOKEN = "demo-admin-token-0001"
TV_SIZES = [(1280, 720), (1920, 1080)]


@pytest.fixture
def settings() -> Settings:
    """The demo configuration (server/config/demo.toml)."""
    return load_settings(None)


def demo_hall(server: ServerThread) -> str:
    """Fill the hall; returns the number of the last call (at Q03, flashing)."""
    admin = server.admin(DEMO_ADMIN_TOKEN, DEMO_SITE)
    site = server.settings.sites[0]
    zone = [counter for counter in site.counters if counter.zone == "T1"]
    for counter in zone:
        admin.open_counter(counter.code)
    for counter in zone:
        for service in counter.services[:2]:
            for _ in range(3):
                admin.issue(service)
    for counter in zone[:8]:
        admin.call_next(counter.code)
    admin.request("pause", as_counter=zone[8].code, reason="nghỉ giữa giờ")
    for counter in zone[3:6]:
        admin.request("finish", as_counter=counter.code)
        admin.call_next(counter.code)
    return admin.call_next("Q03")


def keep(image: Path, name: str) -> None:
    target = os.environ.get("QMS_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(image, Path(target) / name)


def is_flash_colour(path: Path, x: int, y: int) -> bool:
    with Image.open(path) as image:
        pixel = image.convert("RGB").getpixel((x, y))
    return pixel == (Colour.FLASH.red(), Colour.FLASH.green(), Colour.FLASH.blue())


def test_qt_display_screenshot(qtbot: QtBot, server_thread: ServerThread, clock: FakeClock,
                               tmp_path: Path) -> None:
    load_fonts()
    board = Board(BoardSettings(zone="T1"))
    widget = BoardWidget(board, clock=clock)
    qtbot.addWidget(widget)
    connection = ConnectionSettings(server_thread.ws_url, DEMO_DISPLAY_TOKEN, DEMO_SITE)
    controller = DisplayController(connection, board, widget, None, clock=clock)
    painted: list[str] = []
    widget.paint_listeners.append(painted.append)
    widget.resize(1920, 1080)
    widget.show()
    controller.start()
    try:
        qtbot.waitUntil(lambda: board.status is ConnectionStatus.CONNECTED, timeout=5000)
        number = demo_hall(server_thread)
        qtbot.waitUntil(lambda: board.newest_call is not None
                        and board.newest_call.number == number
                        and board.newest_call.counter == "Q03", timeout=5000)
        clock.advance(0.1)  # lit half of the flash
        path = tmp_path / "display-qt.png"
        assert widget.grab().save(str(path))
        sizes = widget.painted_sizes
        # The same hall once the server has been gone for 3 s: "Mất kết nối", numbers grey.
        server_thread.stop_server()
        qtbot.waitUntil(lambda: board.status is ConnectionStatus.LOST, timeout=5000)
        clock.advance(3.0)
        qtbot.waitUntil(lambda: widget.painted_banner is Banner.CONNECTION_LOST, timeout=5000)
        lost = tmp_path / "display-qt-lost.png"
        assert widget.grab().save(str(lost))
    finally:
        controller.stop()
    assert sizes.newest_number >= 200 and sizes.counter_number >= 80
    assert len(board.counters) == 10 and len(board.recent_calls) == 6
    with Image.open(path) as image:
        assert image.size == (1920, 1080)
    assert is_flash_colour(path, 1200, 540)
    keep(path, "display-qt.png")
    keep(lost, "display-qt-lost.png")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not at /usr/bin/chromium")
def test_web_display_screenshot(server_thread: ServerThread, tmp_path: Path) -> None:

    path = tmp_path / "display-web.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=CHROMIUM_ARGUMENTS)
        try:
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(f"{server_thread.http_url}/display?zone=T1&site={DEMO_SITE}"
                      f"&token={DEMO_DISPLAY_TOKEN}")
            page.wait_for_function("() => window.qmsDisplay && window.qmsDisplay.status === "
                                   "'connected' && window.qmsDisplay.fontsLoaded")
            number = demo_hall(server_thread)
            page.wait_for_function(
                "number => document.getElementById('now-number').textContent === number",
                arg=number)
            # Take it in the lit half of the flash (0.5 s of each second).
            for _ in range(5):
                page.wait_for_function("() => getComputedStyle(document.getElementById('now'))"
                                       ".backgroundColor === 'rgb(255, 214, 0)'")
                page.screenshot(path=str(path))
                if is_flash_colour(path, 1200, 540):
                    break
            sizes = page.evaluate("[parseFloat(document.getElementById('now-number').style"
                                  ".fontSize), parseFloat(document.getElementById('counters')"
                                  ".dataset.numberSize)]")
        finally:
            browser.close()
    assert sizes[0] >= 200 and sizes[1] >= 80
    with Image.open(path) as image:
        assert image.size == (1920, 1080)
    assert is_flash_colour(path, 1200, 540)
    assert Region.NOW.contains(1200, 540)
    keep(path, "display-web.png")


@pytest.mark.parametrize("size", TV_SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_qt_empty_and_refused_screenshots(qtbot: QtBot, server_thread: ServerThread,
                                          clock: FakeClock, tmp_path: Path,
                                          size: tuple[int, int]) -> None:
    """The morning before the first call, and a display whose token the server does not know
    (it says so at once): words in every part, nothing cut off, no placeholder dash."""
    load_fonts()
    suffix = f"{size[0]}x{size[1]}"
    shots: dict[str, Path] = {}
    # Every widget and controller is held to the end of the test: a widget whose Python side
    # were collected while Qt still paints it (its notice timer) would crash the process.
    held: list[DisplayController] = []
    for name, token in (("empty", DEMO_DISPLAY_TOKEN), ("refused", "a-token-nobody-configured")):
        board = Board(BoardSettings(zone="T1"))
        widget = BoardWidget(board, clock=clock)
        qtbot.addWidget(widget)
        connection = ConnectionSettings(server_thread.ws_url, token)
        controller = DisplayController(connection, board, widget, None, clock=clock)
        held.append(controller)
        widget.resize(*size)
        widget.show()
        controller.start()
        try:
            expected = Banner.NONE if name == "empty" else Banner.REFUSED

            def answered(board: Board = board, expected: Banner = expected) -> bool:
                return (board.status is not ConnectionStatus.CONNECTING
                        and board.banner(clock()) is expected)

            qtbot.waitUntil(answered, timeout=5000)
            shots[name] = tmp_path / f"display-qt-{name}-{suffix}.png"
            assert widget.grab().save(str(shots[name]))
            painted = widget.painted_texts
        finally:
            controller.stop()
            widget.close()
        assert not any("…" in text or "—" in text
                       for part, lines in painted.items() if part != "now" for text in lines)
        if name == "empty":
            assert texts.NO_CALLS_YET.vietnamese in painted["now"]
        else:
            assert widget.painted_banner_lines[0] == texts.REFUSED.vietnamese
    for path in shots.values():
        with Image.open(path) as image:
            assert image.size == size
        keep(path, path.name)
    with Image.open(shots["refused"]) as image:
        pixel = image.convert("RGB").getpixel((size[0] // 3, size[1] * 300 // 1080))
    assert pixel == (Colour.LOST.red(), Colour.LOST.green(), Colour.LOST.blue())


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not at /usr/bin/chromium")
def test_web_empty_refused_and_sound_prompt_screenshots(server_thread: ServerThread,
                                                        tmp_path: Path) -> None:
    """The same screens in the web display, at both sizes; and, with voice=1 in a browser
    that wants a key press before it plays sound, the prompt that asks for it (1280x720)."""
    base = f"{server_thread.http_url}/display?zone=T1&token="
    pages = [(f"display-web-{name}-{width}x{height}.png", (width, height), base + token,
              "#banner.shown.refused" if name == "refused" else "#now-empty.shown")
             for width, height in TV_SIZES
             for name, token in (("empty", DEMO_DISPLAY_TOKEN),
                                 ("refused", "a-token-nobody-configured"))]
    pages.append(("display-web-sound-prompt.png", (1280, 720),
                  base + DEMO_DISPLAY_TOKEN + "&voice=1", "#sound-prompt.shown"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=[*CHROMIUM_ARGUMENTS,
                                                   "--disable-audio-output"])
        try:
            for name, (width, height), url, shown in pages:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(url)
                page.wait_for_selector(shown)
                page.wait_for_function("() => window.qmsDisplay.fontsLoaded")
                page.screenshot(path=str(tmp_path / name))
                page.close()
        finally:
            browser.close()
    for name, size, _, _ in pages:
        with Image.open(tmp_path / name) as image:
            assert image.size == size
        keep(tmp_path / name, name)
