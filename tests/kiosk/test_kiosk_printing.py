"""The print worker: prints on its own thread, reads the printer's status, reports faults, and
never sends a job to a printer that says it is not ready."""

from __future__ import annotations

import dataclasses
import queue
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import ImageOps

from hardware.printer import (
    FileTransport,
    PaperWidth,
    PrinterConnectionError,
    PrinterStatus,
    Transport,
    VirtualPrinter,
    open_printer,
    render_escpos,
    status_reply_bytes,
    status_request_bytes,
)
from hardware.printer.font import FontWeight
from hardware.printer.raster import TicketStyle, fit_paragraph, render_text_line
from hardware.printer.render import find_subimage
from hardware.printer.sample import sample_content
from kiosk.models.status import PrinterCondition
from kiosk.printing import PrinterReport, PrintJob, TicketPrinter, condition_of

WAIT_SECONDS = 10.0


class Recorder:
    """A print listener that queues every call; tests wait on the queue."""

    def __init__(self) -> None:
        self.calls: queue.Queue[tuple[str, Any]] = queue.Queue()

    def printed(self, ticket_id: str) -> None:
        self.calls.put(("printed", ticket_id))

    def print_failed(self, ticket_id: str, condition: PrinterCondition, detail: str) -> None:
        self.calls.put(("print_failed", (ticket_id, condition)))

    def printer_changed(self, report: PrinterReport) -> None:
        self.calls.put(("printer_changed", report))

    def next(self, name: str) -> Any:
        """The argument of the next call named ``name`` (others are skipped)."""
        while True:
            called, argument = self.calls.get(timeout=WAIT_SECONDS)
            if called == name:
                return argument


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def running(recorder: Recorder, tmp_path: Path) -> Iterator[tuple[TicketPrinter, VirtualPrinter]]:
    printer = VirtualPrinter(tmp_path / "tickets")
    worker = TicketPrinter(printer, PaperWidth.MM80, recorder, poll_seconds=0.02)
    worker.start()
    yield worker, printer
    worker.stop()


@pytest.mark.parametrize(("status", "condition"), [
    (PrinterStatus(), PrinterCondition.OK),
    (PrinterStatus(paper_near_end=True), PrinterCondition.PAPER_NEAR_END),
    (PrinterStatus(online=False, paper_out=True, cover_open=True), PrinterCondition.PAPER_OUT),
    (PrinterStatus(online=False, cover_open=True), PrinterCondition.COVER_OPEN),
    (PrinterStatus(online=False, cutter_error=True), PrinterCondition.ERROR),
    (PrinterStatus(auto_recoverable_error=True), PrinterCondition.ERROR),
    (PrinterStatus(online=False), PrinterCondition.OFFLINE),
])
def test_condition_of_status(status: PrinterStatus, condition: PrinterCondition) -> None:
    assert condition_of(status) is condition
    assert condition.blocks_printing == (not status.ready)


def test_prints_a_job_and_reports_ready(
        running: tuple[TicketPrinter, VirtualPrinter], recorder: Recorder) -> None:
    worker, printer = running
    first = recorder.next("printer_changed")
    assert (first.condition, first.reports_status) == (PrinterCondition.OK, True)
    worker.submit(PrintJob("ticket-1", sample_content()))
    assert recorder.next("printed") == "ticket-1"
    assert len(printer.jobs) == 1
    assert printer.jobs[0].rendered.image.width == PaperWidth.MM80.dots


def test_a_ticket_with_no_counter_open_prints_that_line(
        running: tuple[TicketPrinter, VirtualPrinter], recorder: Recorder) -> None:
    worker, printer = running
    recorder.next("printer_changed")
    unknown = dataclasses.replace(sample_content(), people_ahead=None, eta_minutes=None)
    worker.submit(PrintJob("ticket-1", unknown))
    assert recorder.next("printed") == "ticket-1"
    image = printer.jobs[0].rendered.image  # what the printer got, drawn back from its bytes
    style = TicketStyle.for_paper(PaperWidth.MM80)
    font, lines = fit_paragraph("Chưa có quầy mở cho thủ tục này", FontWeight.REGULAR,
                                style.detail_size, style.minimum_size,
                                PaperWidth.MM80.dots - 2 * style.margin)
    for line in lines:
        drawn = render_text_line(line, font)
        box = ImageOps.invert(drawn.convert("L")).getbbox()
        assert box is not None and find_subimage(image, drawn.crop(box)), line


def test_fault_is_reported_and_the_job_is_not_sent(
        running: tuple[TicketPrinter, VirtualPrinter], recorder: Recorder) -> None:
    worker, printer = running
    recorder.next("printer_changed")
    printer.simulate(PrinterStatus(online=False, cover_open=True))
    assert recorder.next("printer_changed").condition is PrinterCondition.COVER_OPEN
    worker.submit(PrintJob("ticket-1", sample_content()))
    assert recorder.next("print_failed") == ("ticket-1", PrinterCondition.COVER_OPEN)
    assert printer.jobs == ()
    printer.simulate(PrinterStatus())
    assert recorder.next("printer_changed").condition is PrinterCondition.OK
    worker.submit(PrintJob("ticket-1", sample_content()))
    assert recorder.next("printed") == "ticket-1"


def test_a_transport_without_status_prints_and_says_it_cannot_report(
        recorder: Recorder, tmp_path: Path) -> None:
    path = tmp_path / "printer.bin"
    worker = TicketPrinter(FileTransport(path), PaperWidth.MM58, recorder, poll_seconds=0.02)
    worker.start()
    try:
        report = recorder.next("printer_changed")
        assert (report.condition, report.reports_status) == (PrinterCondition.OK, False)
        worker.submit(PrintJob("ticket-1", sample_content()))
        assert recorder.next("printed") == "ticket-1"
    finally:
        worker.stop()
    assert render_escpos(path.read_bytes()).image.width == PaperWidth.MM58.dots


class UnreachablePrinter(Transport):
    """A network printer that is switched off."""

    url = "tcp://192.0.2.1:9100"

    def write(self, data: bytes) -> None:
        raise PrinterConnectionError(f"{self.url}: connection refused")

    def status(self) -> PrinterStatus | None:
        raise PrinterConnectionError(f"{self.url}: connection refused")

    def close(self) -> None:
        pass


def test_an_unreachable_printer_is_offline(recorder: Recorder) -> None:
    worker = TicketPrinter(UnreachablePrinter(), PaperWidth.MM80, recorder, poll_seconds=0)
    worker.start()
    try:
        report = recorder.next("printer_changed")
        assert report.condition is PrinterCondition.OFFLINE
        assert "connection refused" in report.detail
        worker.submit(PrintJob("ticket-1", sample_content()))
        assert recorder.next("print_failed") == ("ticket-1", PrinterCondition.OFFLINE)
    finally:
        worker.stop()


def test_without_polling_a_faulted_printer_is_still_watched(
        recorder: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kiosk.printing.FAULT_POLL_SECONDS", 0.02)
    printer = VirtualPrinter(tmp_path / "tickets")
    printer.simulate(PrinterStatus(paper_out=True))
    worker = TicketPrinter(printer, PaperWidth.MM80, recorder, poll_seconds=0)
    worker.start()
    try:
        assert recorder.next("printer_changed").condition is PrinterCondition.PAPER_OUT
        printer.simulate(PrinterStatus())
        assert recorder.next("printer_changed").condition is PrinterCondition.OK
    finally:
        worker.stop()


def test_paper_running_out_during_the_job_means_not_printed(
        running: tuple[TicketPrinter, VirtualPrinter], recorder: Recorder) -> None:
    worker, printer = running
    recorder.next("printer_changed")
    printer.fault_during_next_job(PrinterStatus(online=False, paper_out=True))
    worker.submit(PrintJob("ticket-1", sample_content()))
    report = recorder.next("printer_changed")  # reported first, then the failed job
    assert report.condition is PrinterCondition.PAPER_OUT
    assert "during the job" in report.detail
    assert recorder.next("print_failed") == ("ticket-1", PrinterCondition.PAPER_OUT)
    assert [job.complete for job in printer.jobs] == [False]
    printer.simulate(PrinterStatus())
    assert recorder.next("printer_changed").condition is PrinterCondition.OK
    worker.submit(PrintJob("ticket-1", sample_content()))  # the reprint
    assert recorder.next("printed") == "ticket-1"
    assert [job.complete for job in printer.jobs] == [False, True]


class FakeNetworkPrinter:
    """A printer's raw port on 127.0.0.1: answers ``DLE EOT`` with its status and takes jobs
    (one per connection, as :class:`TcpTransport` sends them). ``after_job`` is the status
    it reports once a job is in (the paper ran out while it printed); ``stop_after_job``
    makes it go silent instead (switched off)."""

    def __init__(self, after_job: PrinterStatus | None = None,
                 stop_after_job: bool = False) -> None:
        self.status = PrinterStatus()
        self.after_job = after_job
        self.stop_after_job = stop_after_job
        self.jobs: list[bytes] = []
        self.status_requests = 0
        self.closing = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        request = status_request_bytes()
        with self.listener:
            while True:
                connection, _address = self.listener.accept()
                if self.closing.is_set():
                    connection.close()
                    return
                with connection:
                    connection.settimeout(WAIT_SECONDS)
                    received = b""
                    while len(received) < len(request) and (chunk := connection.recv(65536)):
                        received += chunk
                    if received == request:
                        self.status_requests += 1
                        connection.sendall(status_reply_bytes(self.status))
                        continue
                    while chunk := connection.recv(65536):
                        received += chunk
                    self.jobs.append(received)
                    if self.stop_after_job:
                        return
                    if self.after_job is not None:
                        self.status = self.after_job

    def close(self) -> None:
        """Stop serving: wake the accepting thread with one last connection."""
        self.closing.set()
        if self.thread.is_alive():
            with socket.create_connection(("127.0.0.1", self.port), timeout=WAIT_SECONDS):
                pass
        self.thread.join(WAIT_SECONDS)


@pytest.mark.parametrize(("after_job", "condition"), [
    (PrinterStatus(online=False, paper_out=True), PrinterCondition.PAPER_OUT),
    (PrinterStatus(online=False, cover_open=True), PrinterCondition.COVER_OPEN),
    (PrinterStatus(online=False), PrinterCondition.OFFLINE),
])
def test_network_printer_that_faults_during_the_job(
        recorder: Recorder, after_job: PrinterStatus, condition: PrinterCondition) -> None:
    fake = FakeNetworkPrinter(after_job=after_job)
    worker = TicketPrinter(open_printer(f"tcp://127.0.0.1:{fake.port}?timeout=5"),
                           PaperWidth.MM80, recorder, poll_seconds=0)
    worker.start()
    try:
        assert recorder.next("printer_changed").condition is PrinterCondition.OK
        worker.submit(PrintJob("ticket-1", sample_content()))
        assert recorder.next("printer_changed").condition is condition
        assert recorder.next("print_failed") == ("ticket-1", condition)
    finally:
        worker.stop()
        fake.close()
    # The whole job went over the socket; only the status after it said it did not print.
    assert len(fake.jobs) == 1 and render_escpos(fake.jobs[0]).raster_blocks >= 1
    assert fake.status_requests == 3  # at start, before the job, after it


def test_network_printer_that_goes_silent_during_the_job(recorder: Recorder) -> None:
    fake = FakeNetworkPrinter(stop_after_job=True)
    worker = TicketPrinter(open_printer(f"tcp://127.0.0.1:{fake.port}?timeout=5"),
                           PaperWidth.MM80, recorder, poll_seconds=0)
    worker.start()
    try:
        assert recorder.next("printer_changed").condition is PrinterCondition.OK
        worker.submit(PrintJob("ticket-1", sample_content()))
        assert recorder.next("print_failed") == ("ticket-1", PrinterCondition.OFFLINE)
    finally:
        worker.stop()
        fake.close()
    assert len(fake.jobs) == 1


def test_network_printer_healthy_after_the_job_counts_as_printed(recorder: Recorder) -> None:
    fake = FakeNetworkPrinter(after_job=PrinterStatus(paper_near_end=True))
    worker = TicketPrinter(open_printer(f"tcp://127.0.0.1:{fake.port}?timeout=5"),
                           PaperWidth.MM80, recorder, poll_seconds=0)
    worker.start()
    try:
        recorder.next("printer_changed")
        worker.submit(PrintJob("ticket-1", sample_content()))
        assert recorder.next("printer_changed").condition is PrinterCondition.PAPER_NEAR_END
        assert recorder.next("printed") == "ticket-1"
    finally:
        worker.stop()
        fake.close()
