"""What the connection thread tells the screen: one frozen value per happening, in order.

The connection (:mod:`counter.connection`) produces them on its own thread; the UI carries them
to the GUI thread, where :meth:`counter.models.CounterScreenModel.apply` folds them into the
screen's state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from counter.requests import ActionRequest, ClientRequest


class ConnectionStatus(StrEnum):
    """State of the link to the server."""

    CONNECTING = "connecting"
    ONLINE = "online"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"


class Outcome(StrEnum):
    """What became of an action that was in flight when the connection dropped."""

    APPLIED = "applied"
    NOT_APPLIED = "not_applied"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """The link changed; ``error_code``/``error_message`` say why a connection attempt failed."""

    status: ConnectionStatus
    error_code: str | None = None
    error_message: str = ""


@dataclass(frozen=True, slots=True)
class SessionStarted:
    """A (new) connection said hello, or a new day began: ``state`` is the true snapshot."""

    state: dict[str, Any] = field(repr=False)
    seq: int
    reconnected: bool = False
    new_day: bool = False
    # The counter PC's name and profile as the server keeps them (None: not told).
    device: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class LoggedIn:
    """The officer is logged in; ``counter`` is the counter object."""

    counter: dict[str, Any]
    user: str
    reconnected: bool = False


@dataclass(frozen=True, slots=True)
class LoginRefused:
    """The server refused a login (``reconnected``: the automatic one after a reconnection)."""

    code: str
    message: str
    reconnected: bool = False


@dataclass(frozen=True, slots=True)
class EventReceived:
    """One event, in ``seq`` order."""

    name: str
    seq: int
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ActionSucceeded:
    """The server applied ``request``; ``result`` is its reply (``ticket`` or ``counter``)."""

    request: ActionRequest
    result: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ActionRefused:
    """``request`` was refused (``code`` ``not_connected``: it was never sent)."""

    request: ClientRequest
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class ActionInterrupted:
    """The connection dropped before ``request`` was answered; it is not sent again."""

    request: ClientRequest


@dataclass(frozen=True, slots=True)
class ActionResolved:
    """After reconnecting: whether the interrupted ``request`` had been applied."""

    request: ClientRequest
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class QueueLoaded:
    """The counter's waiting list in calling order."""

    tickets: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class FiguresLoaded:
    """Today's figures for the counter (the ``counter_stats`` result's ``stats``)."""

    stats: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PasswordChanged:
    """The officer's new password is in force (the connection logs in again with it)."""


@dataclass(frozen=True, slots=True)
class RatingSucceeded:
    """The rating from the counter's rating screen was stored."""

    rating: dict[str, Any]


Update = (StatusChanged | SessionStarted | LoggedIn | LoginRefused | EventReceived
          | ActionSucceeded | ActionRefused | ActionInterrupted | ActionResolved | QueueLoaded
          | FiguresLoaded | RatingSucceeded | PasswordChanged)
