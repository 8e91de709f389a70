"""Lobby display benchmark: call -> repaint latency, event -> start of audio, flat memory.

    QT_QPA_PLATFORM=offscreen python bench/display_bench.py            # full run (~9 min)
    QT_QPA_PLATFORM=offscreen python bench/display_bench.py --part app-memory   # (c), ~6 min
    QT_QPA_PLATFORM=offscreen python bench/display_bench.py --quick    # smaller, a smoke check
    QT_QPA_PLATFORM=offscreen python bench/display_bench.py --part web # (d), ~3 min

(a) Latency. The server runs in its own process (``qms server``, SQLite, a 10-counter zone).
    The Qt display runs here exactly as ``qms display`` builds it (connection thread, bridge,
    board, 1920x1080 widget offscreen, announcement queue), with the notice scrolling and the
    flash running. An admin client (its own thread) calls tickets one at a time at rotating
    counters; for each call it prints the time from sending ``call_next`` to:
      * the paint event that drew the called number (call -> repaint), and
      * the announcement reaching the audio sink's ``play()`` (call -> audio), also measured
        from the moment the connection thread received the ``ticket.called`` frame
        (event -> audio). The sink records the time and reports the announcement finished
        at once: it stands for an idle speaker; a real device adds its own output latency.
    Targets: repaint p99 < 100 ms; event -> start of audio < 500 ms.
(b) Memory. After 1,000 calls to warm up, 10,000 more (each with issue, counter.changed and
    every other a recall) through the board alone, then through the board and the widget
    (painted in full after every call): traced Python memory (tracemalloc) and the process's
    resident size at 0, 2,500, 5,000, 7,500 and 10,000. Target: flat.
(c) Memory of the whole app. The real display parts as ``qms display`` builds them (connection
    thread, ConnectionBridge, board, 1920x1080 widget, AnnouncementQueue rendering every
    announcement from the default pack into a sink that discards it) against the server in its
    own process: 500 calls to warm up, then 10,000 calls (issue, call_next, every other a
    recall), each waited for until the display has applied, painted and announced it. The
    process's resident size at the start and after every 2,500 calls, and the ratio end/start
    (flat: about 1.0).
(d) The web display in Chromium (Debian's /usr/bin/chromium, headless, driven by Playwright)
    against the server in its own process, at 1920x1080: for each of 200 calls, the time from
    sending ``call_next`` to the page's next animation frame after the number changed in the
    newest-call panel (call -> page shows it). Then, with voice=1 (Web Audio into Chromium's
    fake output), for 20 calls each read out whole before the next: the time from sending
    ``call_next`` to the announcement's clips being scheduled on the audio clock (the first
    clip starts 50 ms later); the first call includes fetching and decoding its clips. Both
    clocks are this machine's wall clock (the page's ``performance.timeOrigin + now()``).
    This is where the web display's speed is measured; its tests check only what it shows.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import os
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication
from server_bench import free_port, percentile, start_server

from display.board import Board, BoardSettings, ConnectionStatus
from display.connection import ConnectionMessage, ConnectionSettings, EventReceived
from display.ui.board_widget import BoardWidget
from display.ui.controller import DisplayController
from display.ui.fonts import load_fonts
from display.voice import Announcement, AnnouncementQueue, AnnouncementRenderer, AudioFormat
from display.voice.pack import DEFAULT_PACK_DIRECTORY, VoicePack
from server.protocol.client import EventMessage, ProtocolClient

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGUMENTS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                      "--disable-background-networking", "--disable-component-update",
                      "--disable-sync", "--no-first-run", "--disable-audio-output",
                      "--autoplay-policy=no-user-gesture-required"]
# In the page: when the newest call's number changes, note the wall-clock time of the next
# animation frame (the frame that paints it) under that number.
WATCH_NEWEST_NUMBER = """() => {
  window.benchShown = {};
  const element = document.getElementById('now-number');
  new MutationObserver(() => {
    const number = element.textContent;
    if (number && !(number in window.benchShown)) {
      window.benchShown[number] = null;
      requestAnimationFrame(() => {
        window.benchShown[number] = performance.timeOrigin + performance.now();
      });
    }
  }).observe(element, {childList: true, characterData: true, subtree: true});
}"""

SITE = "bench-lobby"
DISPLAY_TOKEN = "bench-display-token-0001"
ADMIN_TOKEN = "bench-admin-token-0001"
COUNTERS = 10
T = TypeVar("T")


def describe(name: str, seconds: list[float], target: str) -> str:
    milliseconds = [value * 1000 for value in seconds]
    return (f"  {name:<28} median {statistics.median(milliseconds):7.1f} ms   "
            f"p99 {percentile(milliseconds, 0.99):7.1f} ms   max {max(milliseconds):7.1f} ms"
            f"   ({len(milliseconds)} calls; target {target})")


def resident_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


# --- the server, in its own process ------------------------------------------------------------


def write_config(directory: Path) -> Path:
    """One site: zone T1 with 10 counters serving one service numbered A001..A999; a notice."""
    lines = [
        "[server]", 'host = "127.0.0.1"', "port = 8765", 'public_url = "http://127.0.0.1:8765"',
        'secret = "bench-secret-0123456789abcdef"', f'admin_tokens = ["{ADMIN_TOKEN}"]',
        "rate_per_second = 100000.0", "rate_burst = 100000",
        "", "[[sites]]", f'code = "{SITE}"',
        'name_vi = "Trung tâm Phục vụ hành chính công tỉnh Bình An"',
        'name_en = "Bình An Public Administration Service Centre"',
        'notice = "Kính chào Quý khách. Vui lòng lấy số thứ tự tại ki-ốt và chờ đến lượt. '
        'Người cao tuổi, người khuyết tật, phụ nữ mang thai xin chọn nút ƯU TIÊN."',
        "", "[[sites.fields]]", 'code = "F"', 'name_vi = "Lĩnh vực"',
        "", "[[sites.zones]]", 'code = "T1"', 'name_vi = "Tầng 1"',
        "", "[[sites.services]]", 'code = "S"', 'name_vi = "Nộp hồ sơ"', 'field = "F"',
        'numbers = "A###"',
    ]
    for number in range(1, COUNTERS + 1):
        lines += ["", "[[sites.counters]]", f'code = "{number}"', f'name = "Quầy {number}"',
                  'zone = "T1"', 'services = ["S"]']
    lines += ["", "[[sites.tokens]]", 'name = "tv"', 'role = "display"',
              f'token = "{DISPLAY_TOKEN}"']
    path = directory / "bench-display.toml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


@contextlib.contextmanager
def served(directory: str) -> Iterator[tuple[str, Driver]]:
    """The server in its own process with every counter logged in: its WebSocket URL and a
    driver; stopped on leaving."""
    port = free_port()
    process = start_server(Path(directory), port, write_config(Path(directory)))
    url = f"ws://127.0.0.1:{port}/ws"
    driver = Driver(url)
    try:
        for code in range(1, COUNTERS + 1):
            driver.run(driver.client.request("login", counter=str(code), as_counter=str(code)))
        yield url, driver
    finally:
        driver.close()
        process.terminate()
        process.wait(10)


class Driver:
    """An admin client on its own thread and loop, acting for the counters."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.client = ProtocolClient(url, "admin", ADMIN_TOKEN, SITE, subscribe=[])
        self.run(self.client.connect())

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def close(self) -> None:
        self.run(self.client.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class RecordingSink:
    """An idle speaker: records when play() is called and finishes at once."""

    def __init__(self) -> None:
        self.started: list[float] = []

    def play(self, pcm: bytes, audio_format: AudioFormat, on_finished: Callable[[], None],
             *, announcement: Announcement | None = None) -> None:
        self.started.append(time.monotonic())
        on_finished()


class DiscardingSink:
    """A speaker that plays nothing and finishes at once; keeps only a count."""

    def __init__(self) -> None:
        self.played = 0

    def play(self, pcm: bytes, audio_format: AudioFormat, on_finished: Callable[[], None],
             *, announcement: Announcement | None = None) -> None:
        self.played += 1
        on_finished()


class QtWaiter:
    """Runs Qt's event loop until a condition holds; one event loop and two timers, made once
    and reused, so that waiting 10,000 times creates nothing per wait (PySide6 keeps a little
    per connection made, which would show in the memory figures as the bench's own growth)."""

    def __init__(self) -> None:
        self.loop = QEventLoop()
        self.done: Callable[[], bool] = lambda: True
        self.poll = QTimer()
        self.poll.setInterval(1)
        self.poll.timeout.connect(self._check)
        self.deadline = QTimer()
        self.deadline.setSingleShot(True)
        self.deadline.timeout.connect(self._give_up)

    def wait(self, done: Callable[[], bool], timeout: float) -> bool:
        self.done = done
        if not done():
            self.poll.start()
            self.deadline.start(round(timeout * 1000))
            self.loop.exec()
            self.poll.stop()
            self.deadline.stop()
        return done()

    def _check(self) -> None:
        if self.done():
            self.loop.quit()

    def _give_up(self) -> None:
        self.loop.quit()


_WAITER: list[QtWaiter] = []


def wait_qt(app: QApplication, done: Callable[[], bool], timeout: float) -> bool:
    """Run Qt's event loop until ``done()`` or ``timeout`` seconds."""
    if not _WAITER:
        _WAITER.append(QtWaiter())
    return _WAITER[0].wait(done, timeout)


@dataclass
class DisplayApp:
    """The display app's parts as ``display.main`` wires them, on the bench's server."""

    board: Board
    widget: BoardWidget
    announcer: AnnouncementQueue
    controller: DisplayController


def build_display(url: str, sink: RecordingSink | DiscardingSink) -> DisplayApp:
    """The whole display app (zone T1) playing into ``sink``; not shown or connected yet, so
    listeners can be added first."""
    board = Board(BoardSettings(zone="T1"))
    widget = BoardWidget(board)
    announcer = AnnouncementQueue(AnnouncementRenderer(VoicePack.load(DEFAULT_PACK_DIRECTORY)),
                                  sink)
    controller = DisplayController(ConnectionSettings(url, DISPLAY_TOKEN, SITE), board, widget,
                                   announcer)
    return DisplayApp(board, widget, announcer, controller)


def show_and_connect(app: QApplication, display: DisplayApp) -> None:
    """Show ``display`` at 1920x1080 and wait until it is connected (RuntimeError after 10 s)."""
    display.widget.resize(1920, 1080)
    display.widget.show()
    display.controller.start()
    if not wait_qt(app, lambda: display.board.status is ConnectionStatus.CONNECTED, 10):
        raise RuntimeError("the display did not connect")


def latency(app: QApplication, calls: int) -> None:
    print(f"(a) call -> repaint and call/event -> start of audio: {calls} calls, "
          "server in its own process, display offscreen at 1920x1080")
    with tempfile.TemporaryDirectory() as directory, served(directory) as (url, driver):
        for press in range(calls + 5):
            driver.run(driver.client.request("issue", service="S",
                                             request_key=f"bench-{press}"))
        sink = RecordingSink()
        display = build_display(url, sink)
        painted: dict[str, float] = {}
        received: dict[str, float] = {}

        def on_paint(number: str) -> None:
            painted.setdefault(number, time.monotonic())

        def on_message(message: ConnectionMessage) -> None:
            if isinstance(message, EventReceived) and message.event.event == "ticket.called":
                received.setdefault(str(message.event.data["number"]), message.received_at)

        display.widget.paint_listeners.append(on_paint)
        display.controller.message_listeners.append(on_message)
        show_and_connect(app, display)
        repaint, audio, event_audio = [], [], []
        for index in range(calls):
            counter = str(1 + index % COUNTERS)
            before = len(sink.started)
            reply: list[str] = []

            async def call(counter: str = counter, reply: list[str] = reply) -> None:
                result = await driver.client.request("call_next", as_counter=counter)
                reply.append(result["ticket"]["number"])

            sent = time.monotonic()
            driver.submit(call())
            def shown_and_heard(reply: list[str] = reply, before: int = before) -> bool:
                return bool(reply) and reply[0] in painted and len(sink.started) > before

            if not wait_qt(app, shown_and_heard, 5):
                raise RuntimeError(f"call {index} was not shown and announced in 5 s")
            number = reply[0]
            repaint.append(painted[number] - sent)
            audio.append(sink.started[before] - sent)
            event_audio.append(sink.started[before] - received[number])
        display.controller.stop()
        display.widget.close()
        print(describe("call -> repaint", repaint, "p99 < 100 ms"))
        print(describe("call -> start of audio", audio, "< 500 ms"))
        print(describe("event -> start of audio", event_audio, "< 500 ms"))


def synthetic_calls(count: int, start: int = 0) -> Iterator[EventMessage]:
    """Issue, call, counter.changed and (every other) recall, at rotating counters; made one
    at a time, so that the bench itself holds no more memory at 10,000 calls than at 0."""
    sequence = itertools.count(4 * start + 1)
    for index in range(start, start + count):
        counter = str(1 + index % COUNTERS)
        ticket = {"id": f"{SITE}:20261122:{index}", "number": f"A{index % 1000:03d}",
                  "service": "S", "service_name": "Nộp hồ sơ", "service_name_en": "",
                  "counter": counter, "counter_name": f"Quầy {counter}", "status": "called",
                  "target_counter": None}
        yield EventMessage(next(sequence), "ticket.issued", "", {**ticket, "status": "waiting"})
        yield EventMessage(next(sequence), "ticket.called", "", ticket)
        yield EventMessage(next(sequence), "counter.changed", "", {
            "code": counter, "name": f"Quầy {counter}", "zone": "T1", "services": ["S"],
            "status": "open", "ticket": ticket})
        if index % 2:
            yield EventMessage(next(sequence), "ticket.recalled", "", ticket)


def snapshot_state() -> dict[str, Any]:
    return {"site": {"code": SITE, "name": "Trung tâm Phục vụ hành chính công",
                     "name_en": "Public Administration Service Centre",
                     "notice": "Kính chào Quý khách. " * 8, "timezone": "Asia/Ho_Chi_Minh"},
            "zones": [{"code": "T1", "name": "Tầng 1", "name_en": "Floor 1"}],
            "services": [{"code": "S", "name": "Nộp hồ sơ", "name_en": "", "waiting": 50}],
            "counters": [{"code": str(n), "name": f"Quầy {n}", "zone": "T1", "services": ["S"],
                          "status": "open", "ticket": None} for n in range(1, COUNTERS + 1)],
            "recent_calls": []}


def memory(app: QApplication, calls: int, with_widget: bool) -> None:
    board = Board(BoardSettings(zone="T1"))
    board.apply_snapshot(snapshot_state(), 0, 0.0)
    board.set_connection(ConnectionStatus.CONNECTED, 0.0)
    widget: BoardWidget | None = None
    if with_widget:
        widget = BoardWidget(board)
        widget.resize(1920, 1080)
        widget.show()
        wait_qt(app, lambda: False, 0.2)
    title = "board and widget (a full paint after every call)" if with_widget else "board alone"
    print(f"(b) memory over {calls:,} calls, {title}:")
    half = calls // 2
    warm_up = 1_000
    for event in synthetic_calls(warm_up):  # containers reach their caps; caches fill
        board.apply_event(event, 0.0)
        if widget is not None and event.event == "ticket.called":
            widget.repaint()
    gc.collect()
    tracemalloc.start()
    readings = []
    done = 0
    for checkpoint in (0, calls // 4, half, 3 * calls // 4, calls):
        for event in synthetic_calls(checkpoint - done, start=warm_up + done):
            board.apply_event(event, float(event.seq))
            if widget is not None and event.event == "ticket.called":
                widget.repaint()
        done = checkpoint
        gc.collect()
        traced, _ = tracemalloc.get_traced_memory()
        readings.append((checkpoint, traced / 1024, resident_mb()))
    tracemalloc.stop()
    for checkpoint, traced_kb, rss in readings:
        print(f"  after {checkpoint:>6,} calls: traced {traced_kb:8.1f} KiB   RSS {rss:7.1f} MB")
    growth = readings[-1][1] - readings[2][1]
    print(f"  growth from {half:,} to {calls:,} calls: {growth:+.1f} KiB traced, "
          f"{readings[-1][2] - readings[2][2]:+.1f} MB RSS (target: flat)")
    if widget is not None:
        widget.close()


def app_memory(app: QApplication, calls: int, warm_up: int = 500, step: int = 2_500) -> None:
    print(f"(c) memory of the whole display app over {calls:,} calls (server in its own "
          "process; connection thread, bridge, board, widget, announcement queue):")
    with tempfile.TemporaryDirectory() as directory, served(directory) as (url, driver):
        display = build_display(url, DiscardingSink())
        announcer = display.announcer
        last_painted = [""]
        display.widget.paint_listeners.append(
            lambda number: last_painted.__setitem__(0, number))
        show_and_connect(app, display)
        expected = [0]  # announcements so far

        def announced() -> int:
            statistics = announcer.statistics
            return (statistics.finished + statistics.merged + statistics.dropped
                    + statistics.failed)

        def one_call(index: int) -> None:
            counter = str(1 + index % COUNTERS)
            reply: list[str] = []

            async def act() -> None:
                await driver.client.request("issue", service="S",
                                            request_key=f"memory-{index}")
                result = await driver.client.request("call_next", as_counter=counter)
                reply.append(result["ticket"]["number"])
                if index % 2:
                    await driver.client.request("recall", as_counter=counter)

            future = asyncio.run_coroutine_threadsafe(act(), driver.loop)
            expected[0] += 2 if index % 2 else 1

            def done() -> bool:
                return (future.done() and announced() >= expected[0]
                        and bool(reply) and last_painted[0] == reply[0])

            if not wait_qt(app, done, 10):
                raise RuntimeError(f"call {index} was not applied, painted and announced")
            future.result()

        before_warm_up = resident_mb()
        for index in range(warm_up):
            one_call(index)
        gc.collect()
        readings = [(0, resident_mb())]
        for index in range(warm_up, warm_up + calls):
            one_call(index)
            done_calls = index - warm_up + 1
            if done_calls % step == 0 or done_calls == calls:
                gc.collect()
                readings.append((done_calls, resident_mb()))
        statistics = announcer.statistics
        display.controller.stop()
        display.widget.close()
    print(f"  before the {warm_up} warm-up calls: RSS {before_warm_up:7.1f} MB")
    for checkpoint, rss in readings:
        print(f"  after {checkpoint:>6,} calls: RSS {rss:7.1f} MB")
    print(f"  RSS end/start: {readings[-1][1] / readings[0][1]:.3f} (flat: about 1.0); "
          f"{statistics.finished:,} announcements rendered and played, "
          f"{statistics.dropped} dropped, {statistics.failed} failed; "
          f"board keeps {len(display.board.recent_calls)} recent calls")


def web_latency(calls: int, voiced_calls: int) -> None:
    """(d): call -> the web page shows it; call -> its announcement is scheduled (voice=1)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        print(f"(d) skipped: no Chromium at {CHROMIUM}")
        return
    print(f"(d) the web display in Chromium: {calls} calls shown, {voiced_calls} read out, "
          "server in its own process, 1920x1080")
    with tempfile.TemporaryDirectory() as directory, served(directory) as (url, driver), \
            sync_playwright() as playwright:
        http_url = url.replace("ws://", "http://").removesuffix("/ws")
        for press in range(calls + voiced_calls + 5):
            driver.run(driver.client.request("issue", service="S",
                                             request_key=f"web-{press}"))
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=CHROMIUM_ARGUMENTS)
        try:
            shown: list[float] = []
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(f"{http_url}/display?zone=T1&token={DISPLAY_TOKEN}")
            page.wait_for_function("() => window.qmsDisplay && window.qmsDisplay.fontsLoaded"
                                   " && window.qmsDisplay.status === 'connected'")
            page.evaluate(WATCH_NEWEST_NUMBER)
            for index in range(calls):
                sent = time.time() * 1000
                number = driver.run(driver.client.request(
                    "call_next", as_counter=str(1 + index % COUNTERS)))["ticket"]["number"]
                page.wait_for_function("n => window.benchShown && window.benchShown[n]",
                                       arg=number, timeout=10_000)
                shown.append((page.evaluate("n => window.benchShown[n]", number) - sent) / 1000)
            page.close()
            scheduled: list[float] = []
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(f"{http_url}/display?zone=T1&token={DISPLAY_TOKEN}&voice=1")
            page.wait_for_function("() => window.qmsDisplay && window.qmsDisplay.fontsLoaded"
                                   " && window.qmsDisplay.status === 'connected'"
                                   " && !window.qmsDisplay.voice.locked")
            for index in range(voiced_calls):
                sent = time.time() * 1000
                driver.run(driver.client.request("call_next",
                                                 as_counter=str(1 + index % COUNTERS)))
                page.wait_for_function("n => window.qmsDisplay.voice.finished >= n",
                                       arg=index + 1, timeout=30_000)
                record = page.evaluate("window.qmsDisplay.voice.announcements.slice(-1)[0]")
                scheduled.append((record["scheduledAt"] - sent) / 1000)
            failed = page.evaluate("window.qmsDisplay.voice.failed")
            page.close()
        finally:
            browser.close()
        print(describe("call -> web page shows it", shown, "p99 < 100 ms"))
        print(describe("call -> web voice scheduled", scheduled, "< 500 ms"))
        print(f"  first voiced call (clips fetched and decoded): "
              f"{scheduled[0] * 1000:.1f} ms; announcements failed: {failed}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls, for a smoke check")
    parser.add_argument("--part", choices=["all", "latency", "memory", "app-memory", "web"],
                        default="all")
    arguments = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    load_fonts()
    calls = 40 if arguments.quick else 200
    memory_calls = 1_000 if arguments.quick else 10_000
    if arguments.part in ("all", "memory"):
        memory(app, memory_calls, with_widget=False)
        memory(app, memory_calls, with_widget=True)
    if arguments.part in ("all", "latency"):
        latency(app, calls)
    if arguments.part in ("all", "app-memory"):
        app_memory(app, memory_calls)
    if arguments.part in ("all", "web"):
        web_latency(calls, 5 if arguments.quick else 20)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
