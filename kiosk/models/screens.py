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

Check-in (where the site takes bookings) and scans::

    HOME ──"Tôi đã đặt lịch"──► CHECK_IN (keypad) ──"Nhận số"──► ISSUING (check_in) ──► PRINTING
    any screen a citizen acts on ──scan──► booking QR: ISSUING (check_in)
                                           ID card:    LOOKING_UP ──none──► HOME (age rule noted)
                                                                  ──one───► ISSUING (check_in)
                                                                  ──more──► BOOKINGS ──► ISSUING
                                           unusable:   REFUSED (what was wrong)

A check-in is a press like any other: one ``request_key``, re-sent until answered, printed
once, and its ticket prints exactly as a walk-in's. From an ID card the model keeps only
:class:`~kiosk.models.booking.Person` (birth date, masked number), until the citizen is done;
the whole number leaves in the :class:`LookUpBookings` effect and is not kept.

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
from datetime import date, datetime, timedelta
from enum import StrEnum

from kiosk.models.booking import Booking, Person, age_priority
from kiosk.models.catalogue import (
    AgeRule,
    Catalogue,
    Service,
    ServiceKind,
    first_reopening,
    summarise,
)
from kiosk.models.cccd import IdCard
from kiosk.models.check_in_texts import Refusal, RefusalKind, check_in_texts
from kiosk.models.scan import CODE_ALPHABET, CODE_LENGTH, BookingCode, ScanError, read_scan
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
    CHECK_IN = "check_in"
    """The keypad for a booking code."""
    LOOKING_UP = "looking_up"
    """Waiting for the server's list of an ID card's bookings."""
    BOOKINGS = "bookings"
    """Choosing one of several bookings."""


MENU_SCREENS = frozenset({Screen.HOME, Screen.PROCEDURES, Screen.PRIORITY})
"""Screens where a citizen chooses; issuing can be disabled there."""
CHECK_IN_SCREENS = frozenset({Screen.CHECK_IN, Screen.BOOKINGS})
"""Screens where a citizen checks a booking in; the banner says why when they cannot."""
SCAN_SCREENS = MENU_SCREENS | CHECK_IN_SCREENS | {Screen.TICKET, Screen.REFUSED}
"""Screens a scan starts a check-in from (the ticket screen: the next citizen's)."""
_IDLE_SCREENS = frozenset({Screen.PROCEDURES, Screen.PRIORITY, Screen.REFUSED,
                           Screen.LOOKING_UP, *CHECK_IN_SCREENS})


class ChoiceKind(StrEnum):
    """What pressing a menu choice means."""

    FIELD = "field"
    SERVICE = "service"
    PRIORITY_GROUP = "priority_group"
    BOOKING = "booking"
    CHECK_IN = "check_in"
    """HOME's "Tôi đã đặt lịch" tile (its code is :data:`CHECK_IN_CODE`)."""


CHECK_IN_CODE = ":check-in"
"""The code of HOME's check-in tile: no field or service code has a colon."""


@dataclass(frozen=True)
class Choice:
    """One button of a menu, in the current language.

    Attributes:
        title: the name to show.
        detail: the queue line (``12 người chờ · khoảng 15 phút``); empty for groups.
        badge: ``NỘP HỒ SƠ`` / ``NHẬN KẾT QUẢ`` / ``THỦ TỤC KHÁC`` where a menu mixes kinds.
        offers_priority: the choice has a "Ưu tiên" button beside it.
        enabled: issuing is possible now.
        accent: drawn in the check-in colour (HOME's "Tôi đã đặt lịch").
    """

    kind: ChoiceKind
    code: str
    title: str
    detail: str
    badge: str | None
    offers_priority: bool
    enabled: bool
    accent: bool = False


@dataclass(frozen=True)
class PendingIssue:
    """A press waiting for the server: the key goes with every retry. ``birth_date`` (from
    an ID card, where the site has an age rule) lets the server apply the rule."""

    request_key: str
    service: str
    priority: str | None
    language: Language
    birth_date: date | None = None


@dataclass(frozen=True)
class PendingCheckIn:
    """A check-in waiting for the server, like a press: the key goes with every retry.

    Attributes:
        code: the booking code, normalised (8 characters).
        typed: typed on the keypad (a refusal then offers to type it again).
    """

    request_key: str
    code: str
    birth_date: date | None
    language: Language
    typed: bool = False


@dataclass(frozen=True)
class SendIssue:
    """Effect: send (or keep re-sending) ``issue`` with this key until the server answers."""

    pending: PendingIssue


@dataclass(frozen=True)
class SendCheckIn:
    """Effect: send (or keep re-sending) ``check_in`` with this key until answered."""

    pending: PendingCheckIn


@dataclass(frozen=True)
class LookUpBookings:
    """Effect: ask the server for the bookings of an ID number (once; the answer or failure
    comes back with ``lookup_id``). Personal data: not kept after sending, never logged."""

    lookup_id: str
    id_number: str

    def __repr__(self) -> str:
        return f"LookUpBookings({self.lookup_id}, {self.id_number[:4]}****{self.id_number[-4:]})"


@dataclass(frozen=True)
class PrintTicket:
    """Effect: print this confirmed ticket, labels in ``language``."""

    ticket: IssuedTicket
    language: Language


Effect = SendIssue | PrintTicket | SendCheckIn | LookUpBookings


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
        self.pending: PendingIssue | PendingCheckIn | None = None
        self.ticket: IssuedTicket | None = None
        self.ticket_language = language
        self.refusal_code: str | None = None
        self.refusal: Refusal | None = None
        self.typed_code = ""
        """The booking code typed so far on the keypad (normalised, at most 8)."""
        self.person: Person | None = None
        """The citizen an ID card identified, until they are done."""
        self.bookings: tuple[Booking, ...] = ()
        self.lookup_id: str | None = None
        self._last_touch = clock()
        self._shown_at = self._last_touch
        self._refresh_at: float | None = None
        self._catalogue_at = self._last_touch

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
    def booking_enabled(self) -> bool:
        """The site takes bookings, so HOME offers "Tôi đã đặt lịch"."""
        return self.catalogue is not None and self.catalogue.site.booking_enabled

    @property
    def can_check_in(self) -> bool:
        """A check-in would be sent now: as :attr:`can_issue`, on a screen a citizen acts
        on, where the site takes bookings and some service is open."""
        return (
            self.booking_enabled
            and self.connection is ConnectionState.ONLINE
            and not self.printer.blocks_printing
            and self.pending is None
            and not self.site_closed
            and self.screen in SCAN_SCREENS
        )

    @property
    def code_complete(self) -> bool:
        """The keypad holds a whole code: "Nhận số" works."""
        return len(self.typed_code) == CODE_LENGTH and self.can_check_in

    @property
    def server_today(self) -> date | None:
        """The server's date now: the last snapshot's ``now`` moved on by the kiosk's own
        clock (None from a server that does not say)."""
        now = None if self.catalogue is None else self.catalogue.site.now
        if now is None:
            return None
        return (now + timedelta(seconds=self._clock() - self._catalogue_at)).date()

    @property
    def age_rule(self) -> AgeRule | None:
        """The site's age rule when the identified citizen is old enough for it."""
        return age_priority(self.person, self.catalogue, self.server_today)

    def person_notice(self) -> tuple[str, ...]:
        """The lines shown over the menus once an ID card was read: the masked number (and
        that no booking was found), and the priority the age rule gives."""
        person = self.person
        if person is None or self.catalogue is None:
            return ()
        words = check_in_texts(self.language)
        first = words.card_read.format(masked=person.masked_id)
        if person.looked_up:
            first = f"{first} {words.no_booking_today}"
        lines = [first]
        rule = self.age_rule
        group = None if rule is None else self.catalogue.priority_group(rule.group)
        if rule is not None and group is not None:
            # Only where it holds: the procedures on screen (a field's, or all) may not all
            # take the group (a per-procedure setting), and then the line says so, or goes.
            catalogue = self.catalogue
            shown = catalogue.services if self.field_code is None \
                else catalogue.services_of(self.field_code)
            giving = [service for service in shown
                      if group in catalogue.priority_groups_of(service.code)]
            if giving:
                text = words.age_priority if len(giving) == len(shown) \
                    else words.age_priority_some
                lines.append(text.format(group=group.name.text(self.language), age=rule.age))
        return tuple(lines)

    def booking_choices(self) -> tuple[Choice, ...]:
        """BOOKINGS' buttons: the citizen's bookings of today."""
        words = check_in_texts(self.language)
        enabled = self.can_check_in
        choices = []
        for booking in self.bookings:
            service = None if self.catalogue is None else self.catalogue.service(booking.service)
            title = service.name.text(self.language) if service is not None \
                else booking.service_name
            detail = words.booking_detail.format(slot=booking.slot_text or "—",
                                                 code=booking.shown_code)
            choices.append(Choice(ChoiceKind.BOOKING, booking.code, title, detail, None, False,
                                  enabled))
        return tuple(choices)

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
        """HOME's buttons: the fields, or every service with one level; then, where the
        site takes bookings, "Tôi đã đặt lịch" (a tile like the others, so the menu keeps
        its size)."""
        choices = self._home_menu()
        if choices and self.booking_enabled:
            words = check_in_texts(self.language)
            choices += (Choice(ChoiceKind.CHECK_IN, CHECK_IN_CODE, words.have_booking,
                               words.have_booking_detail, None, False, self.can_check_in,
                               accent=True),)
        return choices

    def _home_menu(self) -> tuple[Choice, ...]:
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
        """PRIORITY's buttons: the priority groups the chosen service takes."""
        if self.catalogue is None or self.service_code is None:
            return ()
        enabled = self.can_issue and self._service_open(self.service_code)
        return tuple(
            Choice(ChoiceKind.PRIORITY_GROUP, group.code, group.name.text(self.language), "",
                   None, False, enabled)
            for group in self.catalogue.priority_groups_of(self.service_code)
        )

    def field_title(self) -> str:
        """The chosen field's name (PROCEDURES' heading)."""
        field = None if self.catalogue is None or self.field_code is None \
            else self.catalogue.field(self.field_code)
        return "" if field is None else field.name.text(self.language)

    def service_title(self) -> str:
        """The service being chosen a priority group for, or being issued."""
        pending = self.pending
        code = pending.service if isinstance(pending, PendingIssue) else self.service_code
        service = None if self.catalogue is None or code is None else self.catalogue.service(code)
        return "" if service is None else service.name.text(self.language)

    # --- inputs from outside -------------------------------------------------------------

    def set_catalogue(self, catalogue: Catalogue) -> None:
        """A fresh menu from the server; a chosen field or service that vanished goes home,
        and so does every menu when the centre closes (check-in too, and when the site stops
        taking bookings). A chosen service that closed, or that no longer takes a priority
        group while one is being chosen, goes back to its field. The next
        refresh is due at the snapshot's next change."""
        self.catalogue = catalogue
        self._catalogue_at = self._clock()
        if self.screen in CHECK_IN_SCREENS and (catalogue.closed
                                                or not catalogue.site.booking_enabled):
            self._go_home(reset_language=False)
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
        if self.screen is Screen.PRIORITY and (
            not self._service_open(self.service_code)
            or not catalogue.priority_groups_of(self.service_code or "")
        ):
            # Closed, or it no longer takes any priority group: back to its field.
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
                or not self.catalogue.priority_groups_of(service_code)):
            return
        self.service_code = service_code
        self.screen = Screen.PRIORITY

    def choose_priority(self, group_code: str) -> list[Effect]:
        """Press a priority group: take a priority ticket for the chosen service."""
        self.touch()
        if (self.screen is not Screen.PRIORITY or not self.can_issue or self.catalogue is None
                or self.service_code is None or not self._service_open(self.service_code)
                or all(group.code != group_code for group in
                       self.catalogue.priority_groups_of(self.service_code))):
            logger.info("priority group %s ignored on %s", group_code, self.screen)
            return []
        return self._start_issue(self.service_code, group_code)

    def back(self) -> None:
        """One step back: PRIORITY -> PROCEDURES (or HOME), PROCEDURES, CHECK_IN and
        BOOKINGS -> HOME."""
        self.touch()
        if self.screen is Screen.PRIORITY:
            self.service_code = None
            self.screen = Screen.PROCEDURES if self.field_code is not None else Screen.HOME
        elif self.screen in (Screen.PROCEDURES, *CHECK_IN_SCREENS):
            self._go_home(reset_language=False)

    def finish(self) -> None:
        """"Xong" on TICKET or REFUSED: home, in the default language for the next citizen."""
        self.touch()
        if self.screen in (Screen.TICKET, Screen.REFUSED):
            self._go_home(reset_language=True)

    # --- check-in ---------------------------------------------------------------------------

    def open_check_in(self) -> None:
        """"Tôi đã đặt lịch" on HOME: the keypad, empty."""
        self.touch()
        if self.screen is not Screen.HOME or not self.can_check_in:
            logger.info("check-in ignored on %s", self.screen)
            return
        self.typed_code = ""
        self.screen = Screen.CHECK_IN

    def type_code(self, character: str) -> None:
        """A keypad key: adds one character of the code alphabet (at most 8)."""
        self.touch()
        character = character.upper()
        if (self.screen is Screen.CHECK_IN and len(character) == 1
                and character in CODE_ALPHABET and len(self.typed_code) < CODE_LENGTH):
            self.typed_code += character

    def erase_code(self) -> None:
        """"Xóa": the last character."""
        self.touch()
        if self.screen is Screen.CHECK_IN:
            self.typed_code = self.typed_code[:-1]

    def clear_code(self) -> None:
        """"Xóa hết": the whole code."""
        self.touch()
        if self.screen is Screen.CHECK_IN:
            self.typed_code = ""

    def submit_code(self) -> list[Effect]:
        """"Nhận số": check the typed code in."""
        self.touch()
        if self.screen is not Screen.CHECK_IN or not self.code_complete:
            return []
        return self._start_check_in(self.typed_code, typed=True)

    def choose_booking(self, code: str) -> list[Effect]:
        """One of the ID card's bookings: check it in."""
        self.touch()
        if self.screen is not Screen.BOOKINGS or not self.can_check_in \
                or all(booking.code != code for booking in self.bookings):
            return []
        return self._start_check_in(code, typed=False)

    def try_again(self) -> None:
        """"Nhập lại mã" on a refused typed check-in: the keypad, the code still there."""
        self.touch()
        refusal = self.refusal
        if self.screen is Screen.REFUSED and refusal is not None and refusal.typed:
            self.screen = Screen.CHECK_IN

    def scan(self, text: str) -> list[Effect]:
        """A scanner read ``text`` (a booking's QR, an ID card, anything): start check-in,
        look the card's bookings up, or say what is wrong. Ignored while a press is being
        answered or printed, and where a check-in or a ticket could not follow (the
        banner says why)."""
        today = self.server_today
        if self.screen not in SCAN_SCREENS or self.catalogue is None or today is None \
                or self.pending is not None or self.connection is not ConnectionState.ONLINE \
                or self.printer.blocks_printing or self.site_closed:
            logger.info("a scan of %d characters ignored on %s", len(text), self.screen)
            return []
        self.touch()
        if self.screen is Screen.TICKET:
            self._go_home(reset_language=True)  # the next citizen
        try:
            scanned = read_scan(text, today)
        except ScanError as error:
            logger.info("scan refused: %s", error)  # names the field, never the text
            self._refuse(Refusal(RefusalKind.SCAN, scan_error=error))
            return []
        if isinstance(scanned, BookingCode):
            if not self.booking_enabled:
                self._refuse(Refusal(RefusalKind.BOOKING_DISABLED))
                return []
            return self._start_check_in(scanned.code, typed=False)
        return self._identified(scanned)

    def bookings_found(self, lookup_id: str, bookings: Sequence[Booking]) -> list[Effect]:
        """The server's list of the card's bookings: none goes to the menus (the age rule
        noted), one is checked in at once, several are offered."""
        if self.screen is not Screen.LOOKING_UP or lookup_id != self.lookup_id:
            return []
        self.lookup_id = None
        if not bookings:
            if self.person is not None:
                self.person = Person(self.person.birth_date, self.person.masked_id,
                                     looked_up=True)
            self.screen = Screen.HOME
            return []
        if len(bookings) == 1:
            self.screen = Screen.HOME  # the check-in starts from where a citizen acts
            return self._start_check_in(bookings[0].code, typed=False)
        self.bookings = tuple(bookings)
        self.screen = Screen.BOOKINGS
        return []

    def bookings_failed(self, lookup_id: str, code: str) -> None:
        """The lookup failed (refused, lost connection): say so; scanning again retries."""
        if self.screen is Screen.LOOKING_UP and lookup_id == self.lookup_id:
            self.lookup_id = None
            self._refuse(Refusal(RefusalKind.LOOKUP, code=code))

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

    def issue_refused(self, request_key: str, code: str, message: str = "") -> None:
        """The server refused the pending press or check-in (wire error ``code``, its
        ``message``); nothing to print."""
        pending = self.pending
        if pending is None or pending.request_key != request_key:
            return
        self.pending = None
        self.refusal_code = code
        if isinstance(pending, PendingCheckIn):
            self._refuse(Refusal(RefusalKind.CHECK_IN, code=code, message=message,
                                 booking_code=pending.code, typed=pending.typed))
        else:
            self._refuse(Refusal(RefusalKind.ISSUE, code=code, message=message))

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
                and (self.language is not self._default_language or self.person is not None)):
            self._go_home(reset_language=True)
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
        pending = PendingIssue(self._new_request_key(), service, priority, self.language,
                               self._birth_date_to_send())
        self.pending = pending
        self.refusal_code = None
        self.refusal = None
        self.screen = Screen.ISSUING
        return [SendIssue(pending)]

    def _start_check_in(self, code: str, typed: bool) -> list[Effect]:
        if not self.can_check_in:
            logger.info("check-in ignored: not possible now")
            return []
        pending = PendingCheckIn(self._new_request_key(), code, self._birth_date_to_send(),
                                 self.language, typed)
        self.pending = pending
        self.refusal_code = None
        self.refusal = None
        self.screen = Screen.ISSUING
        return [SendCheckIn(pending)]

    def _birth_date_to_send(self) -> date | None:
        """The identified citizen's birth date, only where the site has an age rule (the
        server has no other use for it)."""
        catalogue = self.catalogue
        if self.person is None or catalogue is None or catalogue.site.priority_by_age is None:
            return None
        return self.person.birth_date

    def _identified(self, card: IdCard) -> list[Effect]:
        """An ID card was read: keep the birth date and masked number; look the bookings up
        where the site takes them, else straight to the menus with the age rule."""
        self.person = Person.from_card(card)
        self.bookings = ()
        if self.booking_enabled:
            self.lookup_id = self._new_request_key()
            self.screen = Screen.LOOKING_UP
            return [LookUpBookings(self.lookup_id, card.id_number)]
        if self.catalogue is not None and self.catalogue.site.priority_by_age is not None:
            self.screen = Screen.HOME
            self.field_code = self.service_code = None
            return []
        self.person = None
        self._refuse(Refusal(RefusalKind.CARD_NOT_USED))
        return []

    def _refuse(self, refusal: Refusal) -> None:
        self.refusal = refusal
        self.screen = Screen.REFUSED
        self._shown_at = self._clock()

    def set_default_language(self, language: Language) -> None:
        """The language shown first from now on (the device's profile changed): at once on
        the home screen, else when the kiosk next goes home by itself."""
        self._default_language = language
        if self.screen is Screen.HOME:
            self.language = language
            self.ticket_language = language

    def _go_home(self, reset_language: bool) -> None:
        """HOME; ``reset_language``: for the next citizen (their language, their ID card's
        details and their typed code forgotten)."""
        self.screen = Screen.HOME
        self.field_code = None
        self.service_code = None
        self.bookings = ()
        self.lookup_id = None
        if reset_language:
            self.language = self._default_language
            self.person = None
            self.typed_code = ""

    @property
    def _today(self) -> date | None:
        """The server's date of the last snapshot (a reopening today shows its time only)."""
        now: datetime | None = None if self.catalogue is None else self.catalogue.site.now
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
        return tuple(
            Choice(
                kind=ChoiceKind.SERVICE,
                code=service.code,
                title=service.name.text(self.language),
                detail=(wait_line(service.waiting, service.eta_minutes, service.eta_minutes,
                                  self.language) if service.open
                        else reopens_text(service.reopens_at, self._today, self.language)),
                badge=badges[service.kind] if split else None,
                # Only where the service takes some priority group.
                offers_priority=bool(catalogue.priority_groups_of(service.code)),
                enabled=enabled and service.open,
            )
            for service in services
        )
