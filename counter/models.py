"""The counter screen's state, Qt-free: built from the snapshot, events and replies.

:class:`CounterScreenModel` is the one place that knows what the officer sees and may do:
which page (login or work), the counter and its ticket in hand, the waiting list, today's
figures, the notice line (errors in plain words), which actions are enabled, the citizen's
rating prompt, and whether a new password may be sent (the password rule is the server's own,
server.security.password_problem). The UI renders it after every
:meth:`CounterScreenModel.apply`, and asks it for the request to send when a key or button is
pressed. Time is passed in (``now``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from counter.requests import (
    TICKET_ACTIONS,
    Action,
    ActionRequest,
    ClientRequest,
    LoginRequest,
    PasswordChangeRequest,
    RateRequest,
)
from counter.settings import Language
from counter.texts import Phrase, describe_error, describe_password_problem, translate
from counter.updates import (
    ActionInterrupted,
    ActionRefused,
    ActionResolved,
    ActionSucceeded,
    ConnectionStatus,
    EventReceived,
    FiguresLoaded,
    LoggedIn,
    LoginRefused,
    Outcome,
    PasswordChanged,
    QueueLoaded,
    RatingSucceeded,
    SessionStarted,
    StatusChanged,
    Update,
)
from server.security import password_problem

logger = logging.getLogger(__name__)

RATING_CLOSE_DELAY = timedelta(seconds=4)
"""How long the thanks (or "time is over") stays on the rating screen."""

SHORTCUTS: dict[Action, str] = {
    Action.CALL_NEXT: "F2",
    Action.RECALL: "F3",
    Action.CALL_NUMBER: "F4",
    Action.START: "F5",
    Action.NO_SHOW: "F6",
    Action.FINISH: "F7",
    Action.TRANSFER: "F8",
    Action.PAUSE: "F9",
    Action.RESUME: "F10",
    Action.LOG_OUT: "Ctrl+L",
}
"""Keyboard shortcut of each action (Qt key sequence text). Log out takes a chord rather than
a single F-key, so that a slip of the finger beside F10 does not end the officer's session."""

ACTION_PHRASES: dict[Action, Phrase] = {
    Action.CALL_NEXT: Phrase.CALL_NEXT,
    Action.RECALL: Phrase.RECALL,
    Action.CALL_NUMBER: Phrase.CALL_NUMBER,
    Action.START: Phrase.START,
    Action.NO_SHOW: Phrase.NO_SHOW,
    Action.FINISH: Phrase.FINISH,
    Action.TRANSFER: Phrase.TRANSFER,
    Action.PAUSE: Phrase.PAUSE,
    Action.RESUME: Phrase.RESUME,
    Action.LOG_OUT: Phrase.LOG_OUT,
}


class Page(StrEnum):
    """Which page the window shows."""

    LOGIN = "login"
    WORK = "work"


class CounterStatus(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    TRANSFERRED = "transferred"


class NoticeKind(StrEnum):
    INFO = "info"
    ERROR = "error"


class RatingStage(StrEnum):
    """The citizen-facing rating prompt: OPEN (keys live) -> SENDING -> THANKED, or EXPIRED,
    or REFUSED (the server said no, e.g. already rated)."""

    OPEN = "open"
    SENDING = "sending"
    THANKED = "thanked"
    EXPIRED = "expired"
    REFUSED = "refused"


def parse_time(text: Any) -> datetime | None:
    """An ISO 8601 time from the wire, or None."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        logger.warning("unreadable time %r", text)
        return None


@dataclass(frozen=True, slots=True)
class TicketView:
    """The fields of a wire ``ticket`` the screen uses."""

    id: str
    number: str
    service: str
    service_name: str
    service_name_en: str
    priority: str | None
    status: TicketStatus
    counter: str | None
    target_counter: str | None
    issued_at: datetime | None
    called_at: datetime | None
    finished_at: datetime | None
    call_count: int
    case_code: str | None

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> TicketView:
        return cls(
            id=str(data["id"]), number=str(data["number"]), service=str(data["service"]),
            service_name=str(data.get("service_name") or data["service"]),
            service_name_en=str(data.get("service_name_en") or data["service"]),
            priority=data.get("priority"), status=TicketStatus(data["status"]),
            counter=data.get("counter"), target_counter=data.get("target_counter"),
            issued_at=parse_time(data.get("issued_at")),
            called_at=parse_time(data.get("called_at")),
            finished_at=parse_time(data.get("finished_at")),
            call_count=int(data.get("call_count") or 0), case_code=data.get("case_code"))

    @property
    def in_hand(self) -> bool:
        """True while a counter holds it (called or being served)."""
        return self.status in (TicketStatus.CALLED, TicketStatus.SERVING)


@dataclass(frozen=True, slots=True)
class CounterView:
    """The fields of a wire ``counter`` the screen uses."""

    code: str
    name: str
    status: CounterStatus
    services: tuple[str, ...]
    officer: str | None
    officer_name: str | None
    pause_reason: str | None
    ticket: TicketView | None

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> CounterView:
        ticket = data.get("ticket")
        return cls(code=str(data["code"]), name=str(data.get("name") or data["code"]),
                   status=CounterStatus(data["status"]),
                   services=tuple(data.get("services") or ()), officer=data.get("officer"),
                   officer_name=data.get("officer_name"), pause_reason=data.get("pause_reason"),
                   ticket=TicketView.from_wire(ticket) if ticket else None)


@dataclass(frozen=True, slots=True)
class NamedItem:
    """A code with its Vietnamese and English names (a service, a priority group)."""

    code: str
    name: str
    name_en: str

    def label(self, language: Language) -> str:
        return self.name if language is Language.VIETNAMESE else self.name_en


@dataclass(frozen=True, slots=True)
class RatingLabel:
    score: int
    label: str
    label_en: str

    def text(self, language: Language) -> str:
        return self.label if language is Language.VIETNAMESE else self.label_en


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """What the snapshot says about the site."""

    code: str
    name: str
    name_en: str
    services: tuple[NamedItem, ...]
    priority_groups: tuple[NamedItem, ...]
    rating_scale: tuple[RatingLabel, ...]
    """Best first, as configured (the rating screen shows them in this order)."""
    rating_window_seconds: int
    counters: tuple[CounterView, ...]

    @classmethod
    def from_snapshot(cls, state: dict[str, Any]) -> SiteInfo:
        site = state.get("site") or {}

        def named(items: Any) -> tuple[NamedItem, ...]:
            return tuple(NamedItem(str(item["code"]), str(item.get("name") or item["code"]),
                                   str(item.get("name_en") or item.get("name") or item["code"]))
                         for item in items or ())

        scale = tuple(RatingLabel(int(item["score"]), str(item["label"]),
                                  str(item.get("label_en") or item["label"]))
                      for item in state.get("rating_scale") or ())
        return cls(code=str(site.get("code", "")), name=str(site.get("name", "")),
                   name_en=str(site.get("name_en") or site.get("name", "")),
                   services=named(state.get("services")),
                   priority_groups=named(state.get("priority_groups")),
                   rating_scale=scale,
                   rating_window_seconds=int(state.get("rating_window_seconds") or 30),
                   counters=tuple(CounterView.from_wire(item)
                                  for item in state.get("counters") or ()))

    def service(self, code: str) -> NamedItem | None:
        return next((item for item in self.services if item.code == code), None)

    def counter(self, code: str) -> CounterView | None:
        return next((item for item in self.counters if item.code == code), None)

    def priority_group(self, code: str) -> NamedItem | None:
        return next((item for item in self.priority_groups if item.code == code), None)

    def with_counter(self, counter: CounterView) -> SiteInfo:
        counters = tuple(counter if item.code == counter.code else item
                         for item in self.counters)
        return replace(self, counters=counters)


@dataclass(frozen=True, slots=True)
class CounterFigures:
    """Today's figures for the counter (``counter_stats``)."""

    served: int = 0
    no_show: int = 0
    average_wait_seconds: float | None = None
    average_service_seconds: float | None = None
    ratings: tuple[tuple[int, int], ...] = ()
    """(score, count), best score first."""
    average_score: float | None = None

    @classmethod
    def from_wire(cls, stats: dict[str, Any]) -> CounterFigures:
        ratings = sorted(((int(score), int(count))
                          for score, count in (stats.get("ratings") or {}).items()),
                         reverse=True)
        return cls(served=int(stats.get("served") or 0), no_show=int(stats.get("no_show") or 0),
                   average_wait_seconds=_optional_float(stats.get("average_wait_seconds")),
                   average_service_seconds=_optional_float(stats.get("average_service_seconds")),
                   ratings=tuple(ratings),
                   average_score=_optional_float(stats.get("average_score")))


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True, slots=True)
class Notice:
    """The line under the header: an error in plain words, or news (reconnected...)."""

    kind: NoticeKind
    text: str
    detail: str = ""
    """The server's own message, for the tooltip and the log."""


@dataclass(frozen=True, slots=True)
class RatingPrompt:
    """The citizen-facing rating screen for one finished ticket."""

    ticket_id: str
    number: str
    deadline: datetime
    stage: RatingStage = RatingStage.OPEN
    closes_at: datetime | None = None
    """When the screen goes away (set once thanked, expired or refused)."""
    message: str = ""

    def seconds_left(self, now: datetime) -> int:
        return max(0, int((self.deadline - now).total_seconds() + 0.999))


@dataclass(frozen=True, slots=True)
class WaitingRow:
    """One line of the waiting list, ready to show."""

    number: str
    service: str
    priority: str
    """Priority group name with a star, or empty."""
    waited: str


@dataclass(frozen=True, slots=True)
class TicketPanel:
    """The big ticket panel, ready to show."""

    number: str
    status: str
    service: str
    priority: str
    waited: str
    calls: str
    is_priority: bool


@dataclass(frozen=True, slots=True)
class TransferTargets:
    """Choices of the transfer dialog: (code, label) pairs."""

    services: tuple[tuple[str, str], ...]
    counters: tuple[tuple[str, str], ...]


def format_duration(seconds: float | None, language: Language) -> str:
    """``45 giây``, ``12 phút``, ``1 giờ 5 phút`` (``—`` for None)."""
    if seconds is None:
        return "—"
    whole = max(0, int(seconds))
    if whole < 60:
        return translate(Phrase.SECONDS, language, seconds=whole)
    minutes = whole // 60
    if minutes < 60:
        return translate(Phrase.MINUTES, language, minutes=minutes)
    return translate(Phrase.HOURS_MINUTES, language, hours=minutes // 60, minutes=minutes % 60)


class CounterScreenModel:
    """State of one counter terminal. Not thread-safe: the GUI thread owns it.

    Contract: :meth:`apply` takes the connection's updates in the order they were produced;
    :meth:`request_action`, :meth:`request_login` and :meth:`request_rating` return the request
    to send (and mark it pending) or None when it is not allowed now, so one press never sends
    two requests and nothing is sent while offline or while another request is unanswered.
    """

    def __init__(self, language: Language = Language.VIETNAMESE,
                 preferred_counter: str | None = None,
                 overridden: frozenset[str] = frozenset()) -> None:
        self.language = language
        self.preferred_counter = preferred_counter
        # The PC's own counter and language, under the server's profile (``counter``,
        # ``language``) unless the command line fixed them (``overridden``).
        self._own = (language, preferred_counter)
        self._overridden = overridden
        self._profile_applied: dict[str, Any] = {}  # none yet: the own values are in force
        # The server's latest ``device`` (with its profile), kept while an officer works so
        # the login screen takes it when they leave.
        self._device_received: dict[str, Any] | None = None
        self.connection = ConnectionStatus.CONNECTING
        self.site: SiteInfo | None = None
        self.page = Page.LOGIN
        self.user: str | None = None
        self.counter: CounterView | None = None
        self.waiting: tuple[TicketView, ...] = ()
        self.figures = CounterFigures()
        self.notice: Notice | None = None
        self.pending: ClientRequest | None = None
        self.interrupted: ClientRequest | None = None
        self.rating: RatingPrompt | None = None

    # --- updates from the connection -----------------------------------------------------

    def apply(self, update: Update, now: datetime) -> None:
        """Fold one update from the connection into the state."""
        if isinstance(update, StatusChanged):
            self._status_changed(update)
        elif isinstance(update, SessionStarted):
            self._session_started(update)
        elif isinstance(update, LoggedIn):
            self._logged_in(update)
        elif isinstance(update, LoginRefused):
            self._login_refused(update)
        elif isinstance(update, EventReceived):
            self._event(update.name, update.data, now)
        elif isinstance(update, ActionSucceeded):
            self._action_succeeded(update)
        elif isinstance(update, ActionRefused):
            self._action_refused(update, now)
        elif isinstance(update, ActionInterrupted):
            self.pending = None
            self.interrupted = update.request
        elif isinstance(update, ActionResolved):
            self._action_resolved(update, now)
        elif isinstance(update, QueueLoaded):
            self.waiting = tuple(TicketView.from_wire(item) for item in update.tickets)
        elif isinstance(update, FiguresLoaded):
            self.figures = CounterFigures.from_wire(update.stats)
        elif isinstance(update, RatingSucceeded):
            self._rating_stored(str(update.rating.get("ticket_id")), now)
        elif isinstance(update, PasswordChanged):
            if isinstance(self.pending, PasswordChangeRequest):
                self.pending = None
            self._inform(translate(Phrase.PASSWORD_CHANGED, self.language))

    def _status_changed(self, update: StatusChanged) -> None:
        self.connection = update.status
        if update.error_code is not None:
            self._error(update.error_code, update.error_message)

    def _session_started(self, update: SessionStarted) -> None:
        self.site = SiteInfo.from_snapshot(update.state)
        if update.device is not None:
            self._device_received = update.device
            if self.user is None:
                self._follow_profile(update.device)
        if self.counter is not None:
            fresh = self.site.counter(self.counter.code)
            if fresh is not None:
                self.counter = fresh
        if update.new_day:
            self._inform(translate(Phrase.NEW_DAY, self.language))
        elif update.reconnected and self.interrupted is None:
            self._inform(translate(Phrase.RECONNECTED, self.language))

    def _follow_profile(self, device: dict[str, Any]) -> None:
        """The counter the PC opens at and its language, from the server's profile (a key it
        lacks: the PC's own); only while nobody is logged in, so an officer's screen never
        changes under them."""
        profile = device.get("profile") or {}
        if profile == self._profile_applied:
            return  # the same again: what the officer chose on the login screen stays
        self._profile_applied = dict(profile)
        language, counter = self._own
        if "language" not in self._overridden and profile.get("language") in ("vi", "en"):
            language = Language(profile["language"])
        if "counter" not in self._overridden and isinstance(profile.get("counter"), str):
            counter = profile["counter"]
        self.language = language
        self.preferred_counter = counter

    def _logged_in(self, update: LoggedIn) -> None:
        if isinstance(self.pending, LoginRequest):
            self.pending = None
        self.user = update.user
        self._set_counter(CounterView.from_wire(update.counter))
        self.page = Page.WORK
        if not update.reconnected:
            self.notice = None

    def _login_refused(self, update: LoginRefused) -> None:
        if isinstance(self.pending, LoginRequest):
            self.pending = None
        reason = describe_error(update.code, update.message, self.language)
        if update.reconnected:
            self._leave_work()
            self._error(update.code, update.message,
                        translate(Phrase.SESSION_ENDED, self.language, reason=reason))
        else:
            self._error(update.code, update.message)

    def _action_succeeded(self, update: ActionSucceeded) -> None:
        request = update.request
        if self.pending == request:
            self.pending = None
        self.notice = None
        if request.action in TICKET_ACTIONS and update.result.get("ticket"):
            ticket = TicketView.from_wire(update.result["ticket"])
            self._ticket_changed(ticket)
            if request.action is Action.TRANSFER:
                self._inform(translate(Phrase.TRANSFERRED, self.language, number=ticket.number,
                                       target=self._transfer_target_label(request)))
        elif update.result.get("counter"):
            self._set_counter(CounterView.from_wire(update.result["counter"]))
            if request.action is Action.LOG_OUT:
                self._leave_work()
            elif request.action is Action.PAUSE:
                self._inform(translate(Phrase.PAUSED_NOTICE, self.language))

    def _action_refused(self, update: ActionRefused, now: datetime) -> None:
        if self.pending == update.request:
            self.pending = None
        if isinstance(update.request, RateRequest) and self.rating is not None \
                and self.rating.ticket_id == update.request.ticket_id:
            text = describe_error(update.code, update.message, self.language)
            self.rating = replace(self.rating, stage=RatingStage.REFUSED, message=text,
                                  closes_at=now + RATING_CLOSE_DELAY)
            return
        if isinstance(update.request, LoginRequest):
            self._error(update.code, update.message)
            return
        self._error(update.code, update.message)
        if update.code == "forbidden" and "no longer logged in" in update.message:
            self._leave_work()

    def _action_resolved(self, update: ActionResolved, now: datetime) -> None:
        self.interrupted = None
        request = update.request
        if isinstance(request, RateRequest):
            self._rating_resolved(request, update.outcome, now)
            return
        if isinstance(request, ActionRequest):
            name = translate(ACTION_PHRASES[request.action], self.language).rstrip("…")
        elif isinstance(request, PasswordChangeRequest):
            name = translate(Phrase.CHANGE_PASSWORD, self.language).rstrip("…")
        else:
            name = translate(Phrase.LOG_IN, self.language)
        phrase = {Outcome.APPLIED: Phrase.ACTION_APPLIED,
                  Outcome.NOT_APPLIED: Phrase.ACTION_NOT_APPLIED,
                  Outcome.UNKNOWN: Phrase.ACTION_UNKNOWN}[update.outcome]
        kind = NoticeKind.INFO if update.outcome is Outcome.APPLIED else NoticeKind.ERROR
        self.notice = Notice(kind, translate(phrase, self.language, action=name))

    def _rating_resolved(self, request: RateRequest, outcome: Outcome, now: datetime) -> None:
        prompt = self.rating
        if prompt is None or prompt.ticket_id != request.ticket_id:
            return
        if outcome is Outcome.APPLIED:
            self._rating_stored(request.ticket_id, now)
        elif now < prompt.deadline:
            # Not stored (or unknown: the server refuses a second rating anyway): ask again.
            self.rating = replace(prompt, stage=RatingStage.OPEN)
        else:
            self.rating = replace(prompt, stage=RatingStage.EXPIRED,
                                  closes_at=now + RATING_CLOSE_DELAY)

    def _event(self, name: str, data: dict[str, Any], now: datetime) -> None:
        mine = self.counter.code if self.counter is not None else None
        if name == "counter.changed":
            counter = CounterView.from_wire(data)
            if self.site is not None:
                self.site = self.site.with_counter(counter)
            if counter.code == mine:
                self._set_counter(counter)
                if self.page is Page.WORK and counter.officer not in (None, self.user):
                    self._leave_work()
                    self.notice = Notice(NoticeKind.ERROR, translate(
                        Phrase.ERROR_TAKEN_OVER, self.language, counter=counter.code))
                elif self.page is Page.WORK and counter.status is CounterStatus.CLOSED:
                    self._leave_work()
        elif name.startswith("ticket."):
            ticket = TicketView.from_wire(data)
            if ticket.counter is not None and ticket.counter == mine:
                self._ticket_changed(ticket)
                if name == "ticket.done" and self.page is Page.WORK:
                    self._offer_rating(ticket, now)
        elif name == "rating.received":
            self._rating_stored(str(data.get("ticket_id")), now)

    # --- helpers -------------------------------------------------------------------------

    def _set_counter(self, counter: CounterView) -> None:
        self.counter = counter
        if self.site is not None:
            self.site = self.site.with_counter(counter)

    def _ticket_changed(self, ticket: TicketView) -> None:
        counter = self.counter
        if counter is None or ticket.counter != counter.code:
            return
        if ticket.in_hand:
            self.counter = replace(counter, ticket=ticket)
        elif counter.ticket is not None and counter.ticket.id == ticket.id:
            self.counter = replace(counter, ticket=None)

    def _offer_rating(self, ticket: TicketView, now: datetime) -> None:
        if self.site is None or not self.site.rating_scale:
            return
        if self.rating is not None and self.rating.ticket_id == ticket.id:
            return
        # Counted from when this screen heard of the finish (live events only reach it), so a
        # counter PC whose clock is off still gives the citizen the whole window; the server
        # keeps the authoritative window and refuses a late rating.
        deadline = now + timedelta(seconds=self.site.rating_window_seconds)
        self.rating = RatingPrompt(ticket.id, ticket.number, deadline)

    def _rating_stored(self, ticket_id: str, now: datetime) -> None:
        if self.rating is not None and self.rating.ticket_id == ticket_id:
            self.rating = replace(self.rating, stage=RatingStage.THANKED,
                                  closes_at=now + RATING_CLOSE_DELAY)
        if isinstance(self.pending, RateRequest) and self.pending.ticket_id == ticket_id:
            self.pending = None

    def _leave_work(self) -> None:
        self.page = Page.LOGIN
        self.user = None
        self.waiting = ()
        self.figures = CounterFigures()
        self.rating = None
        if self._device_received is not None:
            # A profile saved while the officer worked: the login screen takes it now.
            self._follow_profile(self._device_received)

    def _inform(self, text: str) -> None:
        self.notice = Notice(NoticeKind.INFO, text)

    def _error(self, code: str, message: str, text: str | None = None) -> None:
        shown = text if text is not None else describe_error(code, message, self.language)
        self.notice = Notice(NoticeKind.ERROR, shown, detail=f"{code}: {message}".strip(": "))

    def _transfer_target_label(self, request: ActionRequest) -> str:
        if request.target_counter is not None:
            counter = self.site.counter(request.target_counter) if self.site else None
            return counter.name if counter else request.target_counter
        service = self.site.service(request.service or "") if self.site else None
        return service.label(self.language) if service else str(request.service)

    # --- what the officer may do ---------------------------------------------------------

    @property
    def online(self) -> bool:
        return self.connection is ConnectionStatus.ONLINE

    def enabled_actions(self) -> frozenset[Action]:
        """Actions the officer may take now; none while offline or while waiting for a reply."""
        counter = self.counter
        if not self.online or self.page is not Page.WORK or counter is None \
                or self.pending is not None or self.interrupted is not None:
            return frozenset()
        if counter.status is CounterStatus.PAUSED:
            return frozenset({Action.RESUME, Action.LOG_OUT})
        if counter.status is CounterStatus.CLOSED:
            return frozenset()
        ticket = counter.ticket
        if ticket is None:
            return frozenset({Action.CALL_NEXT, Action.CALL_NUMBER, Action.PAUSE, Action.LOG_OUT})
        if ticket.status is TicketStatus.CALLED:
            return frozenset({Action.CALL_NEXT, Action.CALL_NUMBER, Action.RECALL, Action.START,
                              Action.NO_SHOW, Action.FINISH, Action.TRANSFER})
        return frozenset({Action.CALL_NEXT, Action.CALL_NUMBER, Action.FINISH, Action.TRANSFER})

    def request_action(self, request: ActionRequest) -> ActionRequest | None:
        """Mark ``request`` pending and return it, or None if its action is not enabled."""
        if request.action not in self.enabled_actions():
            return None
        self.pending = request
        return request

    def request_login(self, counter: str, user: str, password: str) -> LoginRequest | None:
        """The login to send, or None (with a notice) if something is missing or offline."""
        if self.pending is not None or self.page is not Page.LOGIN:
            return None
        if not (counter.strip() and user.strip() and password):
            self.notice = Notice(NoticeKind.ERROR, translate(Phrase.LOGIN_MISSING, self.language))
            return None
        if not self.online:
            self.notice = Notice(NoticeKind.ERROR, translate(Phrase.NOT_CONNECTED, self.language))
            return None
        request = LoginRequest(counter.strip(), user.strip(), password)
        self.pending = request
        return request

    def may_change_password(self) -> bool:
        """Whether the officer may change their password now: logged in, online, nothing
        unanswered."""
        return (self.online and self.page is Page.WORK and self.user is not None
                and self.pending is None and self.interrupted is None)

    def password_change_problem(self, current: str, new: str, repeat: str) -> str | None:
        """Why the password dialog's fields cannot be sent, in plain words (``None``: they
        can): the current password missing, the new one breaking the password rule (the
        server's own), or the two new ones differing."""
        if not current:
            return translate(Phrase.CURRENT_PASSWORD_MISSING, self.language)
        problem = password_problem(new, self.user or "", current)
        if problem is not None:
            return describe_password_problem(problem, self.language)
        if new != repeat:
            return translate(Phrase.PASSWORDS_DIFFER, self.language)
        return None

    def request_password_change(self, current: str, new: str,
                                repeat: str) -> PasswordChangeRequest | None:
        """The password change to send, or None: not allowed now (offline, with a notice),
        or the fields have a problem (:meth:`password_change_problem`; the dialog shows it)."""
        if not self.online:
            self.notice = Notice(NoticeKind.ERROR, translate(Phrase.NOT_CONNECTED, self.language))
            return None
        if not self.may_change_password() or self.password_change_problem(current, new,
                                                                          repeat) is not None:
            return None
        request = PasswordChangeRequest(current, new)
        self.pending = request
        return request

    def request_rating(self, score: int, now: datetime) -> RateRequest | None:
        """The citizen pressed ``score``: the rating to send, or None if the prompt is not
        open (already rated, expired) or the score is not on the scale."""
        prompt = self.rating
        if prompt is None or prompt.stage is not RatingStage.OPEN or now >= prompt.deadline:
            return None
        if self.site is None or score not in {item.score for item in self.site.rating_scale}:
            return None
        if not self.online:
            return None
        request = RateRequest(prompt.ticket_id, score)
        self.rating = replace(prompt, stage=RatingStage.SENDING)
        return request

    def tick(self, now: datetime) -> None:
        """Let time pass: close the rating window at its deadline, hide it after the thanks."""
        prompt = self.rating
        if prompt is None:
            return
        if prompt.stage is RatingStage.OPEN and now >= prompt.deadline:
            self.rating = replace(prompt, stage=RatingStage.EXPIRED,
                                  closes_at=now + RATING_CLOSE_DELAY)
        elif prompt.closes_at is not None and now >= prompt.closes_at:
            self.rating = None

    def set_language(self, language: Language) -> None:
        """Switch the screen's language; a notice already shown keeps its wording."""
        self.language = language

    # --- what the screen shows -----------------------------------------------------------

    def connection_text(self) -> str:
        phrase = {ConnectionStatus.ONLINE: Phrase.CONNECTED,
                  ConnectionStatus.CONNECTING: Phrase.CONNECTING,
                  ConnectionStatus.RECONNECTING: Phrase.RECONNECTING,
                  ConnectionStatus.STOPPED: Phrase.RECONNECTING}[self.connection]
        return translate(phrase, self.language)

    def counter_choices(self) -> tuple[tuple[str, str], ...]:
        """(code, name) of every counter, for the login page."""
        if self.site is None:
            return ()
        return tuple((item.code, item.name) for item in self.site.counters)

    def counter_status_text(self) -> str:
        counter = self.counter
        if counter is None:
            return ""
        if counter.status is CounterStatus.PAUSED:
            if counter.pause_reason:
                return translate(Phrase.COUNTER_PAUSED_BECAUSE, self.language,
                                 reason=counter.pause_reason)
            return translate(Phrase.COUNTER_PAUSED, self.language)
        phrase = Phrase.COUNTER_OPEN if counter.status is CounterStatus.OPEN \
            else Phrase.COUNTER_CLOSED
        return translate(phrase, self.language)

    def service_name(self, code: str, fallback: str = "") -> str:
        service = self.site.service(code) if self.site is not None else None
        return service.label(self.language) if service is not None else (fallback or code)

    def priority_text(self, code: str | None) -> str:
        if code is None:
            return ""
        group = self.site.priority_group(code) if self.site is not None else None
        return f"★ {group.label(self.language) if group is not None else code}"

    def ticket_panel(self, now: datetime) -> TicketPanel | None:
        """The ticket in hand, ready to show; None when there is none."""
        ticket = self.counter.ticket if self.counter is not None else None
        if ticket is None:
            return None
        status = Phrase.TICKET_SERVING if ticket.status is TicketStatus.SERVING \
            else Phrase.TICKET_CALLED
        waited_until = ticket.called_at or now
        waited = (waited_until - ticket.issued_at).total_seconds() \
            if ticket.issued_at is not None else None
        fallback = ticket.service_name if self.language is Language.VIETNAMESE \
            else ticket.service_name_en
        return TicketPanel(
            number=ticket.number, status=translate(status, self.language),
            service=self.service_name(ticket.service, fallback),
            priority=self.priority_text(ticket.priority) or translate(Phrase.NORMAL,
                                                                      self.language),
            waited=format_duration(waited, self.language), calls=str(ticket.call_count),
            is_priority=ticket.priority is not None)

    def waiting_rows(self, now: datetime) -> tuple[WaitingRow, ...]:
        """The waiting list in calling order."""
        rows = []
        for ticket in self.waiting:
            waited = (now - ticket.issued_at).total_seconds() \
                if ticket.issued_at is not None else None
            fallback = ticket.service_name if self.language is Language.VIETNAMESE \
                else ticket.service_name_en
            rows.append(WaitingRow(ticket.number, self.service_name(ticket.service, fallback),
                                   self.priority_text(ticket.priority),
                                   format_duration(waited, self.language)))
        return tuple(rows)

    def figure_rows(self) -> tuple[tuple[str, str], ...]:
        """(label, value) lines of today's figures."""
        figures = self.figures
        language = self.language
        ratings = ", ".join(f"{self._rating_label(score)}: {count}"
                            for score, count in figures.ratings if count) or "—"
        average = "—" if figures.average_score is None else f"{figures.average_score:.2f}"
        return (
            (translate(Phrase.SERVED, language), str(figures.served)),
            (translate(Phrase.NO_SHOWS, language), str(figures.no_show)),
            (translate(Phrase.AVERAGE_WAIT, language),
             format_duration(figures.average_wait_seconds, language)),
            (translate(Phrase.AVERAGE_SERVICE, language),
             format_duration(figures.average_service_seconds, language)),
            (translate(Phrase.RATINGS, language), ratings),
            (translate(Phrase.AVERAGE_SCORE, language), average),
        )

    def _rating_label(self, score: int) -> str:
        if self.site is not None:
            for item in self.site.rating_scale:
                if item.score == score:
                    return item.text(self.language)
        return str(score)

    def rating_labels(self) -> tuple[RatingLabel, ...]:
        return self.site.rating_scale if self.site is not None else ()

    def transfer_targets(self) -> TransferTargets:
        """Services other than the ticket's own, and the other counters (open ones first)."""
        if self.site is None or self.counter is None:
            return TransferTargets((), ())
        ticket = self.counter.ticket
        services = tuple((item.code, item.label(self.language)) for item in self.site.services
                         if ticket is None or item.code != ticket.service)
        others = [item for item in self.site.counters if item.code != self.counter.code]
        order = {CounterStatus.OPEN: 0, CounterStatus.PAUSED: 1, CounterStatus.CLOSED: 2}
        others.sort(key=lambda item: order[item.status])
        counters = tuple((item.code, f"{item.name} — {self._status_word(item.status)}")
                         for item in others)
        return TransferTargets(services, counters)

    def _status_word(self, status: CounterStatus) -> str:
        phrase = {CounterStatus.OPEN: Phrase.COUNTER_OPEN,
                  CounterStatus.PAUSED: Phrase.COUNTER_PAUSED,
                  CounterStatus.CLOSED: Phrase.COUNTER_CLOSED}[status]
        return translate(phrase, self.language)
