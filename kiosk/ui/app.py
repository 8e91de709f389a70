"""Putting the kiosk together: model, controller, connection thread, print worker, window.

::

    GUI thread:        KioskWindow ─► KioskController ─► KioskModel
      (keyboard scans: KeyboardScanFilter)  │ issue / check_in / report │ print
    connection thread:       ▲  queued      ▼                         ▼
      ServerConnection ──► signals ◄── TicketPrinter  (print worker thread)
                             ▲
    scanner thread:     SerialScanner (--scanner)

Results from the worker threads reach the controller as queued Qt signals, so every model
change happens on the GUI thread and nothing there waits for the network, the printer or the
scanner.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication

from display.ui.qt_application import GuiThreadCollector, quit_on_stop_signals
from display.ui.qt_application import qt_application as shared_qt_application
from hardware.printer import Transport, open_printer
from hardware.scanner import ScannerReport, SerialScanner
from kiosk.connection import ClientFactory, ServerConnection, make_client
from kiosk.controller import KioskController
from kiosk.models.keystrokes import BurstDetector
from kiosk.models.screens import Clock, KioskModel, Screen
from kiosk.models.status import ConnectionState, PrinterCondition
from kiosk.printing import PrinterReport, TicketPrinter
from kiosk.settings import KioskSettings
from kiosk.ui import theme
from kiosk.ui.pyside_guard import require_sound_pyside
from kiosk.ui.scan_input import KeyboardScanFilter, monotonic_ms
from kiosk.ui.window import KioskWindow

logger = logging.getLogger(__name__)

APPLICATION_NAME = "qms-kiosk"
"""The application's name, its desktop file name and the X11 instance name of its window."""
_fonts_loaded = False


class ResultSignals(QObject):
    """Signals carrying the worker threads' results to the GUI thread."""

    connection_changed = Signal(object, object)
    snapshot_received = Signal(object)
    issue_confirmed = Signal(str, object)
    issue_refused = Signal(str, str, str)
    printed = Signal(str)
    print_failed = Signal(str, object, str)
    printer_changed = Signal(object)
    profile_received = Signal(object)
    bookings_found = Signal(str, object)
    bookings_failed = Signal(str, str, str)
    scanned = Signal(str)
    scanner_changed = Signal(object)


class QtListener:
    """Both listeners (connection and printer): each call becomes a signal emission, which
    Qt queues to the GUI thread."""

    def __init__(self, signals: ResultSignals) -> None:
        self.signals = signals

    def connection_changed(self, state: ConnectionState,
                           snapshot: Mapping[str, Any] | None) -> None:
        self.signals.connection_changed.emit(state, snapshot)

    def snapshot_received(self, snapshot: Mapping[str, Any]) -> None:
        self.signals.snapshot_received.emit(snapshot)

    def issue_confirmed(self, request_key: str, ticket: Mapping[str, Any]) -> None:
        self.signals.issue_confirmed.emit(request_key, ticket)

    def issue_refused(self, request_key: str, code: str, message: str) -> None:
        self.signals.issue_refused.emit(request_key, code, message)

    def printed(self, ticket_id: str) -> None:
        self.signals.printed.emit(ticket_id)

    def print_failed(self, ticket_id: str, condition: PrinterCondition, detail: str) -> None:
        self.signals.print_failed.emit(ticket_id, condition, detail)

    def printer_changed(self, report: PrinterReport) -> None:
        self.signals.printer_changed.emit(report)

    def profile_received(self, device: Mapping[str, Any]) -> None:
        self.signals.profile_received.emit(device)

    def bookings_found(self, lookup_id: str, bookings: object) -> None:
        self.signals.bookings_found.emit(lookup_id, bookings)

    def bookings_failed(self, lookup_id: str, code: str, message: str) -> None:
        self.signals.bookings_failed.emit(lookup_id, code, message)

    def scanned(self, text: str) -> None:
        self.signals.scanned.emit(text)

    def scanner_changed(self, report: ScannerReport) -> None:
        self.signals.scanner_changed.emit(report)


class TouchFilter(QObject):
    """Restarts the idle time on any press or touch anywhere in the application."""

    def __init__(self, controller: KioskController) -> None:
        super().__init__()
        self._controller = controller

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin):
            self._controller.touch()
        return False


@dataclass
class KioskApp:
    """A built kiosk. :meth:`start` starts the worker threads; :meth:`stop` ends them."""

    settings: KioskSettings
    window: KioskWindow
    controller: KioskController
    connection: ServerConnection
    printer: TicketPrinter
    signals: ResultSignals
    touch_filter: TouchFilter
    scan_filter: KeyboardScanFilter | None = None
    """Reads keyboard-emulating scanners (None: ``keyboard_scanner`` off)."""
    scanner: SerialScanner | None = None
    """The serial scanner's reader (None: no ``scanner_url``)."""

    @property
    def model(self) -> KioskModel:
        return self.controller.model

    def start(self) -> None:
        """Start the print worker, the connection and the serial scanner; install the touch
        and keyboard-scanner filters."""
        application = QCoreApplication.instance()
        if application is not None:
            application.installEventFilter(self.touch_filter)
            if self.scan_filter is not None:
                application.installEventFilter(self.scan_filter)
        self.printer.start()
        self.connection.start()
        if self.scanner is not None:
            self.scanner.start()

    def stop(self) -> None:
        """Stop everything: :meth:`stop_widgets`, then :meth:`stop_workers`."""
        self.stop_widgets()
        self.stop_workers()

    def stop_widgets(self) -> None:
        """The GUI-thread part of stopping: timers and the touch filter."""
        application = QCoreApplication.instance()
        if application is not None:
            application.removeEventFilter(self.touch_filter)
            if self.scan_filter is not None:
                application.removeEventFilter(self.scan_filter)
        self.window.timer.stop()

    def stop_workers(self) -> None:
        """Close the connection, stop the print worker (closes the transport) and the serial
        scanner; blocks until the threads ended, so it may run on any thread."""
        if self.scanner is not None:
            self.scanner.stop()
        self.connection.stop()
        self.printer.stop()


def ensure_fonts() -> None:
    """Register the bundled fonts once and make them the application's font (needs a
    QApplication)."""
    global _fonts_loaded
    if not _fonts_loaded:
        theme.load_fonts()
        _fonts_loaded = True
    application = QCoreApplication.instance()
    if isinstance(application, QApplication):
        application.setFont(theme.font(24))


def new_request_key() -> str:
    """A unique key for one press."""
    return uuid.uuid4().hex


def build_kiosk(
    settings: KioskSettings,
    *,
    transport: Transport | None = None,
    client_factory: ClientFactory = make_client,
    clock: Clock = time.monotonic,
    request_keys: Callable[[], str] = new_request_key,
    key_clock_ms: Callable[[], float] = monotonic_ms,
) -> KioskApp:
    """Build a kiosk (nothing runs until :meth:`KioskApp.start`). A QApplication must exist.

    Args:
        transport: the printer; by default opened from ``settings.printer_url``.
        client_factory: makes the protocol client (tests pass one that loses a reply).
        clock: monotonic seconds for idle timeouts (tests pass a fake).
        request_keys: makes one key per press.
        key_clock_ms: times key presses that carry no timestamp of their own, for telling a
            keyboard scanner from a person (tests pass a fake).

    Raises:
        PrinterError: the printer URL cannot be opened (e.g. the virtual printer's folder).
    """
    require_sound_pyside()
    ensure_fonts()
    model = KioskModel(clock=clock, new_request_key=request_keys,
                       idle_seconds=settings.idle_seconds,
                       ticket_seconds=settings.ticket_seconds, language=settings.language,
                       one_level_max_services=settings.one_level_max_services)
    signals = ResultSignals()
    listener = QtListener(signals)
    connection = ServerConnection(settings, listener, client_factory)
    printer = TicketPrinter(transport or open_printer(settings.printer_url), settings.paper,
                            listener, settings.printer_poll_seconds)
    controller = KioskController(settings, model, connection, printer)
    queued = Qt.ConnectionType.QueuedConnection
    signals.connection_changed.connect(controller.connection_changed, queued)
    signals.snapshot_received.connect(controller.snapshot_received, queued)
    signals.issue_confirmed.connect(controller.issue_confirmed, queued)
    signals.issue_refused.connect(controller.issue_refused, queued)
    signals.printed.connect(controller.printed, queued)
    signals.print_failed.connect(controller.print_failed, queued)
    signals.printer_changed.connect(controller.printer_changed, queued)
    signals.profile_received.connect(controller.apply_profile, queued)
    signals.bookings_found.connect(controller.bookings_found, queued)
    signals.bookings_failed.connect(controller.bookings_failed, queued)
    signals.scanned.connect(controller.scan, queued)
    signals.scanner_changed.connect(controller.scanner_changed, queued)
    window = KioskWindow(controller)
    scan_filter = None
    if settings.keyboard_scanner:
        scan_filter = KeyboardScanFilter(controller.scan,
                                         BurstDetector(max_gap_ms=settings.scanner_key_gap_ms),
                                         key_clock_ms)
    scanner = None
    if settings.scanner_url is not None:
        scanner = SerialScanner.for_url(settings.scanner_url, listener,
                                        baudrate=settings.scanner_baudrate,
                                        reconnect_min_seconds=settings.reconnect_min_seconds,
                                        reconnect_max_seconds=settings.reconnect_max_seconds)
    return KioskApp(settings, window, controller, connection, printer, signals,
                    TouchFilter(controller), scan_filter, scanner)


def qt_application() -> QApplication:
    """The QApplication, named :data:`APPLICATION_NAME` (its window class too)."""
    return shared_qt_application(APPLICATION_NAME)


def run(settings: KioskSettings, started_at: float) -> int:
    """Run the kiosk until the window closes, Ctrl+C or SIGTERM; returns the exit status.

    ``started_at`` is the ``time.perf_counter()`` of the process start, for the start-up time
    ``--exit-when-ready`` prints.
    """
    require_sound_pyside()
    application = qt_application()
    wakeup = quit_on_stop_signals(application)
    garbage = GuiThreadCollector()
    garbage.start()
    kiosk = build_kiosk(settings)
    window = kiosk.window
    if settings.exit_when_ready:
        _quit_when_ready(kiosk, application, started_at)
    if settings.full_screen:
        application.setOverrideCursor(Qt.CursorShape.BlankCursor)
        window.showFullScreen()
    else:
        window.resize(*settings.window_size)
        if settings.window_position is not None:
            window.move(*settings.window_position)
        window.show()
    kiosk.start()
    try:
        return application.exec()
    finally:
        wakeup.stop()
        kiosk.stop()
        garbage.stop()


def resident_megabytes() -> float:
    """This process's resident memory in MB (Linux ``/proc``; NaN where unavailable)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _quit_when_ready(kiosk: KioskApp, application: QApplication, started_at: float) -> None:
    """Print the start-up time and quit once the home screen shows the server's menu."""
    controller = kiosk.controller
    redraw = controller.on_change

    def redraw_and_check() -> None:
        redraw()
        model = controller.model
        if model.catalogue is not None and model.screen is Screen.HOME \
                and kiosk.window.isVisible():
            controller.on_change = redraw
            print(f"kiosk ready after {time.perf_counter() - started_at:.3f} s, "
                  f"resident memory {resident_megabytes():.0f} MB", flush=True)
            QTimer.singleShot(0, application.quit)

    controller.on_change = redraw_and_check
