"""The kiosk's screens as a pure state machine (no Qt, no I/O, time injected).

::

    HOME ──field──► PROCEDURES ──service──────────────► ISSUING ──reply──► PRINTING ──► TICKET
      │                 └──"Ưu tiên"──► PRIORITY ──group──┘   │                 │           │
      └── (one level: HOME lists the services directly)      └─refused─► REFUSED │           │
                                                              PRINT_FAULT ◄─fault─┘           │
                                                                   └──"In lại phiếu"──► PRINTING
    TICKET, REFUSED, PROCEDURES, PRIORITY ──idle or "Xong"──► HOME (default language again)

At most three touches from HOME to a ticket: field, service (two), or field, "Ưu tiên",
group (three); with one level, one or two.

Never a wrong ticket:

- A press makes exactly one ``request_key`` (:class:`PendingIssue`); it stays until the server
  answers, and the connection re-sends it with the same key after a lost reply.
- Only a reply whose key matches the pending press is accepted, so one press prints once.
- Printing starts only after the reply (:class:`PrintTicket`). A print that fails leaves the
  confirmed ticket on screen (PRINT_FAULT) until it is reprinted; a reprint never asks the
  server for a new number.
- Issuing is disabled while the server is unreachable, the printer reports a fault, or a press
  is still being answered.

Opening hours: a service outside its hours is a disabled choice saying when it reopens
("Mở lại lúc 13:30"), a field whose services are all closed too, and when no service is open
HOME says the centre is closed and when it reopens instead of offering a menu. The snapshot
says when that next changes (``site.next_change``, measured from ``site.now``, the server's
time, on the kiosk's own monotonic clock): :meth:`KioskModel.refresh_due` says when to take a
fresh snapshot.

Actions the current screen does not allow are ignored (a touch racing a state change is
normal on a kiosk), and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from kiosk.models.catalogue import Catalogue, Service, ServiceKind, first_reopening, summarise
from kiosk.models.status import ConnectionState, PrinterCondition
from kiosk.models.texts import (
    Language,
    Texts,
    moment_text,
    printer_message,
    reopens_text,
    texts,
    wait_line,
)
from kiosk.models.ticket import IssuedTicket

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
"""Monotonic seconds (``time.monotonic`` in the app, a fake in tests)."""


class Screen(StrEnum):
    """What the kiosk shows."""

    HOME = "home"
    PROCEDURES = "procedures"
    PRIORITY = "priority"
    ISSUING = "issuing"
    PRINTING = "printing"
    TICKET = "ticket"
    PRINT_FAULT = "print_fault"
    REFUSED = "refused"


MENU_SCREENS = frozenset({Screen.HOME, Screen.PROCEDURES, Screen.PRIORITY})
"""Screens where a citizen chooses; issuing can be disabled there."""
_IDLE_SCREENS = frozenset({Screen.PROCEDURES, Screen.PRIORITY, Screen.REFUSED})


class ChoiceKind(StrEnum):
    """What pressing a menu choice means."""

    FIELD = "field"
    SERVICE = "service"
    PRIORITY_GROUP = "priority_group"


@dataclass(frozen=True)
class Choice:
    """One button of a menu, in the current language.

    Attributes:
        title: the name to show.
        detail: the queue line (``12 người chờ · khoảng 15 phút``); empty for groups.
        badge: ``NỘP HỒ SƠ`` / ``NHẬN KẾT QUẢ`` / ``THỦ TỤC KHÁC`` where a menu mixes kinds.
        offers_priority: the choice has a "Ưu tiên" button beside it.
        enabled: issuing is possible now.
    """

    kind: ChoiceKind
    code: str
    title: str
    detail: str
    badge: str | None
    offers_priority: bool
    enabled: bool


@dataclass(frozen=True)
class PendingIssue:
    """A press waiting for the server: the key goes with every retry."""

    request_key: str
    service: str
    priority: str | None
    language: Language


@dataclass(frozen=True)
class SendIssue:
    """Effect: send (or keep re-sending) ``issue`` with this key until the server answers."""

    pending: PendingIssue


@dataclass(frozen=True)
class PrintTicket:
    """Effect: print this confirmed ticket, labels in ``language``."""

    ticket: IssuedTicket
    language: Language


Effect = SendIssue | PrintTicket


class KioskModel:
    """The screen state machine; see the module docstring.

    Every method runs on one thread (the GUI thread). Methods that may start work return the
    effects for the caller to carry out; the model itself does nothing but change state.

    Args:
        clock: monotonic seconds.
        new_request_key: makes a unique key per press (``uuid4`` text in the app).
        idle_seconds: untouched this long on a menu, the kiosk goes home.
        ticket_seconds: the ticket screen goes home this long after it appeared.
        language: the default language, restored whenever the kiosk goes home by itself.
        one_level_max_services: with this many services or fewer (or a single field), HOME
            lists the services directly.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        new_request_key: Callable[[], str],
        idle_seconds: float,
        ticket_seconds: float,
        language: Language = Language.VIETNAMESE,
        one_level_max_services: int = 8,
    ) -> None:
        self._clock = clock
        self._new_request_key = new_request_key
        self._idle_seconds = idle_seconds
        self._ticket_seconds = ticket_seconds
        self._default_language = language
        self._one_level_max_services = one_level_max_services
        self.screen = Screen.HOME
        self.language = language
        self.catalogue: Catalogue | None = None
        self.connection = ConnectionState.CONNECTING
        self.printer = PrinterCondition.OK
        self.printer_reports_status = True
        self.field_code: str | None = None
        self.service_code: str | None = None
        self.pending: PendingIssue | None = None
        self.ticket: IssuedTicket | None = None
        self.ticket_language = language
        self.refusal_code: str | None = None
        self._last_touch = clock()
        self._shown_at = self._last_touch
        self._refresh_at: float | None = None

    # --- what the screens show -------------------------------------------------------------

    @property
    def texts(self) -> Texts:
        """The fixed texts in the current language."""
        return texts(self.language)

    @property
    def one_level(self) -> bool:
        """HOME lists services directly (few services, or a single field)."""
        catalogue = self.catalogue
        if catalogue is None:
            return False
        return (len(catalogue.fields) <= 1
                or len(catalogue.services) <= self._one_level_max_services)

    @property
    def can_issue(self) -> bool:
        """A press would be sent now: menu known, server online, printer able, no press
        waiting."""
        return (
            self.catalogue is not None
            and self.connection is ConnectionState.ONLINE
            and not self.printer.blocks_printing
            and self.pending is None
            and self.screen in MENU_SCREENS
        )

    @property
    def unavailable_reason(self) -> str | None:
        """The banner over the menus when issuing is off: server first, then printer."""
        words = self.texts
        if self.connection is ConnectionState.CONNECTING:
            return words.connecting
        if self.connection is ConnectionState.OFFLINE:
            return words.disconnected
        return printer_message(self.printer, self.language)

    @property
    def site_closed(self) -> bool:
        """No service issues numbers now: HOME says so instead of a menu."""
        return self.catalogue is not None and self.catalogue.closed

    def closed_notice(self) -> tuple[str, str] | None:
        """HOME's title and line while the centre is closed (``Mở lại lúc 07:30 thứ Hai
        08/02. ...``); None while some service is open."""
        catalogue = self.catalogue
        if catalogue is None or not catalogue.closed:
            return None
        words = self.texts
        reopening = first_reopening(catalogue.services)
        if reopening is None:
            return words.site_closed, words.site_closed_unknown
        when = moment_text(reopening, self._today, self.language)
        return words.site_closed, words.site_reopens.format(when=when)

    @property
    def printer_fault_message(self) -> str | None:
        """The plain sentence for the printer's fault, None when it prints."""
        return printer_message(self.printer, self.language)

    @property
    def reprint_enabled(self) -> bool:
        """The "In lại phiếu" button works: the printer says it is ready again, or it cannot
        say anything (a file or a printer without status) so trying is the only test."""
        return self.screen is Screen.PRINT_FAULT and (
            not self.printer.blocks_printing or not self.printer_reports_status
        )

    def home_choices(self) -> tuple[Choice, ...]:
        """HOME's buttons: the fields, or every service with one level."""
        catalogue = self.catalogue
        if catalogue is None:
            return ()
        if self.one_level:
            return self._service_choices(catalogue.services)
        enabled = self.can_issue
        return tuple(
            Choice(
                kind=ChoiceKind.FIELD,
                code=field.code,
                title=field.name.text(self.language),
                # What a new ticket could get: the open services' queues.
                detail=(self._wait_text([service for service in
                                         catalogue.services_of(field.code) if service.open])
                        if catalogue.field_open(field.code) else
                        reopens_text(first_reopening(catalogue.services_of(field.code)),
                                     self._today, self.language)),
                badge=None,
                offers_priority=False,
                enabled=enabled and catalogue.field_open(field.code),
            )
            for field in catalogue.fields
        )

    def procedure_choices(self) -> tuple[Choice, ...]:
        """PROCEDURES' buttons: the chosen field's services."""
        if self.catalogue is None or self.field_code is None:
            return ()
        return self._service_choices(self.catalogue.services_of(self.field_code))

    def priority_choices(self) -> tuple[Choice, ...]:
        """PRIORITY's buttons: the configured priority groups."""
        if self.catalogue is None:
            return ()
        enabled = self.can_issue and self._service_open(self.service_code)
        return tuple(
            Choice(ChoiceKind.PRIORITY_GROUP, group.code, group.name.text(self.language), "",
                   None, False, enabled)
            for group in self.catalogue.priority_groups
        )

    def field_title(self) -> str:
        """The chosen field's name (PROCEDURES' heading)."""
        field = None if self.catalogue is None or self.field_code is None \
            else self.catalogue.field(self.field_code)
        return "" if field is None else field.name.text(self.language)

    def service_title(self) -> str:
        """The service being chosen a priority group for, or being issued."""
        code = self.pending.service if self.pending is not None else self.service_code
        service = None if self.catalogue is None or code is None else self.catalogue.service(code)
        return "" if service is None else service.name.text(self.language)

    # --- inputs from outside -------------------------------------------------------------

    def set_catalogue(self, catalogue: Catalogue) -> None:
        """A fresh menu from the server; a chosen field or service that vanished goes home,
        and so does every menu when the centre closes. A chosen service that closed goes
        back to its field. The next refresh is due at the snapshot's next change."""
        self.catalogue = catalogue
        if self.screen in (Screen.PROCEDURES, Screen.PRIORITY) and catalogue.closed:
            self._go_home(reset_language=False)
        if self.screen is Screen.PROCEDURES and (
            self.field_code is None or not catalogue.services_of(self.field_code)
        ):
            self._go_home(reset_language=False)
        if self.screen is Screen.PRIORITY and (
            self.service_code is None or catalogue.service(self.service_code) is None
        ):
            self._go_home(reset_language=False)
        if self.screen is Screen.PRIORITY and not self._service_open(self.service_code):
            self.service_code = None
            self.screen = Screen.PROCEDURES if self.field_code is not None else Screen.HOME
        site = catalogue.site
        if site.next_change is not None and site.now is not None:
            wait = max(0.0, (site.next_change - site.now).total_seconds())
            self._refresh_at = self._clock() + wait
        else:
            self._refresh_at = None

    def refresh_due(self) -> bool:
        """True, once, when what the last snapshot said next changes (a service opens or
        closes): the caller takes a fresh snapshot, whose own next change is then due."""
        if self._refresh_at is None or self._clock() < self._refresh_at:
            return False
        self._refresh_at = None
        return True

    def set_connection(self, state: ConnectionState) -> None:
        """The server connection changed."""
        self.connection = state

    def set_printer(self, condition: PrinterCondition, reports_status: bool = True) -> None:
        """The printer's condition changed; ``reports_status`` False for a printer that
        cannot be asked (a file, say)."""
        self.printer = condition
        self.printer_reports_status = reports_status

    # --- the citizen's actions -----------------------------------------------------------

    def touch(self) -> None:
        """Any touch: restarts the idle time."""
        self._last_touch = self._clock()

    def choose_field(self, code: str) -> None:
        """HOME -> PROCEDURES of field ``code``."""
        self.touch()
        catalogue = self.catalogue
        if (self.screen is not Screen.HOME or catalogue is None or self.one_level
                or not self.can_issue or not catalogue.field_open(code)):
            logger.info("field %s ignored on %s", code, self.screen)
            return
        self.field_code = code
        self.screen = Screen.PROCEDURES

    def choose_service(self, code: str) -> list[Effect]:
        """Press a service: take an ordinary ticket."""
        self.touch()
        if not self._service_selectable(code):
            return []
        return self._start_issue(code, None)

    def ask_priority(self, service_code: str) -> None:
        """Press "Ưu tiên" beside a service: choose the group next."""
        self.touch()
        if (not self._service_selectable(service_code) or self.catalogue is None
                or not self.catalogue.priority_groups):
            return
        self.service_code = service_code
        self.screen = Screen.PRIORITY

    def choose_priority(self, group_code: str) -> list[Effect]:
        """Press a priority group: take a priority ticket for the chosen service."""
        self.touch()
        if (self.screen is not Screen.PRIORITY or not self.can_issue or self.catalogue is None
                or self.catalogue.priority_group(group_code) is None
                or self.service_code is None or not self._service_open(self.service_code)):
            logger.info("priority group %s ignored on %s", group_code, self.screen)
            return []
        return self._start_issue(self.service_code, group_code)

    def back(self) -> None:
        """One step back: PRIORITY -> PROCEDURES (or HOME), PROCEDURES -> HOME."""
        self.touch()
        if self.screen is Screen.PRIORITY:
            self.service_code = None
            self.screen = Screen.PROCEDURES if self.field_code is not None else Screen.HOME
        elif self.screen is Screen.PROCEDURES:
            self._go_home(reset_language=False)

    def finish(self) -> None:
        """"Xong" on TICKET or REFUSED: home, in the default language for the next citizen."""
        self.touch()
        if self.screen in (Screen.TICKET, Screen.REFUSED):
            self._go_home(reset_language=True)

    def switch_language(self) -> None:
        """The one-touch language switch."""
        self.touch()
        self.language = self.language.other

    def reprint(self) -> list[Effect]:
        """"In lại phiếu": print the same confirmed ticket again (no new number)."""
        self.touch()
        if not self.reprint_enabled or self.ticket is None:
            return []
        self.screen = Screen.PRINTING
        return [PrintTicket(self.ticket, self.ticket_language)]

    # --- answers ---------------------------------------------------------------------------

    def issue_confirmed(self, request_key: str, ticket: IssuedTicket) -> list[Effect]:
        """The server confirmed the pending press: print it. A reply for any other key (a
        press already answered) is ignored, so one press never prints twice."""
        pending = self.pending
        if pending is None or pending.request_key != request_key:
            logger.warning("ignored a ticket for request %s, which is not pending", request_key)
            return []
        self.pending = None
        self.ticket = ticket
        self.ticket_language = pending.language
        self.screen = Screen.PRINTING
        return [PrintTicket(ticket, pending.language)]

    def issue_refused(self, request_key: str, code: str) -> None:
        """The server refused the pending press (wire error ``code``); nothing to print."""
        if self.pending is None or self.pending.request_key != request_key:
            return
        self.pending = None
        self.refusal_code = code
        self.screen = Screen.REFUSED
        self._shown_at = self._clock()

    def printed(self, ticket_id: str) -> None:
        """The ticket's bytes went to the printer."""
        if self.screen is Screen.PRINTING and self.ticket is not None \
                and self.ticket.ticket_id == ticket_id:
            self.screen = Screen.TICKET
            self._shown_at = self._clock()

    def print_failed(self, ticket_id: str, condition: PrinterCondition) -> None:
        """The ticket did not print: keep it on screen until reprinted."""
        if self.ticket is None or self.ticket.ticket_id != ticket_id:
            return
        self.printer = condition
        self.screen = Screen.PRINT_FAULT

    def tick(self) -> bool:
        """Apply time: idle menus and the ticket screen go home. Returns True on a change."""
        now = self._clock()
        idle = now - self._last_touch
        if self.screen is Screen.TICKET:
            if now - max(self._shown_at, self._last_touch) >= self._ticket_seconds:
                self._go_home(reset_language=True)
                return True
            return False
        if self.screen in _IDLE_SCREENS and idle >= self._idle_seconds:
            self._go_home(reset_language=True)
            return True
        if (self.screen is Screen.HOME and idle >= self._idle_seconds
                and self.language is not self._default_language):
            self.language = self._default_language
            return True
        return False

    # --- helpers -----------------------------------------------------------------------------

    def _service_selectable(self, code: str) -> bool:
        catalogue = self.catalogue
        if catalogue is None or not self.can_issue:
            logger.info("service %s ignored: issuing is not possible now", code)
            return False
        service = catalogue.service(code)
        if service is None or not service.open:
            logger.info("service %s ignored: it is closed now", code)
            return False
        if self.screen is Screen.HOME:
            return self.one_level
        return self.screen is Screen.PROCEDURES and service.field == self.field_code

    def _start_issue(self, service: str, priority: str | None) -> list[Effect]:
        pending = PendingIssue(self._new_request_key(), service, priority, self.language)
        self.pending = pending
        self.refusal_code = None
        self.screen = Screen.ISSUING
        return [SendIssue(pending)]

    def set_default_language(self, language: Language) -> None:
        """The language shown first from now on (the device's profile changed): at once on
        the home screen, else when the kiosk next goes home by itself."""
        self._default_language = language
        if self.screen is Screen.HOME:
            self.language = language
            self.ticket_language = language

    def _go_home(self, reset_language: bool) -> None:
        self.screen = Screen.HOME
        self.field_code = None
        self.service_code = None
        if reset_language:
            self.language = self._default_language

    @property
    def _today(self) -> date | None:
        """The server's date of the last snapshot (a reopening today shows its time only)."""
        now = None if self.catalogue is None else self.catalogue.site.now
        return None if now is None else now.date()

    def _service_open(self, code: str | None) -> bool:
        service = None if self.catalogue is None or code is None \
            else self.catalogue.service(code)
        return service is not None and service.open

    def _wait_text(self, services: Sequence[Service]) -> str:
        summary = summarise(services)
        return wait_line(summary.waiting, summary.eta_low, summary.eta_high, self.language)

    def _service_choices(self, services: Sequence[Service]) -> tuple[Choice, ...]:
        catalogue = self.catalogue
        assert catalogue is not None
        words = self.texts
        badges = {ServiceKind.SUBMIT: words.submit, ServiceKind.COLLECT: words.collect,
                  ServiceKind.OTHER: words.other}
        split = catalogue.splits_kinds(services)
        enabled = self.can_issue
        offers_priority = bool(catalogue.priority_groups)
        return tuple(
            Choice(
                kind=ChoiceKind.SERVICE,
                code=service.code,
                title=service.name.text(self.language),
                detail=(wait_line(service.waiting, service.eta_minutes, service.eta_minutes,
                                  self.language) if service.open
                        else reopens_text(service.reopens_at, self._today, self.language)),
                badge=badges[service.kind] if split else None,
                offers_priority=offers_priority,
                enabled=enabled and service.open,
            )
            for service in services
        )
