"""Ticket printing on a worker thread, and the printer's condition.

:class:`TicketPrinter` owns the printer transport and is the only thread that touches it:
rendering a ticket (a few ms of CPU) and writing it (blocking I/O) never run on the GUI
thread. Between jobs it asks the printer's real-time status every ``poll_seconds`` where the
transport can ask (ESC/POS ``DLE EOT`` over USB, serial or TCP; the virtual printer), so a
fault shows on the kiosk, and reaches the server, before anyone presses.

Before each job the status is asked again; a printer that is not ready gets nothing, so a
ticket is never half-sent into a printer with its cover open. After the job it is asked once
more: a printer that ran out of paper, was opened or went offline while the job was going in
has not printed the whole ticket, so the ticket counts as not printed (the kiosk keeps its
number on screen and offers the reprint). Every outcome goes to a :class:`PrintListener`,
called **on the worker thread**.

Limit: the status after the job is the printer's state when the last byte was accepted. A
serial printer has printed nearly all of it by then (the port is slower than the print head);
a USB or network printer may still be printing from its buffer, and a fault in that last
second shows at the next poll, with the ticket already counted as printed.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from hardware.printer import (
    PaperWidth,
    PrinterConnectionError,
    PrinterError,
    PrinterNotReadyError,
    PrinterStatus,
    TicketContent,
    Transport,
    open_printer,
    ticket_bytes,
)
from hardware.printer.sample import sample_content
from kiosk.models.status import PrinterCondition

logger = logging.getLogger(__name__)


def condition_of(status: PrinterStatus) -> PrinterCondition:
    """The one condition to show for a status, most specific first: paper out, cover open,
    a mechanical/cutter/other error, offline; then paper near end; else ok."""
    if status.paper_out:
        return PrinterCondition.PAPER_OUT
    if status.cover_open:
        return PrinterCondition.COVER_OPEN
    if (status.cutter_error or status.mechanical_error or status.unrecoverable_error
            or status.auto_recoverable_error):
        return PrinterCondition.ERROR
    if not status.online:
        return PrinterCondition.OFFLINE
    if status.paper_near_end:
        return PrinterCondition.PAPER_NEAR_END
    return PrinterCondition.OK


@dataclass(frozen=True)
class PrintJob:
    """One ticket to print; ``ticket_id`` identifies it in the listener's calls."""

    ticket_id: str
    content: TicketContent


@dataclass(frozen=True)
class PrinterReport:
    """The printer's condition as last seen.

    Attributes:
        detail: the technical reason (for logs and the server), e.g. the transport's error.
        reports_status: False when the transport cannot be asked (a file); the condition then
            comes from the last job only.
    """

    condition: PrinterCondition
    detail: str
    reports_status: bool


class PrintListener(Protocol):
    """Receives printing results, on the worker thread."""

    def printed(self, ticket_id: str) -> None:
        """The job's bytes were handed to the printer."""

    def print_failed(self, ticket_id: str, condition: PrinterCondition, detail: str) -> None:
        """The job did not print; nothing (or, for a write that broke off, part) was sent."""

    def printer_changed(self, report: PrinterReport) -> None:
        """The condition differs from the last report (the first report always comes)."""


FAULT_POLL_SECONDS = 2.0
"""With polling off (``poll_seconds`` 0), a faulted printer is still asked this often, so
the kiosk sees it ready again and offers the reprint."""


class _Stop:
    pass


class _Check:
    pass


@dataclass(frozen=True)
class _Reconfigure:
    paper: PaperWidth
    printer_url: str | None


_STOP = _Stop()
_CHECK = _Check()


class TicketPrinter:
    """The print worker; see the module docstring. ``start()`` once, ``stop()`` once.

    Args:
        transport: the printer, opened with :func:`hardware.printer.open_printer`; closed by
            :meth:`stop`.
        paper: the roll width the ticket is laid out for.
        poll_seconds: status polling interval between jobs; 0 asks only before a job and,
            while the printer has a fault, every :data:`FAULT_POLL_SECONDS`.
    """

    def __init__(self, transport: Transport, paper: PaperWidth, listener: PrintListener,
                 poll_seconds: float,
                 opener: Callable[[str], Transport] = open_printer) -> None:
        self._transport = transport
        self._opener = opener
        self._paper = paper
        self._listener = listener
        self._poll_seconds = poll_seconds
        self._jobs: queue.Queue[PrintJob | _Stop | _Check | _Reconfigure] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="kiosk-printer", daemon=True)
        self._last: PrinterReport | None = None
        self._reports_status = True

    @property
    def transport(self) -> Transport:
        """The printer this worker writes to (touch it only through the worker)."""
        return self._transport

    def start(self) -> None:
        """Start the worker: it warms the renderer up and reports the first condition."""
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Finish the job in hand, stop, and close the transport."""
        if self._thread.is_alive():
            self._jobs.put(_STOP)
            self._thread.join(timeout)

    def submit(self, job: PrintJob) -> None:
        """Print ``job`` on the worker (thread-safe; returns at once)."""
        self._jobs.put(job)

    def check(self) -> None:
        """Ask the printer's status now (thread-safe; the answer goes to the listener)."""
        self._jobs.put(_CHECK)

    @property
    def paper(self) -> PaperWidth:
        """The roll width tickets are laid out for now."""
        return self._paper

    def reconfigure(self, paper: PaperWidth, printer_url: str | None = None) -> None:
        """Lay tickets out for ``paper`` from the next job on and, with ``printer_url``,
        close the printer and open that one instead (thread-safe; done between jobs; the
        new printer's condition goes to the listener)."""
        self._jobs.put(_Reconfigure(paper, printer_url))

    def _run(self) -> None:
        self._warm_up()
        self._poll()
        try:
            while True:
                try:
                    item = self._jobs.get(timeout=self._poll_interval())
                except queue.Empty:
                    self._poll()
                    continue
                if isinstance(item, _Stop):
                    return
                if isinstance(item, _Check):
                    self._poll()
                elif isinstance(item, _Reconfigure):
                    self._reconfigure(item)
                else:
                    self._print(item)
        finally:
            self._transport.close()

    def _reconfigure(self, change: _Reconfigure) -> None:
        if change.paper is not self._paper:
            logger.info("tickets are laid out for %s paper from now on", change.paper.name)
            self._paper = change.paper
        url = change.printer_url
        if url is None or url == self._transport.url:
            return
        try:
            transport = self._opener(url)
        except PrinterError as error:
            # The old one is kept: a kiosk that prints beats one that cannot.
            logger.error("cannot open the printer %s (keeping %s): %s", url,
                         self._transport.url, error)
            self._report(PrinterCondition.ERROR, f"{url}: {error}")
            return
        logger.info("printer changed from %s to %s", self._transport.url, url)
        self._transport.close()
        self._transport = transport
        self._last = None
        self._reports_status = True
        self._poll()

    def _poll_interval(self) -> float | None:
        """Seconds to the next status poll; None: no polling (wait for a job)."""
        if not self._reports_status:
            return None
        if self._poll_seconds > 0:
            return self._poll_seconds
        faulted = self._last is not None and self._last.condition.blocks_printing
        return FAULT_POLL_SECONDS if faulted else None

    def _warm_up(self) -> None:
        """Render one ticket so fonts, QR and ESC/POS code are loaded before the first press."""
        try:
            ticket_bytes(sample_content(), self._paper)
        except PrinterError as error:
            logger.error("the ticket renderer does not work: %s", error)

    def _ask(self) -> PrinterStatus | None:
        """The printer's status, or None when the transport cannot ask.

        Raises:
            PrinterError: the printer did not answer, or answered nonsense.
        """
        status = self._transport.status()
        self._reports_status = status is not None
        return status

    def _poll(self) -> None:
        try:
            status = self._ask()
        except PrinterConnectionError as error:
            self._report(PrinterCondition.OFFLINE, str(error))
            return
        except PrinterError as error:
            self._report(PrinterCondition.ERROR, str(error))
            return
        if status is None:
            if self._last is None:
                self._report(PrinterCondition.OK, "status cannot be asked on this transport")
            return
        self._report(condition_of(status), _describe(status))

    def _print(self, job: PrintJob) -> None:
        try:
            data = ticket_bytes(job.content, self._paper)
        except PrinterError as error:
            logger.error("ticket %s cannot be rendered: %s", job.ticket_id, error)
            self._fail(job, PrinterCondition.ERROR, str(error))
            return
        try:
            status = self._ask()
            if status is not None and not status.ready:
                self._fail(job, condition_of(status), _describe(status))
                return
            self._transport.write(data)
            if status is not None:
                status = self._ask_after_job()
        except PrinterNotReadyError as error:
            self._fail(job, condition_of(error.status), str(error))
            return
        except PrinterConnectionError as error:
            self._fail(job, PrinterCondition.OFFLINE, str(error))
            return
        except PrinterError as error:
            self._fail(job, PrinterCondition.ERROR, str(error))
            return
        if status is not None and not status.ready:
            self._fail(job, condition_of(status), f"during the job: {_describe(status)}")
            return
        logger.info("printed ticket %s (%d bytes)", job.ticket_id, len(data))
        condition = PrinterCondition.OK if status is None else condition_of(status)
        self._report(condition, "printed" if status is None else _describe(status))
        self._listener.printed(job.ticket_id)

    def _ask_after_job(self) -> PrinterStatus:
        """The status once the job is in (the transport answered before it, so it can ask).

        Raises:
            PrinterConnectionError: the printer stopped answering during the job (unplugged,
                switched off): the ticket cannot be taken as printed.
            PrinterError: it answered nonsense.
        """
        status = self._transport.status()
        if status is None:  # a transport that stopped reporting: say so rather than guess
            raise PrinterConnectionError(
                f"{self._transport.url}: no status after the job, though it answered before")
        return status

    def _fail(self, job: PrintJob, condition: PrinterCondition, detail: str) -> None:
        logger.warning("ticket %s did not print: %s (%s)", job.ticket_id, condition, detail)
        self._report(condition, detail)
        self._listener.print_failed(job.ticket_id, condition, detail)

    def _report(self, condition: PrinterCondition, detail: str) -> None:
        report = PrinterReport(condition, detail, self._reports_status)
        last = self._last
        if last is not None and (last.condition, last.reports_status) == (
                report.condition, report.reports_status):
            return
        self._last = report
        if condition is PrinterCondition.OK:
            logger.info("printer %s is ready", self._transport.url)
        else:
            logger.warning("printer %s: %s (%s)", self._transport.url, condition, detail)
        self._listener.printer_changed(report)


def _describe(status: PrinterStatus) -> str:
    faults = [fault.value for fault in status.faults]
    if status.paper_near_end:
        faults.append("paper_near_end")
    return ", ".join(faults) or "ready"
