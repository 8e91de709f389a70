"""The kiosk's controller: carries out the screen model's effects and feeds results back.

Qt-free. Every method runs on the GUI thread: the citizen's actions come from the widgets,
and the results of the connection and print threads are delivered there as queued Qt signals
(:mod:`kiosk.ui.bridge`). After each change the ``on_change`` callback redraws the screen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from hardware.printer import PaperWidth
from hardware.scanner import ScannerReport, ScannerState
from kiosk.connection import DeviceReport
from kiosk.errors import CatalogueError, KioskError
from kiosk.models.booking import read_bookings
from kiosk.models.catalogue import Catalogue
from kiosk.models.screens import (
    Effect,
    KioskModel,
    LookUpBookings,
    PrintTicket,
    SendCheckIn,
    SendIssue,
)
from kiosk.models.status import ConnectionState, PrinterCondition
from kiosk.models.texts import Language, printer_message
from kiosk.models.ticket import IssuedTicket, ticket_content
from kiosk.printing import PrinterReport, PrintJob
from kiosk.settings import KioskSettings

logger = logging.getLogger(__name__)


class ServerPort(Protocol):
    """What the controller needs of the server connection (:class:`ServerConnection`)."""

    def issue(self, request_key: str, service: str, priority: str | None,
              birth_date: str | None = None) -> None: ...

    def check_in(self, request_key: str, code: str, birth_date: str | None = None) -> None: ...

    def find_bookings(self, lookup_id: str, id_number: str) -> None: ...

    def report_device(self, report: DeviceReport) -> None: ...

    def refresh_snapshot(self) -> None: ...


class PrinterPort(Protocol):
    """What the controller needs of the print worker (:class:`TicketPrinter`)."""

    def submit(self, job: PrintJob) -> None: ...


class KioskController:
    """Glue between the model, the connection and the printer; see the module docstring."""

    def __init__(self, settings: KioskSettings, model: KioskModel, server: ServerPort,
                 printer: PrinterPort) -> None:
        self.settings = settings
        self.model = model
        self._server = server
        self._printer = printer
        self.on_change: Callable[[], None] = lambda: None
        self.printer_report: PrinterReport | None = None
        # The device's profile in force (the server's, options overriding): apply_profile.
        self.zone = settings.zone
        self.paper = settings.paper
        self.printer_url = settings.printer_url
        self.language = settings.language
        self._snapshot: Mapping[str, Any] | None = None

    # --- the citizen's actions -----------------------------------------------------------

    def touch(self) -> None:
        """A touch anywhere: restarts the idle time (no redraw needed)."""
        self.model.touch()

    def choose_field(self, code: str) -> None:
        self.model.choose_field(code)
        self._changed()

    def choose_service(self, code: str) -> None:
        self._run(self.model.choose_service(code))

    def ask_priority(self, service_code: str) -> None:
        self.model.ask_priority(service_code)
        self._changed()

    def choose_priority(self, group_code: str) -> None:
        self._run(self.model.choose_priority(group_code))

    def back(self) -> None:
        self.model.back()
        self._changed()

    def finish(self) -> None:
        self.model.finish()
        self._changed()

    def switch_language(self) -> None:
        self.model.switch_language()
        self._changed()

    def reprint(self) -> None:
        self._run(self.model.reprint())

    # --- check-in and scans --------------------------------------------------------------------

    def open_check_in(self) -> None:
        self.model.open_check_in()
        self._changed()

    def type_code(self, character: str) -> None:
        self.model.type_code(character)
        self._changed()

    def erase_code(self) -> None:
        self.model.erase_code()
        self._changed()

    def clear_code(self) -> None:
        self.model.clear_code()
        self._changed()

    def submit_code(self) -> None:
        self._run(self.model.submit_code())

    def choose_booking(self, code: str) -> None:
        self._run(self.model.choose_booking(code))

    def try_again(self) -> None:
        self.model.try_again()
        self._changed()

    def scan(self, text: str) -> None:
        """A scanner (keyboard or serial) read ``text``. Never logged: it may be an ID card."""
        self._run(self.model.scan(text))

    def bookings_found(self, lookup_id: str, bookings: object) -> None:
        try:
            found = read_bookings(bookings)
        except KioskError as error:
            logger.error("the server's bookings cannot be read: %s", error)
            self.model.bookings_failed(lookup_id, "internal")
            self._changed()
            return
        logger.info("lookup %s: %d booking(s) today", lookup_id, len(found))
        self._run(self.model.bookings_found(lookup_id, found))

    def bookings_failed(self, lookup_id: str, code: str, message: str) -> None:
        logger.warning("lookup %s failed: %s %s", lookup_id, code, message)
        self.model.bookings_failed(lookup_id, code)
        self._changed()

    def scanner_changed(self, report: ScannerReport) -> None:
        """Tell the server the serial scanner's condition (``device_status``)."""
        message = ("Máy quét mã hoạt động bình thường." if report.state is ScannerState.OK
                   else "Máy quét mã không phản hồi. Vui lòng kiểm tra cáp nối.")
        self._server.report_device(DeviceReport(
            device=self.settings.scanner_device, kind="other", status=report.state.value,
            message=message))

    def tick(self) -> None:
        """Called by a timer: applies idle timeouts, and takes a fresh snapshot when the
        opening hours' next change has come (the snapshot redraws when it arrives)."""
        if self.model.refresh_due():
            logger.info("opening hours change now: taking a fresh snapshot")
            self._server.refresh_snapshot()
        if self.model.tick():
            self._changed()

    # --- results from the connection thread (delivered on the GUI thread) ------------------

    def connection_changed(self, state: ConnectionState,
                           snapshot: Mapping[str, Any] | None) -> None:
        self.model.set_connection(state)
        if snapshot is not None:
            self._take_snapshot(snapshot)
        self._changed()

    def snapshot_received(self, snapshot: Mapping[str, Any]) -> None:
        self._take_snapshot(snapshot)
        self._changed()

    def apply_profile(self, device: Mapping[str, Any]) -> None:
        """The device's profile from the server (each hello and snapshot): its paper width,
        printer, language and zone, unless given on the command line; a key the profile
        no longer has goes back to the kiosk's own setting."""
        profile = device.get("profile") or {}
        settings = self.settings

        def wanted(key: str, own: Any) -> Any:
            if key in settings.overridden or profile.get(key) in (None, ""):
                return own
            return profile[key]

        papers = {58: PaperWidth.MM58, 80: PaperWidth.MM80}
        paper = papers.get(wanted("paper_width", None), settings.paper)
        printer_url = str(wanted("printer", settings.printer_url))
        if paper is not self.paper or printer_url != self.printer_url:
            logger.info("profile: paper %s, printer %s", paper.name, printer_url)
            self.paper, self.printer_url = paper, printer_url
            reconfigure = getattr(self._printer, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(paper, printer_url)
        language = wanted("language", settings.language.value)
        if language in ("vi", "en") and Language(language) is not self.language:
            logger.info("profile: default language %s", language)
            self.language = Language(language)
            self.model.set_default_language(self.language)
            self._changed()
        zone = wanted("zone", settings.zone) or None
        if zone != self.zone:
            logger.info("profile: zone %s", zone or "(every zone)")
            self.zone = zone
            if self._snapshot is not None:
                self._take_snapshot(self._snapshot)
                self._changed()

    def issue_confirmed(self, request_key: str, ticket: Mapping[str, Any]) -> None:
        try:
            issued = IssuedTicket.from_wire(ticket)
        except KioskError as error:
            logger.error("the server's ticket for %s cannot be read: %s", request_key, error)
            self.model.issue_refused(request_key, "internal")
            self._changed()
            return
        logger.info("ticket %s issued for %s (request %s)", issued.number, issued.service,
                    request_key)
        self._run(self.model.issue_confirmed(request_key, issued))

    def issue_refused(self, request_key: str, code: str, message: str) -> None:
        logger.warning("request %s refused: %s %s", request_key, code, message)
        self.model.issue_refused(request_key, code, message)
        self._changed()

    # --- results from the print worker (delivered on the GUI thread) -----------------------

    def printed(self, ticket_id: str) -> None:
        self.model.printed(ticket_id)
        self._changed()

    def print_failed(self, ticket_id: str, condition: PrinterCondition, detail: str) -> None:
        self.model.print_failed(ticket_id, condition)
        self._changed()

    def printer_changed(self, report: PrinterReport) -> None:
        """Show the condition and tell the server (``device_status``)."""
        self.printer_report = report
        self.model.set_printer(report.condition, report.reports_status)
        message = printer_message(report.condition, Language.VIETNAMESE)
        self._server.report_device(DeviceReport(
            device=self.settings.printer_device, kind="printer", status=report.condition.value,
            message=(message or report.detail)[:200]))
        self._changed()

    # --- helpers -----------------------------------------------------------------------------

    def _take_snapshot(self, snapshot: Mapping[str, Any]) -> None:
        self._snapshot = snapshot
        try:
            catalogue = Catalogue.from_state(self._in_zone(snapshot))
        except CatalogueError as error:
            logger.error("the server's menu cannot be read: %s", error)
            return
        self.model.set_catalogue(catalogue)

    def _in_zone(self, snapshot: Mapping[str, Any]) -> Mapping[str, Any]:
        """``snapshot`` with only the services the counters of the kiosk's zone serve (all
        of them when no zone is set, or when the zone's counters serve none)."""
        if self.zone is None:
            return snapshot
        counters = snapshot.get("counters")
        services = snapshot.get("services")
        if not isinstance(counters, list) or not isinstance(services, list):
            return snapshot
        served = {code for counter in counters if isinstance(counter, Mapping)
                  and counter.get("zone") == self.zone
                  for code in counter.get("services") or ()}
        kept = [service for service in services
                if isinstance(service, Mapping) and service.get("code") in served]
        if not kept:
            logger.warning("no counter of zone %s serves anything: every service is offered",
                           self.zone)
            return snapshot
        return {**snapshot, "services": kept}

    def _run(self, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, SendIssue):
                pending = effect.pending
                if pending.birth_date is None:
                    self._server.issue(pending.request_key, pending.service, pending.priority)
                else:
                    self._server.issue(pending.request_key, pending.service, pending.priority,
                                       birth_date=pending.birth_date.isoformat())
            elif isinstance(effect, SendCheckIn):
                check_in = effect.pending
                logger.info("check-in %s of booking %s", check_in.request_key, check_in.code)
                self._server.check_in(check_in.request_key, check_in.code,
                                      birth_date=None if check_in.birth_date is None
                                      else check_in.birth_date.isoformat())
            elif isinstance(effect, LookUpBookings):
                logger.info("looking up the bookings of an ID card (lookup %s)",
                            effect.lookup_id)
                self._server.find_bookings(effect.lookup_id, effect.id_number)
            elif isinstance(effect, PrintTicket):
                self._print(effect)
        self._changed()

    def _print(self, effect: PrintTicket) -> None:
        catalogue = self.model.catalogue
        assert catalogue is not None  # a ticket was confirmed, so the menu was known
        try:
            content = ticket_content(effect.ticket, catalogue, effect.language)
        except KioskError as error:
            logger.error("%s", error)
            self.model.print_failed(effect.ticket.ticket_id, PrinterCondition.ERROR)
            return
        self._printer.submit(PrintJob(effect.ticket.ticket_id, content))

    def _changed(self) -> None:
        self.on_change()
