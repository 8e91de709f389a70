"""The counter terminal's log: what the officer did at the counter and what the server said.

Qt-free. :class:`ActivityLog` sees every request the screen submits and every update the
connection delivers (:mod:`counter.updates`) and writes one line per thing worth knowing
afterwards (who logged in, which number was called, finished or transferred, each rating given
at the counter, the link going down and up), at INFO; refusals and interrupted requests at
WARNING; the rest (waiting lists, figures, other counters' events) at DEBUG. Passwords are
never written.
"""

from __future__ import annotations

import logging
from typing import Any

from counter.requests import (
    ActionRequest,
    ClientRequest,
    LoginRequest,
    PasswordChangeRequest,
    RateRequest,
)
from counter.updates import (
    ActionInterrupted,
    ActionRefused,
    ActionResolved,
    ActionSucceeded,
    EventReceived,
    LoggedIn,
    LoginRefused,
    PasswordChanged,
    RatingSucceeded,
    SessionStarted,
    StatusChanged,
    Update,
)

logger = logging.getLogger(__name__)


def describe_request(request: ClientRequest) -> str:
    """A request as the log names it: ``login of lan at counter 1``, ``call_next``,
    ``call 1005``, ``rating 4 of ticket s:20261201:1001``, ``password change``; never a
    password."""
    if isinstance(request, LoginRequest):
        return f"login of {request.user} at counter {request.counter}"
    if isinstance(request, PasswordChangeRequest):
        return "password change"
    if isinstance(request, RateRequest):
        return f"rating {request.score} of ticket {request.ticket_id}"
    fields = " ".join(f"{name}={value}" for name, value in request.wire_fields().items())
    return f"{request.action.value} {fields}".rstrip()


def _ticket_text(ticket: dict[str, Any]) -> str:
    return f"{ticket.get('number')} ({ticket.get('service')}, {ticket.get('status')})"


class ActivityLog:
    """Writes the log lines of one counter terminal. ``counter`` is its counter code when
    known from the start; otherwise the one the officer logs in to."""

    def __init__(self, counter: str | None) -> None:
        self.counter = counter

    def request(self, request: ClientRequest) -> None:
        """The screen submitted ``request`` (called on the GUI thread)."""
        logger.debug("sending %s", describe_request(request))

    def update(self, update: Update) -> None:
        """The connection delivered ``update`` (called on the connection's thread)."""
        if isinstance(update, StatusChanged):
            reason = f" ({update.error_code}: {update.error_message})" \
                if update.error_code else ""
            logger.info("connection %s%s", update.status.value, reason)
        elif isinstance(update, SessionStarted):
            logger.info("%s, business day %s", "a new day" if update.new_day else "snapshot",
                        (update.state.get("site") or {}).get("business_date"))
        elif isinstance(update, LoggedIn):
            self.counter = str(update.counter.get("code") or self.counter)
            logger.info("officer %s logged in at counter %s%s", update.user,
                        update.counter.get("code"),
                        " again after reconnecting" if update.reconnected else "")
        elif isinstance(update, LoginRefused):
            logger.warning("login refused: %s: %s", update.code, update.message)
        elif isinstance(update, ActionSucceeded):
            self._action_succeeded(update.request, update.result)
        elif isinstance(update, ActionRefused):
            logger.warning("%s refused: %s: %s", describe_request(update.request), update.code,
                           update.message)
        elif isinstance(update, ActionInterrupted):
            logger.warning("%s interrupted by a lost connection; not sent again",
                           describe_request(update.request))
        elif isinstance(update, ActionResolved):
            logger.info("the interrupted %s: %s", describe_request(update.request),
                        update.outcome.value.replace("_", " "))
        elif isinstance(update, RatingSucceeded):
            logger.debug("rating stored: %s", update.rating)
        elif isinstance(update, PasswordChanged):
            logger.info("the officer changed their password")
        elif isinstance(update, EventReceived):
            self._event(update)
        else:
            logger.debug("%s", type(update).__name__)

    @staticmethod
    def _action_succeeded(request: ActionRequest, result: dict[str, Any]) -> None:
        if result.get("ticket"):
            logger.info("%s: ticket %s", describe_request(request),
                        _ticket_text(result["ticket"]))
        elif result.get("counter"):
            logger.info("%s: counter %s %s", describe_request(request),
                        result["counter"].get("code"), result["counter"].get("status"))
        else:
            logger.info("%s: done", describe_request(request))

    def _event(self, event: EventReceived) -> None:
        data = event.data
        if event.name == "rating.received" and data.get("counter") == self.counter:
            # Every rating given at this counter, from its screen or its rating pad.
            logger.info("rating of ticket %s: %s %s (source %s)", data.get("ticket_id"),
                        data.get("score"), data.get("label"), data.get("source"))
        elif event.name.startswith("ticket.") and data.get("counter") == self.counter:
            logger.debug("%s: %s", event.name, _ticket_text(data))
        else:
            logger.debug("event %s (seq %d)", event.name, event.seq)
