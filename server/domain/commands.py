"""Commands the rules accept. Authentication happens before: a command is already allowed
to be attempted by whoever sends it; the rules decide whether the state allows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.domain.model import DeviceCondition, DeviceKind, RatingSource


@dataclass(frozen=True, slots=True)
class IssueTicket:
    service: str
    priority: str | None = None
    request_key: str | None = None
    appointment_at: datetime | None = None
    # A number taken from a citizen's phone (server.booking): marked on the ticket.
    remote: bool = False


@dataclass(frozen=True, slots=True)
class Login:
    """``user`` is ``None`` when an admin connection opens the counter without an officer."""

    counter: str
    user: str | None


@dataclass(frozen=True, slots=True)
class Logout:
    counter: str


@dataclass(frozen=True, slots=True)
class CallNext:
    counter: str


@dataclass(frozen=True, slots=True)
class CallNumber:
    counter: str
    number: str


@dataclass(frozen=True, slots=True)
class Recall:
    counter: str


@dataclass(frozen=True, slots=True)
class StartService:
    counter: str


@dataclass(frozen=True, slots=True)
class MarkNoShow:
    counter: str
    requeue: bool | None = None


@dataclass(frozen=True, slots=True)
class Finish:
    counter: str
    case_code: str | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    counter: str
    to_service: str | None = None
    to_counter: str | None = None


@dataclass(frozen=True, slots=True)
class Pause:
    counter: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ResumeCounter:
    counter: str


@dataclass(frozen=True, slots=True)
class Rate:
    ticket_id: str
    score: int
    source: RatingSource
    counter: str | None = None


@dataclass(frozen=True, slots=True)
class CancelTicket:
    ticket_id: str


@dataclass(frozen=True, slots=True)
class ReportDevice:
    """A client reports a device's condition; ``reported_by`` names the client's role."""

    device: str
    kind: DeviceKind
    condition: DeviceCondition
    reported_by: str
    message: str | None = None
    counter: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeConfiguration:
    """The site now runs on configuration ``version`` (the rules are given the new settings).

    Checked beforehand (:mod:`server.domain.impact`): nothing of today's queue depends on what
    the new settings removed."""

    version: int


Command = (IssueTicket | Login | Logout | CallNext | CallNumber | Recall | StartService
           | MarkNoShow | Finish | Transfer | Pause | ResumeCounter | Rate | CancelTicket
           | ReportDevice | ChangeConfiguration)
