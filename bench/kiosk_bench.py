"""Kiosk benchmark: press-to-printer latency, start-up time and memory.

    python bench/kiosk_bench.py               # 60 presses, 5 start-ups (about 30 s)
    python bench/kiosk_bench.py --quick       # 20 presses, 2 start-ups

The server runs in its own process on SQLite with the demo configuration (same machine).

(a) Press -> bytes: a kiosk in this process (Qt offscreen, 1080x1920, the real protocol
    client, the real print worker) prints to a transport that timestamps each ``write``. For
    each press the time runs from the touch on a service (a synthesised mouse click on its
    tile) to the moment the ticket's ESC/POS bytes are handed to the transport: the ``issue``
    round trip (the reply comes only after the server's commit), the reply reaching the GUI
    thread, rendering the ticket (raster, QR, ESC/POS) and the status check. Presses follow
    each other as soon as the ticket screen shows; the menu refreshes after each ticket as it
    does in use. Target: median < 150 ms.
(b) Start-up: ``python -m kiosk.main ... --exit-when-ready`` in a fresh process, from launch
    until the home screen shows the server's menu. Target: < 2 s.
(c) Resident memory of the kiosk process: at start-up (b), and of this process after the
    presses of (a). Target: < 200 MB.
(d) Rendering alone: ``ticket_bytes`` (layout, raster, QR, ESC/POS) for 80 mm tickets that
    differ as consecutive tickets do (number, people ahead, wait, issue time, status URL),
    after one warm-up ticket as the print worker does at start. The part of (a) that runs on
    the kiosk's CPU.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from hardware.printer import PaperWidth, PrinterStatus, Transport, ticket_bytes
from hardware.printer.sample import sample_content
from kiosk.models.screens import Screen
from kiosk.settings import KioskSettings
from kiosk.ui.app import KioskApp, build_kiosk, resident_megabytes

KIOSK_TOKEN = "demo-kiosk-token-0001"
ROOT = Path(__file__).resolve().parent.parent
SITE = "hcc-tinh"
FIELD = "TP"
SERVICE = "TP-LLTP"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(directory: Path, port: int) -> subprocess.Popen[bytes]:
    """The demo configuration in its own process; returns once it accepts connections."""
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "server", "--config",
         str(ROOT / "server" / "config" / "demo.toml"), "--db",
         f"sqlite:///{directory / 'bench.sqlite3'}", "--port", str(port),
         "--data-dir", str(directory), "--log-level", "WARNING"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            if process.poll() is not None:
                message = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"server exited: {message}") from None
            time.sleep(0.05)
    raise RuntimeError("server did not start")


class Waker(QObject):
    """Its signal, emitted on the print thread, is queued to the GUI thread."""

    written = Signal()


class TimestampingPrinter(Transport):
    """A ready printer that notes when each job's bytes arrive and wakes the bench."""

    url = "bench://timestamps"

    def __init__(self) -> None:
        self.writes: list[float] = []
        self.sizes: list[int] = []
        self.waker = Waker()
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        arrived = time.perf_counter()
        with self._lock:
            self.writes.append(arrived)
            self.sizes.append(len(data))
        self.waker.written.emit()

    def status(self) -> PrinterStatus:
        return PrinterStatus()

    def close(self) -> None:
        pass


def run_until(application: QApplication, condition: Callable[[], bool],
              timeout: float = 10.0) -> None:
    """Process Qt events until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        application.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")


def press_to_bytes(url: str, presses: int, folder: Path) -> tuple[list[float], float]:
    """Latencies (ms) of ``presses`` presses, and this process's memory after them (MB)."""
    application = QApplication.instance() or QApplication([])
    assert isinstance(application, QApplication)
    printer = TimestampingPrinter()
    settings = KioskSettings(server_url=url, token=KIOSK_TOKEN, site=SITE,
                             printer_url=f"virtual://{folder.as_posix()}", full_screen=False,
                             printer_poll_seconds=0)
    kiosk: KioskApp = build_kiosk(settings, transport=printer)
    window = kiosk.window
    window.resize(1080, 1920)
    window.show()
    kiosk.start()
    latencies: list[float] = []
    try:
        # Ready as a kiosk that has been on for a moment: menu shown, printer checked.
        run_until(application, lambda: kiosk.model.can_issue
                  and kiosk.controller.printer_report is not None)
        for _ in range(presses):
            field = window.home_page.grid.tile(FIELD)
            assert field is not None
            QTest.mouseClick(field, Qt.MouseButton.LeftButton)
            tile = window.procedures_page.grid.tile(SERVICE)
            assert tile is not None
            before = len(printer.writes)
            loop = QEventLoop()
            printer.waker.written.connect(loop.quit, Qt.ConnectionType.QueuedConnection)
            QTimer.singleShot(10_000, loop.quit)
            pressed = time.perf_counter()
            QTest.mouseClick(tile, Qt.MouseButton.LeftButton)
            if len(printer.writes) == before:
                loop.exec()
            printer.waker.written.disconnect(loop.quit)
            if len(printer.writes) == before:
                raise RuntimeError("no ticket reached the printer within 10 s")
            latencies.append((printer.writes[before] - pressed) * 1000)
            run_until(application, lambda: kiosk.model.screen is Screen.TICKET)
            kiosk.controller.finish()
        memory = resident_megabytes()
    finally:
        kiosk.stop()
        window.close()
        # Qt objects go before the interpreter's final collection, in Qt's order.
        window.deleteLater()
        printer.waker.deleteLater()
        application.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return latencies, memory


def start_up(url: str, runs: int, folder: Path) -> tuple[list[float], list[float], list[float]]:
    """Wall times from launch to the menu on screen (s), the app's own figure (s), and the
    resident memory then (MB), one per fresh process."""
    walls, insides, memories = [], [], []
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for run in range(runs):
        launched = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "kiosk.main", "--server", url, "--token", KIOSK_TOKEN,
             "--site", SITE, "--printer", f"virtual://{(folder / str(run)).as_posix()}",
             "--windowed", "--size", "1080x1920", "--log-level", "WARNING",
             "--exit-when-ready"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment)
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        walls.append(time.perf_counter() - launched)
        process.wait(30)
        match = re.search(r"ready after ([\d.]+) s, resident memory (\d+) MB", line)
        if match is None:
            errors = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"the kiosk did not report ready: {line!r} {errors}")
        insides.append(float(match.group(1)))
        memories.append(float(match.group(2)))
    return walls, insides, memories


def render_alone(tickets: int) -> list[float]:
    """Milliseconds to render each of ``tickets`` consecutive tickets to ESC/POS bytes."""
    first = sample_content()
    ticket_bytes(first, PaperWidth.MM80)  # the print worker's warm-up
    latencies = []
    for index in range(tickets):
        content = dataclasses.replace(
            first, number=f"A{index + 13:03d}", people_ahead=index % 40,
            eta_minutes=None if index % 10 == 0 else index % 90,
            issued_at=first.issued_at + timedelta(minutes=index),
            status_url=f"https://hcc.quangngai.gov.vn/t/{index:08x}")
        started = time.perf_counter()
        ticket_bytes(content, PaperWidth.MM80)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer presses and start-ups")
    arguments = parser.parse_args()
    presses, runs, tickets = (20, 2, 50) if arguments.quick else (60, 5, 200)
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        port = free_port()
        server = start_server(folder, port)
        url = f"ws://127.0.0.1:{port}/ws"
        try:
            walls, insides, start_memories = start_up(url, runs, folder / "start")
            latencies, memory = press_to_bytes(url, presses, folder / "tickets")
        finally:
            server.terminate()
            server.wait(10)
    renders = render_alone(tickets)
    print(f"press -> bytes at the printer ({presses} presses): "
          f"median {statistics.median(latencies):.1f} ms, p90 {percentile(latencies, 0.9):.1f} ms, "
          f"p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms, first press "
          f"{latencies[0]:.1f} ms   (target median < 150)")
    print(f"start-up to the menu on screen ({runs} fresh processes): "
          f"median {statistics.median(walls):.2f} s wall from launch "
          f"(in-process {statistics.median(insides):.2f} s), max {max(walls):.2f} s   "
          f"(target < 2 s)")
    print(f"resident memory: {statistics.median(start_memories):.0f} MB at start-up, "
          f"{memory:.0f} MB after {presses} tickets   (target < 200 MB)")
    print(f"rendering one ticket alone ({tickets} tickets, 80 mm): "
          f"median {statistics.median(renders):.1f} ms, p90 {percentile(renders, 0.9):.1f} ms, "
          f"max {max(renders):.1f} ms")
    print(f"load average while measuring: {os.getloadavg()[0]:.2f} (1 min), "
          f"{os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
