"""The Qt lobby display against the real server (pytest-qt, offscreen): calls, recalls, counter
panels, waiting counts, every other event kind of the lobby subscription (transfers, cancel,
no-show re-queued and final, day reset), the zone filter, refusal, a hung server, the lost
connection, reconnect and resume, and voice.

The server runs on its own thread (``server_thread``: conftest.py says why); an admin client
acts for the counters. The display runs as in production: its connection thread, the bridge
to the GUI thread, the board, the widget and the announcement queue. The flash and the stale
check read a hand-moved clock, so what they show is checked without waiting for time to pass.
"""

from __future__ import annotations

import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hanging_proxy import HangingProxy
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot
from support.clock import ManualClock
from support.display import Admin, FakeClock, ServerThread
from support.servers import DISPLAY_TOKEN, SITE, site_config

from display import texts
from display.board import Banner, Board, BoardSettings, CallKind, ConnectionStatus
from display.connection import (
    ConnectionMessage,
    ConnectionSettings,
    EventReceived,
    SnapshotReceived,
    StatusChanged,
)
from display.ui.board_widget import BoardWidget, Colour, Region
from display.ui.controller import DisplayController
from display.ui.fonts import load_fonts
from display.voice import (
    DEFAULT_PACK_DIRECTORY,
    Announcement,
    AnnouncementKind,
    AnnouncementQueue,
    AnnouncementRenderer,
    Completion,
    VoicePack,
    WavFileSink,
)
from server.app.serve import RunningServer, start_server
from server.config import Settings, parse_settings
from server.protocol.client import EventMessage

WAIT_MS = 5000


@pytest.fixture
def settings() -> Settings:
    """The shared test site plus a second zone: T2 with counter 4, which also serves HT."""
    config = site_config()
    site = config["sites"][0]
    site["zones"].append({"code": "T2", "name_vi": "Tầng 2", "name_en": "Floor 2"})
    site["counters"].append({"code": "4", "name": "Quầy 4", "zone": "T2", "services": ["HT"]})
    return parse_settings(config)


@pytest.fixture(scope="module")
def renderer() -> AnnouncementRenderer:
    return AnnouncementRenderer(VoicePack.load(DEFAULT_PACK_DIRECTORY))


@dataclass
class Display:
    board: Board
    widget: BoardWidget
    controller: DisplayController
    painted: list[str] = field(default_factory=list)
    messages: list[ConnectionMessage] = field(default_factory=list)

    def pixel(self, design_x: int, design_y: int) -> QColor:
        """The colour at a design point, painted now (grab() runs paintEvent)."""
        point = self.widget.widget_rect(Region.NOW).topLeft()  # (24, 158) at 1920x1080
        image = self.widget.grab().toImage()
        return image.pixelColor(design_x - 24 + point.x(), design_y - 158 + point.y())


OpenDisplay = Callable[..., Display]


@pytest.fixture
def open_display(qtbot: QtBot, server_thread: ServerThread,
                 clock: FakeClock) -> Iterator[OpenDisplay]:
    """``open_display(zone="T1", announcer=None, stale_after=3.0)``: a running display,
    connected (unless ``connected=False``). ``url``, ``token``, ``site`` and further
    ConnectionSettings options (e.g. the ping timings) change how it connects."""
    load_fonts()
    displays: list[Display] = []

    def open_one(zone: str | None = "T1", announcer: AnnouncementQueue | None = None,
                 stale_after: float = 3.0, *, url: str | None = None,
                 token: str = DISPLAY_TOKEN, site: str | None = SITE, connected: bool = True,
                 **options: Any) -> Display:
        board = Board(BoardSettings(zone=zone, stale_after_seconds=stale_after))
        widget = BoardWidget(board, clock=clock)
        qtbot.addWidget(widget)
        connection = ConnectionSettings(url or server_thread.ws_url, token, site,
                                        reconnect_min_seconds=0.05,
                                        reconnect_max_seconds=0.2, **options)
        controller = DisplayController(connection, board, widget, announcer, clock=clock)
        display = Display(board, widget, controller)
        widget.paint_listeners.append(display.painted.append)
        controller.message_listeners.append(display.messages.append)
        widget.resize(1920, 1080)
        widget.show()
        controller.start()
        displays.append(display)
        if connected:
            qtbot.waitUntil(lambda: board.status is ConnectionStatus.CONNECTED, timeout=WAIT_MS)
        return display

    yield open_one
    for display in displays:
        display.controller.stop()


def same_colour(found: QColor, expected: QColor) -> bool:
    return found.rgb() == expected.rgb()


def test_call_appears_large_and_flashes_and_recall_flashes_again(
    qtbot: QtBot, server_thread: ServerThread, open_display: OpenDisplay, clock: FakeClock
) -> None:
    display = open_display()
    admin = server_thread.admin()
    number = admin.issue("HT")
    admin.call_next("3")
    qtbot.waitUntil(lambda: number in display.painted, timeout=WAIT_MS)
    call = display.board.newest_call
    assert call is not None and (call.number, call.counter, call.kind) == (number, "3",
                                                                         CallKind.CALL)
    assert display.widget.painted_sizes.newest_number >= 200  # huge, read from 10 m
    assert display.widget.painted_sizes.counter_number >= 80
    assert display.board.recent_calls[0].number == number
    # It flashes: the panel is bright in the first half of each second, dark in the second.
    started = clock.now
    clock.now = started + 0.1
    assert same_colour(display.pixel(1200, 540), Colour.FLASH)
    # The counter sits in its own dark box after an arrow, in both halves of the flash, so
    # that "2002 ➜ 3" never reads as "20023" from across the hall.
    assert same_colour(display.pixel(860, 495), Colour.COUNTER_BOX)
    clock.now = started + 0.6
    assert same_colour(display.pixel(1200, 540), Colour.NOW)
    assert same_colour(display.pixel(860, 495), Colour.COUNTER_BOX)
    clock.now = started + 20.0  # the flash is over
    assert same_colour(display.pixel(1200, 540), Colour.NOW)
    assert not display.board.flashing(clock.now)
    # A recall flashes it again.
    admin.recall("3")
    qtbot.waitUntil(lambda: display.board.newest_call is not None
                    and display.board.newest_call.kind is CallKind.RECALL, timeout=WAIT_MS)
    assert display.board.flashing(clock.now)
    clock.advance(0.1)
    assert same_colour(display.pixel(1200, 540), Colour.FLASH)
    assert [c.number for c in display.board.recent_calls] == [number]


def test_counter_panels_and_waiting_counts_follow_events(
    qtbot: QtBot, server_thread: ServerThread, open_display: OpenDisplay
) -> None:
    display = open_display()
    admin = server_thread.admin()
    assert display.board.waiting("HT") == 0
    first, second = admin.issue("HT"), admin.issue("HT")
    admin.issue("DD-NOP")
    qtbot.waitUntil(lambda: display.board.waiting("HT") == 2
                    and display.board.waiting("DD-NOP") == 1, timeout=WAIT_MS)
    admin.call_next("2")
    qtbot.waitUntil(lambda: display.board.counter("2") is not None
                    and display.board.counter("2").number == first,  # type: ignore[union-attr]
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: display.board.waiting("HT") == 1, timeout=WAIT_MS)
    admin.request("finish", as_counter="2")  # ticket.done is not subscribed; counter.changed is
    qtbot.waitUntil(lambda: display.board.counter("2").number is None,  # type: ignore[union-attr]
                    timeout=WAIT_MS)
    admin.request("pause", as_counter="2", reason="họp")
    qtbot.waitUntil(lambda: display.board.counter("2").status.value == "paused",  # type: ignore[union-attr]
                    timeout=WAIT_MS)
    # What the server says after all that is what the board shows.
    snapshot = admin.request("snapshot")["state"]
    waiting = {service["code"]: service["waiting"] for service in snapshot["services"]}
    assert {queue.code: queue.waiting for queue in display.board.services} == waiting
    panels = {item["code"]: (item["status"], (item["ticket"] or {}).get("number"))
              for item in snapshot["counters"] if item["zone"] == "T1"}
    assert {p.code: (p.status.value, p.number) for p in display.board.counters} == panels
    assert second not in display.painted


def test_zone_filter_shows_only_its_counters_and_calls(
    qtbot: QtBot, server_thread: ServerThread, open_display: OpenDisplay
) -> None:
    zone_one = open_display(zone="T1")
    zone_two = open_display(zone="T2")
    everything = open_display(zone=None)
    assert [p.code for p in zone_one.board.counters] == ["1", "2", "3"]
    assert [p.code for p in zone_two.board.counters] == ["4"]
    assert len(everything.board.counters) == 4
    assert [s.code for s in zone_two.board.services] == ["HT"]
    admin = server_thread.admin()
    elsewhere, here = admin.issue("HT"), admin.issue("HT")
    admin.call_next("4")
    qtbot.waitUntil(lambda: elsewhere in zone_two.painted and elsewhere in everything.painted,
                    timeout=WAIT_MS)
    admin.call_next("3")
    qtbot.waitUntil(lambda: here in zone_one.painted, timeout=WAIT_MS)
    assert elsewhere not in zone_one.painted
    assert [c.number for c in zone_one.board.recent_calls] == [here]
    assert [c.number for c in zone_two.board.recent_calls] == [elsewhere]
    assert [c.number for c in everything.board.recent_calls] == [here, elsewhere]


def test_unknown_zone_is_said_on_screen(qtbot: QtBot, open_display: OpenDisplay) -> None:
    display = open_display(zone="T9")
    qtbot.waitUntil(lambda: display.widget.painted_banner is Banner.UNKNOWN_ZONE,
                    timeout=WAIT_MS)
    assert same_colour(display.pixel(640, 300), Colour.WARNING)
    # The zone has nothing: each part says so, whole (the English used to be cut off).
    painted = display.widget.painted_texts
    assert painted["waiting"][-2:] == (texts.NOBODY_WAITING.vietnamese,
                                       texts.NOBODY_WAITING.english)
    assert painted["counters"][-2:] == (texts.NO_COUNTERS.vietnamese,
                                        texts.NO_COUNTERS.english)


@pytest.mark.parametrize(("token", "site"), [("not-a-display-token", None),
                                             ("not-a-display-token", SITE),
                                             (DISPLAY_TOKEN, "no-such-site")])
def test_refused_token_or_wrong_site_is_said_on_screen_at_once(
    qtbot: QtBot, open_display: OpenDisplay, clock: FakeClock, token: str, site: str | None
) -> None:
    display = open_display(token=token, site=site, connected=False)
    # At once, without waiting for stale_after: waiting does not fix a wrong token.
    qtbot.waitUntil(lambda: display.widget.painted_banner is Banner.REFUSED, timeout=WAIT_MS)
    assert display.board.status is ConnectionStatus.REFUSED
    assert same_colour(display.pixel(640, 300), Colour.LOST)
    assert display.widget.painted_banner_lines[:2] == [texts.REFUSED.vietnamese,
                                                texts.REFUSED_HELP.vietnamese]
    assert texts.REFUSED_HELP.english in display.widget.painted_banner_lines[2]


def test_before_the_first_call_every_part_says_so_in_words(
    qtbot: QtBot, open_display: OpenDisplay
) -> None:
    """No grey placeholder dash, no empty panels, no cut-off English: words, whole."""
    display = open_display()
    display.widget.grab()  # paints every part now
    painted = display.widget.painted_texts
    assert painted["now"] == (texts.NOW_CALLING.vietnamese, f"· {texts.NOW_CALLING.english}",
                              texts.NO_CALLS_YET.vietnamese, texts.NO_CALLS_YET.english,
                              texts.TAKE_A_TICKET.vietnamese, texts.TAKE_A_TICKET.english)
    assert painted["recent"][-2:] == (texts.NO_RECENT_CALLS.vietnamese,
                                      texts.NO_RECENT_CALLS.english)
    assert painted["notice"] == (display.board.site.name,)  # the test site has no notice
    assert not any("—" in text or "…" in text for part in painted.values() for text in part)
    # The empty-state words are drawn where the dash used to be: not in the dim grey.
    assert not same_colour(display.pixel(120, 389), Colour.DIM)


def test_a_refused_display_claims_nothing_it_does_not_know(
    qtbot: QtBot, open_display: OpenDisplay
) -> None:
    display = open_display(token="not-a-display-token", connected=False)
    qtbot.waitUntil(lambda: display.widget.painted_banner is Banner.REFUSED, timeout=WAIT_MS)
    display.widget.grab()
    painted = display.widget.painted_texts
    unknown = (texts.NOT_YET_KNOWN.vietnamese, texts.NOT_YET_KNOWN.english)
    # Not "nobody waiting": the lists are unknown, and they say so.
    assert painted["recent"][-2:] == unknown and painted["waiting"][-2:] == unknown
    assert painted["counters"] == (texts.COUNTERS.vietnamese, f"· {texts.COUNTERS.english}",
                                   *unknown)
    # The notice strip is not an empty yellow bar.
    assert painted["notice"] == (f"{texts.WELCOME.vietnamese} · {texts.WELCOME.english}",)
    assert not any("…" in text for part in painted.values() for text in part)


def test_a_device_token_alone_finds_its_site(qtbot: QtBot, open_display: OpenDisplay,
                                             server_thread: ServerThread) -> None:
    display = open_display(site=None)
    assert display.board.site.code == SITE
    number = server_thread.admin().issue("HT")
    server_thread.admin().call_next("3")
    qtbot.waitUntil(lambda: number in display.painted, timeout=WAIT_MS)


def test_a_hung_server_is_shown_as_lost_then_the_display_catches_up(
    qtbot: QtBot, server_thread: ServerThread, open_display: OpenDisplay, clock: FakeClock,
    proxy: Callable[[int], HangingProxy]
) -> None:
    through = proxy(server_thread.port)
    display = open_display(url=through.ws_url, ping_interval_seconds=0.1,
                           ping_timeout_seconds=0.3)
    admin = server_thread.admin()
    first = admin.issue("HT")
    admin.call_next("3")
    qtbot.waitUntil(lambda: first in display.painted, timeout=WAIT_MS)
    through.hang()  # the connection stays open; nothing gets through any more
    qtbot.waitUntil(lambda: display.board.status is ConnectionStatus.LOST, timeout=WAIT_MS)
    assert display.widget.painted_banner is Banner.NONE  # a blip is not shown ...
    clock.advance(3.0)  # ... 3 s more is: "MẤT KẾT NỐI" over the stale call
    qtbot.waitUntil(lambda: display.widget.painted_banner is Banner.CONNECTION_LOST,
                    timeout=WAIT_MS)
    assert same_colour(display.pixel(640, 300), Colour.LOST)
    missed = admin.issue("HT")
    admin.call_next("2")
    through.resume()
    qtbot.waitUntil(lambda: display.widget.painted_banner is Banner.NONE, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: missed in display.painted, timeout=WAIT_MS)
    assert [c.number for c in display.board.recent_calls] == [missed, first]


def test_lost_connection_is_shown_then_reconnect_resumes_and_announces(
    qtbot: QtBot, server_thread: ServerThread, open_display: OpenDisplay, clock: FakeClock,
    renderer: AnnouncementRenderer, tmp_path: Path
) -> None:
    sink = WavFileSink(tmp_path / "resume.wav")
    announcer = AnnouncementQueue(renderer, sink)
    display = open_display(announcer=announcer, stale_after=3.0)
    admin = server_thread.admin()
    first = admin.issue("HT")
    admin.call_next("3")
    qtbot.waitUntil(lambda: first in display.painted, timeout=WAIT_MS)
    original_port = server_thread.port

    server_thread.stop_server()
    qtbot.waitUntil(lambda: display.board.status is ConnectionStatus.LOST, timeout=WAIT_MS)
    assert display.board.banner(clock.now) is Banner.NONE  # a blip is not shown ...
    clock.advance(3.0)  # ... but 3 s without the server is: the clock timer repaints
    qtbot.waitUntil(lambda: display.widget.painted_banner is Banner.CONNECTION_LOST,
                    timeout=WAIT_MS)
    assert same_colour(display.pixel(640, 300), Colour.LOST)  # "MẤT KẾT NỐI" over the call
    assert display.board.newest_call is not None  # kept, but not shown as live

    # While the display is away, the same database gets a call through another port ...
    server_thread.start_server(port=0)
    missed = server_thread.admin().issue("HT")
    server_thread.admin().call_next("3")
    server_thread.stop_server()
    # ... and when the server is back where the display looks, it resumes and catches up.
    server_thread.start_server(port=original_port)
    qtbot.waitUntil(lambda: display.board.status is ConnectionStatus.CONNECTED, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: display.widget.painted_banner is Banner.NONE, timeout=WAIT_MS)
    resync = [m for m in display.messages if isinstance(m, SnapshotReceived)][-1]
    assert [event.event for event in resync.replayed].count("ticket.called") == 1
    assert resync.announce_replayed  # a short outage: what was missed is read out
    call = display.board.newest_call
    assert call is not None and call.number == missed
    assert display.board.flashing(clock.now)
    assert [c.number for c in display.board.recent_calls] == [missed, first]
    qtbot.waitUntil(lambda: announcer.statistics.finished == 2, timeout=WAIT_MS)
    # And it is live again.
    again = server_thread.admin().issue("HT")
    server_thread.admin().call_next("3")
    qtbot.waitUntil(lambda: again in display.painted, timeout=WAIT_MS)


def test_two_quick_calls_are_both_announced_in_order(
    qtbot: QtBot, server_thread: ServerThread, open_display: OpenDisplay,
    renderer: AnnouncementRenderer, tmp_path: Path
) -> None:
    path = tmp_path / "calls.wav"
    sink = WavFileSink(path, completion=Completion.MANUAL)  # "playing" until finish()
    announcer = AnnouncementQueue(renderer, sink)
    display = open_display(announcer=announcer)
    admin = server_thread.admin()
    first, second = admin.issue("HT"), admin.issue("HT")
    admin.call_next("3")
    admin.call_next("2")
    qtbot.waitUntil(lambda: second in display.painted, timeout=WAIT_MS)
    # The first is still on the speakers: the second waits, it does not cut in.
    assert announcer.playing == Announcement(first, "3")
    assert announcer.pending == (Announcement(second, "2"),)
    sink.finish()
    assert announcer.playing == Announcement(second, "2")
    admin.recall("2")
    qtbot.waitUntil(lambda: len(announcer.pending) == 1, timeout=WAIT_MS)
    assert announcer.pending == (Announcement(second, "2", AnnouncementKind.RECALL),)
    sink.finish()
    sink.finish()
    sink.close()
    expected = [renderer.render(Announcement(first, "3")),
                renderer.render(Announcement(second, "2")),
                renderer.render(Announcement(second, "2", AnnouncementKind.RECALL))]
    frame_size = renderer.audio_format.frame_size
    assert sink.played_frame_counts == [len(pcm) // frame_size for pcm in expected]
    with wave.open(str(path), "rb") as written:
        assert written.readframes(written.getnframes()) == b"".join(expected)
    assert announcer.statistics.failed == 0 and announcer.statistics.dropped == 0


def test_silent_display_and_clean_stop(qtbot: QtBot, open_display: OpenDisplay,
                                       server_thread: ServerThread) -> None:
    display = open_display(announcer=None)
    admin = server_thread.admin()
    number = admin.issue("HT")
    admin.call_next("3")
    qtbot.waitUntil(lambda: number in display.painted, timeout=WAIT_MS)
    display.controller.stop()
    assert not display.controller.connection.running


# --- every event kind of the lobby subscription, through the Qt display --------------------


def received(display: Display, name: str) -> list[EventMessage]:
    return [message.event for message in display.messages
            if isinstance(message, EventReceived) and message.event.event == name]


def test_transfer_to_a_service_and_to_a_counter(
    qtbot: QtBot, server_thread: ServerThread, open_display: OpenDisplay
) -> None:
    display = open_display()
    admin = server_thread.admin()
    first, second = admin.issue("HT"), admin.issue("HT")
    admin.call_next("3")
    qtbot.waitUntil(lambda: first in display.painted and display.board.waiting("HT") == 1,
                    timeout=WAIT_MS)
    # To a service: the ticket leaves counter 3 and waits for DD-TRA (one more there).
    admin.request("transfer", as_counter="3", service="DD-TRA")
    qtbot.waitUntil(lambda: display.board.waiting("DD-TRA") == 1
                    and display.board.counter("3").number is None,  # type: ignore[union-attr]
                    timeout=WAIT_MS)
    assert received(display, "ticket.transferred")[-1].data["number"] == first
    assert display.board.waiting("HT") == 1  # the other one still waits
    # To a counter: it waits in counter 3's own queue, not in the service's count, and its
    # call there takes nothing away from the service.
    admin.call_next("2")  # takes the transferred ticket (DD-TRA) or the HT one
    qtbot.waitUntil(lambda: display.board.counter("2").number is not None,  # type: ignore[union-attr]
                    timeout=WAIT_MS)
    at_two = display.board.counter("2").number  # type: ignore[union-attr]
    waiting_before = {queue.code: queue.waiting for queue in display.board.services}
    admin.request("transfer", as_counter="2", counter="3")
    qtbot.waitUntil(lambda: len(received(display, "ticket.transferred")) == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: display.board.counter("2").number is None,  # type: ignore[union-attr]
                    timeout=WAIT_MS)
    assert {queue.code: queue.waiting for queue in display.board.services} == waiting_before
    called = admin.call_next("3")
    qtbot.waitUntil(lambda: display.board.counter("3").number == called,  # type: ignore[union-attr]
                    timeout=WAIT_MS)
    assert called == at_two
    assert {queue.code: queue.waiting for queue in display.board.services} == waiting_before
    assert_board_matches_server(display, admin)
    assert at_two in (first, second)


def test_cancelled_ticket_leaves_the_waiting_count(
    qtbot: QtBot, server_thread: ServerThread, open_display: OpenDisplay
) -> None:
    display = open_display()
    admin = server_thread.admin()
    ticket = admin.request("issue", service="HT", request_key="to-cancel")["ticket"]
    admin.issue("HT")
    qtbot.waitUntil(lambda: display.board.waiting("HT") == 2, timeout=WAIT_MS)
    admin.request("cancel", ticket_id=ticket["id"])
    qtbot.waitUntil(lambda: display.board.waiting("HT") == 1, timeout=WAIT_MS)
    assert received(display, "ticket.cancelled")[-1].data["number"] == ticket["number"]
    assert_board_matches_server(display, admin)


def test_no_show_requeued_and_final(
    qtbot: QtBot, server_thread: ServerThread, open_display: OpenDisplay
) -> None:
    display = open_display()
    admin = server_thread.admin()
    first = admin.issue("HT")
    admin.call_next("3")
    qtbot.waitUntil(lambda: display.board.counter("3").number == first  # type: ignore[union-attr]
                    and display.board.waiting("HT") == 0, timeout=WAIT_MS)
    # Re-queued: it waits again (one more waiting), the counter is free, the call stays listed.
    admin.request("no_show", as_counter="3", requeue=True)
    qtbot.waitUntil(lambda: display.board.waiting("HT") == 1
                    and display.board.counter("3").number is None,  # type: ignore[union-attr]
                    timeout=WAIT_MS)
    assert received(display, "ticket.requeued")[-1].data["number"] == first
    assert [call.number for call in display.board.recent_calls] == [first]
    # Called again, then a final no-show: the counter is free and nobody is added.
    again = admin.call_next("3")
    assert again == first
    qtbot.waitUntil(lambda: display.board.waiting("HT") == 0
                    and display.board.counter("3").number == first,  # type: ignore[union-attr]
                    timeout=WAIT_MS)
    admin.request("no_show", as_counter="3", requeue=False)
    qtbot.waitUntil(lambda: display.board.counter("3").number is None,  # type: ignore[union-attr]
                    timeout=WAIT_MS)
    assert display.board.waiting("HT") == 0
    assert len(received(display, "ticket.requeued")) == 1
    assert_board_matches_server(display, admin)


def assert_board_matches_server(display: Display, admin: Admin) -> None:
    """What the server's snapshot says now is what the board shows (waiting, counters)."""
    snapshot = admin.request("snapshot")["state"]
    waiting = {service["code"]: service["waiting"] for service in snapshot["services"]}
    assert {queue.code: queue.waiting for queue in display.board.services} == {
        code: count for code, count in waiting.items()
        if code in {queue.code for queue in display.board.services}}
    panels = {item["code"]: (item["status"], (item["ticket"] or {}).get("number"))
              for item in snapshot["counters"] if item["zone"] == "T1"}
    assert {p.code: (p.status.value, p.number) for p in display.board.counters} == panels


class ClockedServerThread(ServerThread):
    """ServerThread whose server reads ``clock`` (to pass midnight by hand)."""

    def __init__(self, settings: Settings, database_path: Path, clock: ManualClock) -> None:
        super().__init__(settings, database_path)
        self.clock = clock

    def start_server(self, port: int | None = None) -> RunningServer:
        chosen = self.port if port is None else port
        self.running = self.call(start_server(self.settings, host="127.0.0.1", port=chosen,
                                              database_url=self.database_url,
                                              clock=self.clock))
        self.port = self.running.port
        return self.running


def test_day_reset_clears_the_board_and_fetches_a_snapshot(
    qtbot: QtBot, settings: Settings, database_path: Path, clock: FakeClock
) -> None:
    server_clock = ManualClock(datetime(2026, 11, 22, 16, 50, tzinfo=UTC))  # 23:50 in Hà Nội
    server = ClockedServerThread(settings, database_path, server_clock)
    server.start_server()
    controller: DisplayController | None = None
    try:
        load_fonts()
        board = Board(BoardSettings(zone="T1"))
        widget = BoardWidget(board, clock=clock)
        qtbot.addWidget(widget)
        controller = DisplayController(
            ConnectionSettings(server.ws_url, DISPLAY_TOKEN, SITE), board, widget, None,
            clock=clock)
        display = Display(board, widget, controller)
        controller.message_listeners.append(display.messages.append)
        widget.paint_listeners.append(display.painted.append)
        widget.resize(1920, 1080)
        widget.show()
        controller.start()
        qtbot.waitUntil(lambda: board.status is ConnectionStatus.CONNECTED, timeout=WAIT_MS)
        admin = server.admin()
        number = admin.issue("HT")
        admin.issue("HT")
        admin.call_next("3")
        qtbot.waitUntil(lambda: number in display.painted and board.waiting("HT") == 1,
                        timeout=WAIT_MS)
        snapshots_before = sum(isinstance(m, SnapshotReceived) for m in display.messages)
        server_clock.now += timedelta(minutes=20)  # past local midnight
        server.call(server.running.service.sites[SITE].roll_over())  # type: ignore[union-attr]
        qtbot.waitUntil(lambda: received(display, "day.reset") != [], timeout=WAIT_MS)
        # The controller asked for a fresh snapshot, which came after the day.reset event.
        qtbot.waitUntil(lambda: sum(isinstance(m, SnapshotReceived) for m in display.messages)
                        == snapshots_before + 1, timeout=WAIT_MS)
        reset_at = next(index for index, m in enumerate(display.messages)
                        if isinstance(m, EventReceived) and m.event.event == "day.reset")
        after_reset = display.messages[reset_at + 1:]
        assert any(isinstance(m, SnapshotReceived) for m in after_reset)
        assert not any(isinstance(m, StatusChanged) for m in after_reset)  # not a reconnect
        assert board.newest_call is None and board.recent_calls == ()
        assert board.waiting("HT") == 0
        assert all(panel.number is None for panel in board.counters)
        qtbot.waitUntil(lambda: display.painted[-1] == "", timeout=WAIT_MS)  # "—" painted
        # The new day numbers from the start again and shows live.
        fresh = server.admin().issue("HT")
        server.admin().call_next("2")
        qtbot.waitUntil(lambda: fresh in display.painted, timeout=WAIT_MS)
    finally:
        if controller is not None:
            controller.stop()
        server.close()
