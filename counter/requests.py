"""What the screen asks the connection to send: log in, a counter action, a rating, a new
password.

Also decides, from the events the server sent, whether an action that was in flight when the
connection dropped was applied (:func:`request_applied`): the app never sends it again blindly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from server.protocol.client import EventMessage


class Action(StrEnum):
    """The officer's actions; the value is the wire request type."""

    CALL_NEXT = "call_next"
    RECALL = "recall"
    CALL_NUMBER = "call"
    START = "start"
    NO_SHOW = "no_show"
    FINISH = "finish"
    TRANSFER = "transfer"
    PAUSE = "pause"
    RESUME = "resume_counter"
    LOG_OUT = "logout"


TICKET_ACTIONS = frozenset({Action.CALL_NEXT, Action.RECALL, Action.CALL_NUMBER, Action.START,
                            Action.NO_SHOW, Action.FINISH, Action.TRANSFER})
"""Actions whose reply carries a ``ticket``; the others reply with a ``counter``."""


@dataclass(frozen=True, slots=True)
class LoginRequest:
    """Log an officer in to ``counter``. The password is kept only in memory, to log in again
    after a reconnection."""

    counter: str
    user: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """One counter action with its optional fields (only those that apply are sent)."""

    action: Action
    number: str | None = None
    case_code: str | None = None
    service: str | None = None
    target_counter: str | None = None
    reason: str | None = None
    requeue: bool | None = None

    def wire_fields(self) -> dict[str, Any]:
        """The request's fields as the protocol names them (``None`` ones are left out)."""
        fields: dict[str, Any] = {"number": self.number, "case_code": self.case_code,
                                  "service": self.service, "counter": self.target_counter,
                                  "reason": self.reason, "requeue": self.requeue}
        return {key: value for key, value in fields.items() if value is not None}


@dataclass(frozen=True, slots=True)
class RateRequest:
    """A citizen's rating of ``ticket_id`` from the counter's rating screen."""

    ticket_id: str
    score: int


@dataclass(frozen=True, slots=True)
class PasswordChangeRequest:
    """The logged-in officer changes their own password (neither is ever shown in a repr)."""

    current_password: str = field(repr=False)
    new_password: str = field(repr=False)


ClientRequest = LoginRequest | ActionRequest | RateRequest | PasswordChangeRequest


def wire_request(request: ClientRequest) -> tuple[str, dict[str, Any]]:
    """The protocol request type and fields that carry ``request``."""
    if isinstance(request, LoginRequest):
        return "login", {"counter": request.counter, "user": request.user,
                         "password": request.password}
    if isinstance(request, RateRequest):
        return "rate", {"ticket_id": request.ticket_id, "score": request.score}
    if isinstance(request, PasswordChangeRequest):
        return "change_password", {"current_password": request.current_password,
                                   "new_password": request.new_password}
    return request.action.value, request.wire_fields()


_EVIDENCE: dict[Action, str] = {
    Action.CALL_NEXT: "ticket.called",
    Action.CALL_NUMBER: "ticket.called",
    Action.RECALL: "ticket.recalled",
    Action.START: "ticket.serving",
    Action.NO_SHOW: "ticket.no_show",
    Action.FINISH: "ticket.done",
    Action.TRANSFER: "ticket.transferred",
}
_COUNTER_STATUS_AFTER: dict[Action, str] = {
    Action.PAUSE: "paused",
    Action.RESUME: "open",
    Action.LOG_OUT: "closed",
}


def request_applied(request: ClientRequest, counter: str | None,
                    events: Iterable[EventMessage]) -> bool:
    """True if ``events`` (those after the request was sent) show that the server applied it.

    Each action leaves a mark: ``call_next`` a ``ticket.called`` at ``counter``, ``call`` a
    ``ticket.called`` of *that number* at ``counter``, ``pause`` a ``counter.changed`` to
    ``paused``, a rating a ``rating.received`` for its ticket, and so on. A login changes
    nothing when repeated, so it is never reported as applied; a password change leaves no
    mark of its own in the events (the connection tells it by which password logs in again).

    Contract: the events do not say who made a change, so "applied" means "the counter is now
    where this request would have taken it", not "this very request did it". When the
    counter's keypad (through the bridge) or another session acted at the same counter while
    the link was down, its mark is taken for the interrupted request's. That is the safe
    reading: the caller never re-sends on its own (a second ``call_next`` would call, and so
    skip, one more citizen), the screen shows the true state from the new snapshot, and the
    notice tells the officer to look at it. ``call`` names its number, so only a call of that
    number counts: a keypad's ``next`` meanwhile leaves it reported as not applied, and the
    officer sees the ticket that was called instead.
    """
    for event in events:
        data = event.data
        if isinstance(request, RateRequest):
            if event.event == "rating.received" and data.get("ticket_id") == request.ticket_id:
                return True
        elif isinstance(request, ActionRequest):
            if request.action in _EVIDENCE:
                if event.event == _EVIDENCE[request.action] and data.get("counter") == counter \
                        and _same_number(request, data):
                    return True
            elif (event.event == "counter.changed" and data.get("code") == counter
                  and data.get("status") == _COUNTER_STATUS_AFTER[request.action]):
                return True
    return False


def _same_number(request: ActionRequest, ticket: dict[str, Any]) -> bool:
    """For ``call``, whether ``ticket`` is the number asked for (as typed: case-insensitive);
    every other action names no ticket, so any ticket at the counter is its mark."""
    if request.action is not Action.CALL_NUMBER or request.number is None:
        return True
    return str(ticket.get("number", "")).upper() == request.number.strip().upper()
