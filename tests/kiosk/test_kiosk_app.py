"""The kiosk app end to end (pytest-qt, offscreen): a real server, the real protocol client,
the virtual printer, touches on the real widgets.

Each test drives the window with mouse clicks and checks three things: what the screen
shows, what the server holds, and what the printer received.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image, ImageDraw, ImageOps
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton
from pytestqt.qtbot import QtBot
from support.servers import PASSWORD, site_config

from hardware.printer import (
    FontWeight,
    PaperWidth,
    PrinterStatus,
    TicketStyle,
    VirtualJob,
    VirtualPrinter,
)
from hardware.printer.raster import fit_paragraph, number_font, render_text_line
from hardware.printer.render import find_subimage
from kiosk.connection import ClientFactory
from kiosk.models.screens import Screen
from kiosk.models.status import ConnectionState, PrinterCondition
from kiosk.ui.app import KioskApp
from server.app.serve import RunningServer, start_server
from server.config import Settings, parse_settings
from server.protocol.client import ProtocolClient, RequestFailed
from server.security import rating_key

Until = Callable[..., Awaitable[None]]
MakeKiosk = Callable[..., KioskApp]
Connect = Callable[..., Awaitable[ProtocolClient]]


class FakeClock:
    """Monotonic seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def ink_box(image: Image.Image) -> tuple[int, int, int, int]:
    box = ImageOps.invert(image.convert("L")).getbbox()
    assert box is not None
    return box


def printed_lines_found(job: VirtualJob, text: str, weight: FontWeight, size: int) -> bool:
    """Every wrapped line of ``text``, drawn alone with the ticket font, is on the paper."""
    paper = PaperWidth.MM80
    style = TicketStyle.for_paper(paper)
    font, lines = fit_paragraph(text, weight, size, style.minimum_size,
                                paper.dots - 2 * style.margin)
    for line in lines:
        alone = render_text_line(line, font)
        if find_subimage(job.rendered.image, alone.crop(ink_box(alone))) is None:
            return False
    return True


def printed_number_found(job: VirtualJob, number: str) -> bool:
    """The number, drawn alone in the ticket's number font, is on the paper."""
    paper = PaperWidth.MM80
    style = TicketStyle.for_paper(paper)
    font = number_font(number, style, paper.dots - 2 * style.margin)
    left, top, right, bottom = font.getbbox(number, mode="1", anchor="ls")
    alone = Image.new("1", (int(right - left) + 8, int(bottom - top) + 8), 1)
    ImageDraw.Draw(alone).text((4 - left, 4 - top), number, font=font, fill=0, anchor="ls")
    return find_subimage(job.rendered.image, alone.crop(ink_box(alone))) is not None


def qr_link(ticket: dict[str, Any]) -> str:
    """The link the ticket's QR holds: its status page with the rating key, which only the
    kiosk that took the number is told (a lookup's ``track_url`` has no key)."""
    secret = str(site_config()["server"]["secret"])
    return f"{ticket['track_url']}?k={rating_key(secret, ticket['id'])}"


def qr_payloads(job: VirtualJob) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(job.rendered.image.convert("L"))]


def click(qtbot: QtBot, button: QAbstractButton | None) -> None:
    assert button is not None, "no such button on screen"
    assert button.isEnabled(), f"button {button.text()!r} is disabled"
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def screen(kiosk: KioskApp) -> Screen:
    """The kiosk's screen (a call, so type checkers do not narrow it between steps)."""
    return kiosk.model.screen


def home_tile(kiosk: KioskApp, code: str) -> QAbstractButton | None:
    return kiosk.window.home_page.grid.tile(code)


def service_tile(kiosk: KioskApp, code: str) -> QAbstractButton | None:
    return kiosk.window.procedures_page.grid.tile(code)


async def ready(kiosk: KioskApp, until: Until) -> None:
    await until(lambda: kiosk.model.connection is ConnectionState.ONLINE
                and kiosk.model.catalogue is not None and kiosk.model.can_issue,
                "the kiosk online with its menu")


async def waiting_for(admin: ProtocolClient, service: str) -> int:
    state = (await admin.request("snapshot"))["state"]
    return next(int(item["waiting"]) for item in state["services"] if item["code"] == service)


def printer_of(kiosk: KioskApp) -> VirtualPrinter:
    transport = kiosk.printer.transport
    assert isinstance(transport, VirtualPrinter)
    return transport


async def test_home_field_procedure_prints_the_issued_ticket(
        server: RunningServer, connect: Connect, make_kiosk: MakeKiosk, until: Until,
        qtbot: QtBot) -> None:
    kiosk = make_kiosk(server.ws_url)
    await ready(kiosk, until)
    window = kiosk.window
    assert window.centre_name.text() == "Trung tâm Phục vụ hành chính công thử nghiệm"
    assert window.instruction.text() == "Chọn lĩnh vực cần giải quyết"
    assert [tile.text() for tile in window.home_page.grid.visible_tiles()] == [
        "Đất đai", "Tư pháp - Hộ tịch"]

    click(qtbot, home_tile(kiosk, "TP"))  # touch 1
    assert screen(kiosk) is Screen.PROCEDURES
    assert window.procedures_page.title.text() == "Tư pháp - Hộ tịch"
    click(qtbot, service_tile(kiosk, "HT"))  # touch 2
    await until(lambda: screen(kiosk) is Screen.TICKET, "the ticket screen")

    shown = kiosk.model.ticket
    assert shown is not None
    assert window.ticket_page.number.text() == shown.number == "A001"
    admin = await connect("admin")
    ticket = (await admin.request("ticket", number="A001"))["ticket"]
    assert (ticket["id"], ticket["service"], ticket["priority"], ticket["status"]) == (
        shown.ticket_id, "HT", None, "waiting")
    assert await waiting_for(admin, "HT") == 1

    jobs = printer_of(kiosk).jobs
    assert len(jobs) == 1
    assert qr_payloads(jobs[0]) == [qr_link(ticket)]
    style = TicketStyle.for_paper(PaperWidth.MM80)
    assert printed_lines_found(jobs[0], ticket["service_name"], FontWeight.BOLD,
                               style.service_size)
    assert printed_lines_found(jobs[0], "Trung tâm Phục vụ hành chính công thử nghiệm",
                               FontWeight.BOLD, style.centre_size)
    assert printed_lines_found(jobs[0], "Quét mã để theo dõi lượt", FontWeight.REGULAR,
                               style.detail_size)
    assert not printed_lines_found(jobs[0], "Đăng ký kết hôn", FontWeight.BOLD,
                                   style.service_size)


FOOTER = "Vui lòng giữ phiếu và chú ý loa gọi số.\nXin cảm ơn quý khách!"


def settings_with_footer() -> Settings:
    config = site_config()
    config["sites"][0]["ticket_footer"] = FOOTER
    return parse_settings(config)


@pytest.mark.parametrize("settings", [settings_with_footer()], ids=["footer"])
async def test_printed_ticket_carries_every_line(
        server: RunningServer, connect: Connect, make_kiosk: MakeKiosk, until: Until,
        qtbot: QtBot) -> None:
    """Number, people ahead, estimated wait, counters, date and time, footer: each drawn alone
    with the ticket font from what the server said, and found on the printed paper."""
    officer = await connect("counter")
    await officer.request("login", counter="2", user="lan", password=PASSWORD)
    admin = await connect("admin")
    for key in ("before-1", "before-2"):
        await admin.request("issue", service="HT", request_key=key)
    kiosk = make_kiosk(server.ws_url)
    await ready(kiosk, until)
    click(qtbot, home_tile(kiosk, "TP"))
    click(qtbot, service_tile(kiosk, "HT"))
    await until(lambda: screen(kiosk) is Screen.TICKET, "the ticket screen")

    ticket = (await admin.request("ticket", number="A003"))["ticket"]
    assert ticket["ahead"] == 2 and ticket["eta_minutes"] is not None
    issued = datetime.fromisoformat(ticket["issued_at"])
    date_line = f"Ngày {issued:%d/%m/%Y %H:%M}"
    assert re.fullmatch(r"Ngày \d\d/\d\d/20\d\d \d\d:\d\d", date_line)
    assert issued.utcoffset() == timedelta(hours=7)  # Asia/Ho_Chi_Minh

    (job,) = printer_of(kiosk).jobs
    style = TicketStyle.for_paper(PaperWidth.MM80)
    assert printed_number_found(job, "A003")
    assert not printed_number_found(job, "A002")
    for line in [
        "Số thứ tự",
        "Số người đang chờ trước bạn: 2",
        f"Thời gian chờ dự kiến: khoảng {ticket['eta_minutes']} phút",
        "Quầy phục vụ: Quầy 2",  # of the counters serving HT (2 and 3), the open one
        date_line,
    ]:
        size = style.label_size if line == "Số thứ tự" else style.detail_size
        assert printed_lines_found(job, line, FontWeight.REGULAR, size), line
    for paragraph in FOOTER.split("\n"):
        assert printed_lines_found(job, paragraph, FontWeight.REGULAR, style.footer_size)
    # A wrong count or a wrong time is not on the paper.
    assert not printed_lines_found(job, "Số người đang chờ trước bạn: 3", FontWeight.REGULAR,
                                   style.detail_size)
    a_minute_later = f"Ngày {issued + timedelta(minutes=1):%d/%m/%Y %H:%M}"
    for wrong in ("Quầy phục vụ: Quầy 2, Quầy 3", "Quầy phục vụ: Quầy 1", a_minute_later):
        assert not printed_lines_found(job, wrong, FontWeight.REGULAR, style.detail_size)


async def test_priority_ticket_in_three_touches(
        server: RunningServer, connect: Connect, make_kiosk: MakeKiosk, until: Until,
        qtbot: QtBot) -> None:
    kiosk = make_kiosk(server.ws_url)
    await ready(kiosk, until)
    click(qtbot, home_tile(kiosk, "DD"))  # 1
    grid = kiosk.window.procedures_page.grid
    assert [tile.text_parts.badge for tile in grid.tiles if not tile.isHidden()] == [
        "NỘP HỒ SƠ", "NHẬN KẾT QUẢ"]
    click(qtbot, grid.secondary_tile("DD-TRA"))  # 2: "Ưu tiên"
    assert screen(kiosk) is Screen.PRIORITY
    assert kiosk.window.priority_page.title.text() == "Nhận kết quả đất đai"
    click(qtbot, kiosk.window.priority_page.grid.tile("NCT"))  # 3: the group
    await until(lambda: screen(kiosk) is Screen.TICKET, "the ticket screen")

    admin = await connect("admin")
    ticket = (await admin.request("ticket", number="1001"))["ticket"]
    assert (ticket["service"], ticket["priority"]) == ("DD-TRA", "NCT")
    assert kiosk.window.ticket_page.priority.text() == "Ưu tiên: Người cao tuổi"
    assert len(printer_of(kiosk).jobs) == 1


async def test_one_level_home_lists_the_services_a_ticket_in_one_touch(
        server: RunningServer, connect: Connect, make_kiosk: MakeKiosk, until: Until,
        qtbot: QtBot) -> None:
    """Few services (3 here, at most 8 allowed): HOME shows the procedures themselves."""
    kiosk = make_kiosk(server.ws_url, one_level_max_services=8)
    await ready(kiosk, until)
    window = kiosk.window
    grid = window.home_page.grid
    assert [tile.text() for tile in grid.tiles if not tile.isHidden()] == [
        "Nộp hồ sơ đất đai", "Nhận kết quả đất đai", "Đăng ký khai sinh"]
    assert [tile.text() for tile in grid.secondary_tiles if not tile.isHidden()] == [
        "Ưu tiên"] * 3
    assert [tile.text_parts.badge for tile in grid.tiles if not tile.isHidden()] == [
        "NỘP HỒ SƠ", "NHẬN KẾT QUẢ", "THỦ TỤC KHÁC"]
    assert window.instruction.text() == "Chọn thủ tục"
    assert home_tile(kiosk, "TP") is None and home_tile(kiosk, "DD") is None  # no fields

    click(qtbot, home_tile(kiosk, "HT"))  # the one touch
    await until(lambda: screen(kiosk) is Screen.TICKET, "the ticket screen")
    admin = await connect("admin")
    ticket = (await admin.request("ticket", number="A001"))["ticket"]
    assert (ticket["service"], ticket["priority"]) == ("HT", None)
    jobs = printer_of(kiosk).jobs
    assert len(jobs) == 1 and qr_payloads(jobs[0]) == [qr_link(ticket)]
    click(qtbot, window.ticket_page.button)
    assert screen(kiosk) is Screen.HOME

    click(qtbot, grid.secondary_tile("DD-TRA"))  # touch 1: "Ưu tiên" on HOME
    assert screen(kiosk) is Screen.PRIORITY
    click(qtbot, window.priority_page.back_button)  # back goes HOME, not to a field
    assert screen(kiosk) is Screen.HOME
    click(qtbot, grid.secondary_tile("DD-TRA"))
    click(qtbot, window.priority_page.grid.tile("NCT"))  # touch 2: the group
    await until(lambda: screen(kiosk) is Screen.TICKET, "the priority ticket")
    ticket = (await admin.request("ticket", number="1001"))["ticket"]
    assert (ticket["service"], ticket["priority"]) == ("DD-TRA", "NCT")
    assert len(printer_of(kiosk).jobs) == 2


async def test_language_switch_and_back_to_vietnamese_for_the_next_citizen(
        server: RunningServer, make_kiosk: MakeKiosk, until: Until, qtbot: QtBot) -> None:
    kiosk = make_kiosk(server.ws_url)
    await ready(kiosk, until)
    window = kiosk.window
    assert window.language_button.text() == "English"
    click(qtbot, window.language_button)
    assert window.language_button.text() == "Tiếng Việt"
    assert window.instruction.text() == "Choose a service area"
    assert window.centre_name.text() == "Test centre"
    assert [tile.text() for tile in window.home_page.grid.visible_tiles()] == [
        "Land", "Justice"]
    click(qtbot, home_tile(kiosk, "TP"))
    # No English name configured for this service: the Vietnamese one is shown.
    assert service_tile(kiosk, "HT") is not None
    assert window.procedures_page.grid.secondary_tile("HT") is not None
    assert window.procedures_page.back_button.text() == "‹ Back"
    click(qtbot, service_tile(kiosk, "HT"))
    await until(lambda: screen(kiosk) is Screen.TICKET, "the ticket screen")
    assert window.ticket_page.number_label.text() == "Your number"
    style = TicketStyle.for_paper(PaperWidth.MM80)
    job = printer_of(kiosk).jobs[0]
    assert printed_lines_found(job, "Scan to follow your turn", FontWeight.REGULAR,
                               style.detail_size)
    assert printed_lines_found(job, "Test centre", FontWeight.BOLD, style.centre_size)

    click(qtbot, window.ticket_page.button)  # "Done"
    assert screen(kiosk) is Screen.HOME
    assert window.language_button.text() == "English"
    assert window.instruction.text() == "Chọn lĩnh vực cần giải quyết"


async def test_idle_kiosk_goes_home_and_ticket_screen_times_out(
        server: RunningServer, make_kiosk: MakeKiosk, until: Until, qtbot: QtBot) -> None:
    clock = FakeClock()
    kiosk = make_kiosk(server.ws_url, clock=clock, idle_seconds=30, ticket_seconds=8)
    await ready(kiosk, until)
    click(qtbot, kiosk.window.language_button)
    click(qtbot, home_tile(kiosk, "TP"))
    clock.advance(29)
    kiosk.window.timer.timeout.emit()
    assert screen(kiosk) is Screen.PROCEDURES
    clock.advance(1)
    await until(lambda: screen(kiosk) is Screen.HOME, "the idle return home")
    assert kiosk.window.language_button.text() == "English"  # Vietnamese again

    click(qtbot, home_tile(kiosk, "TP"))
    click(qtbot, service_tile(kiosk, "HT"))
    await until(lambda: screen(kiosk) is Screen.TICKET, "the ticket screen")
    clock.advance(8)
    await until(lambda: screen(kiosk) is Screen.HOME, "the ticket screen timing out")


async def test_server_down_then_back(
        settings: Settings, database_path: Path, connect: Connect, make_kiosk: MakeKiosk,
        until: Until, qtbot: QtBot) -> None:
    database_url = f"sqlite:///{database_path}"
    first = await start_server(settings, host="127.0.0.1", port=0, database_url=database_url)
    second: RunningServer | None = None
    try:
        kiosk = make_kiosk(first.ws_url)
        await ready(kiosk, until)
        click(qtbot, home_tile(kiosk, "TP"))
        click(qtbot, service_tile(kiosk, "HT"))
        await until(lambda: screen(kiosk) is Screen.TICKET, "the first ticket")
        click(qtbot, kiosk.window.ticket_page.button)

        await first.stop()
        window = kiosk.window
        await until(lambda: kiosk.model.connection is ConnectionState.OFFLINE,
                    "the kiosk to notice the server is gone")
        assert window.banner.isVisible()
        assert window.banner.text() == "Mất kết nối máy chủ, vui lòng chờ"
        tile = home_tile(kiosk, "TP")
        assert tile is not None and not tile.isEnabled()
        QTest.mouseClick(tile, Qt.MouseButton.LeftButton)  # a press does nothing
        assert screen(kiosk) is Screen.HOME and kiosk.model.pending is None

        second = await start_server(settings, host="127.0.0.1", port=first.port,
                                    database_url=database_url)
        await ready(kiosk, until)
        assert not window.banner.isVisible()
        click(qtbot, home_tile(kiosk, "TP"))
        click(qtbot, service_tile(kiosk, "HT"))
        await until(lambda: screen(kiosk) is Screen.TICKET, "the second ticket")
        assert window.ticket_page.number.text() == "A002"
        assert [job.number for job in printer_of(kiosk).jobs] == [1, 2]
    finally:
        if second is not None:
            await second.stop()


async def test_lost_reply_is_retried_with_the_same_key_and_prints_once(
        server: RunningServer, connect: Connect, make_kiosk: MakeKiosk, until: Until,
        qtbot: QtBot, reply_losing_clients: tuple[ClientFactory, list[str]]) -> None:
    factory, keys = reply_losing_clients
    kiosk = make_kiosk(server.ws_url, client_factory=factory)
    await ready(kiosk, until)
    click(qtbot, home_tile(kiosk, "TP"))
    click(qtbot, service_tile(kiosk, "HT"))
    await until(lambda: screen(kiosk) is Screen.TICKET, "the ticket after the retry")

    assert len(keys) == 2 and keys[0] == keys[1]
    await assert_one_ticket_printed(connect, kiosk)


async def assert_one_ticket_printed(connect: Connect, kiosk: KioskApp) -> None:
    """A retried press made one ticket: A001 waiting, no A002, one job with A001's QR."""
    admin = await connect("admin")
    assert await waiting_for(admin, "HT") == 1
    with pytest.raises(RequestFailed) as refused:
        await admin.request("ticket", number="A002")
    assert refused.value.code == "not_found"
    jobs = printer_of(kiosk).jobs
    assert len(jobs) == 1
    ticket = (await admin.request("ticket", number="A001"))["ticket"]
    assert qr_payloads(jobs[0]) == [qr_link(ticket)]


async def read_frame(reader: asyncio.StreamReader) -> tuple[bytes, int, bytes]:
    """One WebSocket frame: its raw bytes, its opcode and its payload (unmasked)."""
    header = await reader.readexactly(2)
    length = header[1] & 0x7F
    extension = b""
    if length == 126:
        extension = await reader.readexactly(2)
    elif length == 127:
        extension = await reader.readexactly(8)
    if extension:
        length = int.from_bytes(extension, "big")
    mask = await reader.readexactly(4) if header[1] & 0x80 else b""
    payload = await reader.readexactly(length)
    raw = header + extension + mask + payload
    if mask:
        payload = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return raw, header[0] & 0x0F, payload


class ReplySwallowingProxy:
    """A TCP proxy on 127.0.0.1 in front of the server that reads the WebSocket frames it
    passes on. It drops the first reply that carries a ticket (the answer to an ``issue``),
    as a network that loses a packet would, and notes the ``request_key`` of every ``issue``
    going the other way."""

    def __init__(self, server_port: int) -> None:
        self.server_port = server_port
        self.issue_keys: list[str] = []
        self.swallowed = 0
        self.connections = 0
        self._listener: asyncio.Server | None = None

    async def start(self) -> str:
        """Listen; returns the WebSocket URL to give the kiosk."""
        self._listener = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        port = self._listener.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}/ws"

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
            await self._listener.wait_closed()

    async def _relay(self, kiosk_reader: asyncio.StreamReader,
                     kiosk_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1",
                                                                     self.server_port)
        try:
            await asyncio.gather(self._pipe(kiosk_reader, server_writer, from_kiosk=True),
                                 self._pipe(server_reader, kiosk_writer, from_kiosk=False))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # one side closed: close the other
        finally:
            for writer in (kiosk_writer, server_writer):
                writer.close()
                with contextlib.suppress(ConnectionError):
                    await writer.wait_closed()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *,
                    from_kiosk: bool) -> None:
        writer.write(await reader.readuntil(b"\r\n\r\n"))  # the HTTP upgrade
        while True:
            raw, opcode, payload = await read_frame(reader)
            if opcode == 1:  # a text frame: one JSON message (no fragmentation, no deflate)
                message = json.loads(payload)
                if from_kiosk and message.get("type") == "issue":
                    self.issue_keys.append(message["request_key"])
                elif (not from_kiosk and not self.swallowed and message.get("type") == "reply"
                      and "ticket" in (message.get("result") or {})):
                    self.swallowed += 1
                    continue
            writer.write(raw)
            await writer.drain()


async def test_reply_lost_on_the_network_times_out_and_is_resent_with_the_same_key(
        server: RunningServer, connect: Connect, make_kiosk: MakeKiosk, until: Until,
        qtbot: QtBot) -> None:
    """No reply within the timeout: the kiosk drops the connection, reconnects and sends the
    same ``request_key`` again; the server answers with the ticket it already issued."""
    proxy = ReplySwallowingProxy(server.port)
    url = await proxy.start()
    try:
        kiosk = make_kiosk(url, request_timeout_seconds=0.5)
        await ready(kiosk, until)
        click(qtbot, home_tile(kiosk, "TP"))
        click(qtbot, service_tile(kiosk, "HT"))
        await until(lambda: proxy.swallowed == 1, "the reply to be swallowed")
        assert screen(kiosk) is Screen.ISSUING  # waiting: no reply, nothing printed
        await until(lambda: screen(kiosk) is Screen.TICKET, "the ticket after the re-send")

        assert proxy.connections == 2  # the silent connection was dropped, a new one made
        assert len(proxy.issue_keys) == 2 and proxy.issue_keys[0] == proxy.issue_keys[1]
        assert kiosk.window.ticket_page.number.text() == "A001"
        await assert_one_ticket_printed(connect, kiosk)
    finally:
        await proxy.stop()


async def device_event(admin: ProtocolClient, status: str) -> dict[str, Any]:
    """The next ``device.status`` event with ``status`` (earlier ones are skipped)."""
    while True:
        event = await admin.next_event("device.status")
        if event.data["status"] == status:
            return event.data


async def test_paper_out_after_the_press_keeps_the_number_and_reprints_it(
        server: RunningServer, connect: Connect, make_kiosk: MakeKiosk, until: Until,
        qtbot: QtBot) -> None:
    admin = await connect("admin", subscribe=["device."])
    kiosk = make_kiosk(server.ws_url)
    printer = printer_of(kiosk)
    await ready(kiosk, until)
    click(qtbot, home_tile(kiosk, "TP"))
    click(qtbot, service_tile(kiosk, "HT"))
    # The paper runs out before the server's reply comes (the server runs only when we wait).
    printer.simulate(PrinterStatus(paper_out=True))
    await until(lambda: screen(kiosk) is Screen.PRINT_FAULT, "the printer fault")

    page = kiosk.window.ticket_page
    assert page.number.text() == "A001"
    assert page.fault.text() == "Máy in hết giấy. Vui lòng báo cán bộ hướng dẫn."
    assert page.hint.text() == "Số của bạn đã được ghi nhận, không bị mất."
    assert not page.button.isEnabled()
    assert printer.jobs == ()
    report = await device_event(admin, "paper_out")
    assert (report["device"], report["kind"]) == ("kiosk-test/printer", "printer")
    assert report["message"] == "Máy in hết giấy. Vui lòng báo cán bộ hướng dẫn."

    printer.simulate(PrinterStatus())
    await until(page.button.isEnabled, "the reprint button")
    assert page.button.text() == "In lại phiếu"
    await device_event(admin, "ok")
    click(qtbot, page.button)
    await until(lambda: screen(kiosk) is Screen.TICKET, "the reprinted ticket")

    assert len(printer.jobs) == 1
    ticket = (await admin.request("ticket", number="A001"))["ticket"]
    assert qr_payloads(printer.jobs[0]) == [qr_link(ticket)]
    assert await waiting_for(admin, "HT") == 1  # no second number for the reprint


async def test_paper_running_out_while_the_ticket_prints_keeps_the_number(
        server: RunningServer, connect: Connect, make_kiosk: MakeKiosk, until: Until,
        qtbot: QtBot) -> None:
    admin = await connect("admin", subscribe=["device."])
    kiosk = make_kiosk(server.ws_url)
    printer = printer_of(kiosk)
    await ready(kiosk, until)
    printer.fault_during_next_job(PrinterStatus(online=False, paper_out=True))
    click(qtbot, home_tile(kiosk, "TP"))
    click(qtbot, service_tile(kiosk, "HT"))
    await until(lambda: screen(kiosk) is Screen.PRINT_FAULT, "the fault during the job")

    # The job went in and half a ticket came out; the kiosk does not count it as printed.
    assert [job.complete for job in printer.jobs] == [False]
    page = kiosk.window.ticket_page
    assert page.number.text() == "A001"
    assert page.fault.text() == "Máy in hết giấy. Vui lòng báo cán bộ hướng dẫn."
    assert page.hint.text() == "Số của bạn đã được ghi nhận, không bị mất."
    assert not page.button.isEnabled()
    report = await device_event(admin, "paper_out")
    assert report["device"] == "kiosk-test/printer"

    printer.simulate(PrinterStatus())
    await until(page.button.isEnabled, "the reprint button")
    click(qtbot, page.button)
    await until(lambda: screen(kiosk) is Screen.TICKET, "the reprinted ticket")
    assert [job.complete for job in printer.jobs] == [False, True]
    ticket = (await admin.request("ticket", number="A001"))["ticket"]
    assert qr_payloads(printer.jobs[1]) == [qr_link(ticket)]
    assert await waiting_for(admin, "HT") == 1  # the same number, none lost, none added


@pytest.mark.parametrize(("status", "condition", "message"), [
    (PrinterStatus(cover_open=True, online=False), PrinterCondition.COVER_OPEN,
     "Nắp máy in đang mở. Vui lòng báo cán bộ hướng dẫn."),
    (PrinterStatus(online=False), PrinterCondition.OFFLINE,
     "Máy in không phản hồi. Vui lòng báo cán bộ hướng dẫn."),
])
async def test_printer_fault_before_a_press_stops_issuing(
        server: RunningServer, connect: Connect, make_kiosk: MakeKiosk, until: Until,
        qtbot: QtBot, status: PrinterStatus, condition: PrinterCondition,
        message: str) -> None:
    admin = await connect("admin", subscribe=["device."])
    kiosk = make_kiosk(server.ws_url)
    await ready(kiosk, until)
    printer_of(kiosk).simulate(status)
    await until(lambda: kiosk.model.printer is condition, f"the kiosk to see {condition}")
    banner = kiosk.window.banner
    assert banner.isVisible() and banner.text() == message
    tile = home_tile(kiosk, "TP")
    assert tile is not None and not tile.isEnabled()
    report = await device_event(admin, condition.value)
    assert report["device"] == "kiosk-test/printer"

    printer_of(kiosk).simulate(PrinterStatus())
    await ready(kiosk, until)
    assert not banner.isVisible()
    await device_event(admin, "ok")


async def test_demo_sized_menus_fit(server: RunningServer, make_kiosk: MakeKiosk,
                                    until: Until) -> None:
    """Smoke check at a small window: the grid still fits without scrolling."""
    kiosk = make_kiosk(server.ws_url, size=(800, 600))
    await ready(kiosk, until)
    grid = kiosk.window.home_page.grid
    assert grid.fit.pages == 1
    for tile in grid.visible_tiles():
        needed = tile.height_needed()
        assert needed is not None and needed <= tile.height()
