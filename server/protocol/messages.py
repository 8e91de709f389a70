"""Every wire message of protocol version 1, shared by the server and every client.

Requests are decoded into frozen pydantic models; anything wrong becomes a
:class:`ProtocolError` whose message names the field and the reason. Replies and events are
encoded here too, so the wire format lives in exactly one place. This module imports neither
the database nor the server.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import from_json

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 65536

# What a lobby display needs (hello ``subscribe``): calls and recalls, the counters' panels,
# every event that changes how many wait, and a new configuration (new names to show). Not
# ticket.done, ticket.serving, ticket.no_show or rating.received: leaving them out means a
# call reaches the hall a whole round of sends sooner when the counter's previous ticket is
# finished by the same key press.
LOBBY_DISPLAY_EVENTS = (
    "ticket.issued", "ticket.called", "ticket.recalled", "ticket.transferred",
    "ticket.requeued", "ticket.cancelled", "counter.changed", "day.reset", "config.changed",
)

RequestId = Annotated[int, Field(ge=0, le=2**53)] | Annotated[str, Field(max_length=64)]


class ErrorCode(StrEnum):
    """Reply error codes (docs/protocol.md); ``gap`` answers a ``resume`` that cannot be served."""

    BAD_REQUEST = "bad_request"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    CLOSED = "closed"
    RATE_LIMITED = "rate_limited"
    INTERNAL = "internal"
    GAP = "gap"
    # This server process does not serve the site (several processes on one database): the
    # error's ``url`` is the one that does (absent: none right now; try again shortly).
    MOVED = "moved"
    # The database has no primary right now (PostgreSQL failing over): nothing can be saved;
    # send the same request again shortly (a kiosk's issue with the same request_key).
    UNAVAILABLE = "unavailable"


class ProtocolError(Exception):
    """A request that cannot be served; becomes an ``ok:false`` reply."""

    def __init__(self, code: ErrorCode, message: str, request_id: int | str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    id: RequestId


def _printable(value: str) -> str:
    """Refuse control characters: they have no place in a code, a key or a note, and a
    newline or an escape sequence in one would end up in logs, exports and printed tickets."""
    if any(character < " " or "\x7f" <= character <= "\x9f" for character in value):
        raise ValueError("must not contain control characters")
    return value


def _sane_time(value: datetime) -> datetime:
    """A time must carry its offset and lie in this century: a year like 9999 with an offset
    overflows when converted to UTC for the database."""
    if value.utcoffset() is None:
        raise ValueError("must carry a time zone offset (2026-11-22T08:15:00+07:00)")
    if not 2000 <= value.year <= 2100:
        raise ValueError("must lie between the years 2000 and 2100")
    return value


def _birth_date(value: object) -> date:
    """A birth date as the ID card's QR gives it, written ``YYYY-MM-DD``; the site's today
    bounds it from above (checked where the site is known)."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD, such as 1950-03-14")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date of the calendar") from None
    if day.year < 1900:
        raise ValueError("must not be before the year 1900")
    return day


def _cccd(value: str) -> str:
    if not _CCCD.fullmatch(value):
        raise ValueError("must be the 12 digits of a CCCD number")
    return value


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CCCD = re.compile(r"[0-9]{12}")
Code = Annotated[str, Field(min_length=1, max_length=32), AfterValidator(_printable)]
Text = Annotated[str, Field(max_length=200), AfterValidator(_printable)]
Key = Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_printable)]
Number = Annotated[str, Field(min_length=1, max_length=16), AfterValidator(_printable)]
SequenceNumber = Annotated[int, Field(ge=0, le=2**53)]
Time = Annotated[datetime, AfterValidator(_sane_time)]
# Scores of a site's scale are small whole numbers; the rules check the scale itself.
Score = Annotated[int, Field(ge=0, le=100)]
BirthDate = Annotated[date, BeforeValidator(_birth_date)]
MAX_SUBSCRIPTIONS = 32


class Hello(_Request):
    """First frame of every connection. ``after``: replay later events before going live.
    ``subscribe``: event-name prefixes to receive (``None``: all; ``[]``: none).
    ``site`` may be left out when the token is a device token of one site (device tokens are
    unique across the deployment); a server-wide admin token needs it.

    A ``citizen`` (a ticket's status page) says ``track``, its ticket's tracking code, and
    nothing else: no token, no ``after``, no ``subscribe``; every other role says ``token``
    and no ``track``."""

    type: Literal["hello"]
    protocol: int
    role: Literal["kiosk", "counter", "display", "admin", "bridge", "manager", "citizen",
                  "centre"]
    # A manager's ticket (from its signed-in page) is longer than a device token.
    token: Annotated[str, Field(min_length=1, max_length=400)] | None = None
    # The tracking code of the ticket's QR (8 characters; a little room for later codes).
    track: Annotated[str, Field(min_length=1, max_length=32),
                     AfterValidator(_printable)] | None = None
    site: Code | None = None
    lang: Literal["vi", "en"] = "vi"
    after: SequenceNumber | None = None
    subscribe: Annotated[list[Annotated[str, Field(max_length=40)]],
                         Field(max_length=MAX_SUBSCRIPTIONS)] | None = None
    # The app's own version (``0.1.0``), shown on the administration's device list.
    version: Annotated[str, Field(min_length=1, max_length=32),
                       AfterValidator(_printable)] | None = None

    @model_validator(mode="after")
    def _credentials(self) -> Hello:
        if self.role == "citizen":
            extra = [name for name in ("token", "after", "subscribe")
                     if getattr(self, name) is not None]
            if self.track is None:
                raise ValueError("field 'track': Field required (a citizen connection names "
                                 "its ticket's tracking code)")
            if extra:
                raise ValueError(f"field '{extra[0]}': a citizen connection does not take it")
        else:
            if self.token is None:
                raise ValueError("field 'token': Field required")
            if self.track is not None:
                raise ValueError("field 'track': only a citizen connection takes it")
        return self


class SnapshotRequest(_Request):
    type: Literal["snapshot"]


class TicketRequest(_Request):
    """Look a ticket up by ``number`` (as printed) or ``ticket_id``: exactly one of them."""

    type: Literal["ticket"]
    number: Number | None = None
    ticket_id: Key | None = None

    @model_validator(mode="after")
    def _one_key(self) -> TicketRequest:
        if (self.number is None) == (self.ticket_id is None):
            raise ValueError("give exactly one of number or ticket_id")
        return self


class ResumeRequest(_Request):
    type: Literal["resume"]
    after: SequenceNumber


class IssueRequest(_Request):
    """Take a number. ``request_key`` is made by the kiosk, unique per press: a retry with the
    same key returns the same ticket."""

    type: Literal["issue"]
    service: Code
    priority: Code | None = None
    request_key: Key
    # An admin connection only (a kiosk cannot claim an appointment); within the site's day.
    appointment_at: Time | None = None
    # From the ID card's QR: the site's age rule gives the priority group (priority_by_age).
    birth_date: BirthDate | None = None


class CheckInRequest(_Request):
    """Check a booking in at the kiosk: ``code`` as typed or scanned (case and dashes
    ignored, the QR's ``QMSB:`` too); ``request_key`` as for ``issue``; ``birth_date`` from
    the ID card's QR applies the age rule."""

    type: Literal["check_in"]
    code: Code
    request_key: Key
    birth_date: BirthDate | None = None


class BookingsRequest(_Request):
    """The bookings of today at this site that a CCCD number (its 12 digits) can still
    check in."""

    type: Literal["bookings"]
    id_number: Annotated[str, Field(min_length=12, max_length=12), AfterValidator(_cccd)]


class _CounterAction(_Request):
    """A counter action; an admin connection names the counter it acts for in ``as_counter``."""

    as_counter: Code | None = None


class LoginRequest(_CounterAction):
    type: Literal["login"]
    counter: Code
    user: Code | None = None
    password: Annotated[str, Field(max_length=200)] | None = None
    # A counter logging in again without its password: the ``session`` its last password
    # login was given (server.app.counter_sessions).
    session: Annotated[str, Field(max_length=512)] | None = None


class LogoutRequest(_CounterAction):
    type: Literal["logout"]


class CallNextRequest(_CounterAction):
    type: Literal["call_next"]


class CallRequest(_CounterAction):
    type: Literal["call"]
    number: Number


class RecallRequest(_CounterAction):
    type: Literal["recall"]


class StartRequest(_CounterAction):
    type: Literal["start"]


class NoShowRequest(_CounterAction):
    type: Literal["no_show"]
    requeue: bool | None = None


class FinishRequest(_CounterAction):
    type: Literal["finish"]
    case_code: Annotated[str, Field(min_length=1, max_length=64),
                         AfterValidator(_printable)] | None = None


class TransferRequest(_CounterAction):
    """Transfer the ticket in hand to a ``service`` or to a ``counter``: exactly one."""

    type: Literal["transfer"]
    service: Code | None = None
    counter: Code | None = None

    @model_validator(mode="after")
    def _one_target(self) -> TransferRequest:
        if (self.service is None) == (self.counter is None):
            raise ValueError("give exactly one of service or counter")
        return self


class PauseRequest(_CounterAction):
    type: Literal["pause"]
    reason: Text | None = None


class ResumeCounterRequest(_CounterAction):
    type: Literal["resume_counter"]


class RateRequest(_CounterAction):
    type: Literal["rate"]
    ticket_id: Key
    score: Score


class DeviceStatusRequest(_Request):
    """Any client reports the condition of a device it drives (a printer, an LED board...)."""

    type: Literal["device_status"]
    device: Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_printable)]
    kind: Literal["printer", "led_board", "keypad", "rating_pad", "audio", "other"]
    status: Literal["ok", "offline", "paper_out", "paper_near_end", "cover_open", "error"]
    message: Text | None = None
    counter: Code | None = None


class QueueRequest(_CounterAction):
    """The waiting tickets in the order this counter would call them (at most 50)."""

    type: Literal["queue"]


class CounterStatsRequest(_CounterAction):
    """Today's figures for this counter."""

    type: Literal["counter_stats"]


class DevicesRequest(_Request):
    """Staff: the latest reported status of each device of the site."""

    type: Literal["devices"]


class CancelRequest(_Request):
    """Admin: cancel a waiting ticket."""

    type: Literal["cancel"]
    ticket_id: Key


class ChangePasswordRequest(_Request):
    """A counter terminal: the officer logged in on this connection changes their own
    password (the new one must meet server.security.password_problem)."""

    type: Literal["change_password"]
    current_password: Annotated[str, Field(max_length=200)]
    new_password: Annotated[str, Field(max_length=200)]


# --- a centre's events forwarded to the province (docs/protocol.md "A centre's own server") --

MAX_FORWARDED_EVENTS = 1000
Count = Annotated[int, Field(ge=0, le=1_000_000)]
Queue = Annotated[int, Field(ge=0, le=2**53)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class TicketRecord(_Record):
    """A ticket's stored values, as the centre holds them when it reads the batch."""

    kind: Literal["ticket"]
    id: Key
    business_date: date
    number: Number
    sequence: Annotated[int, Field(ge=1, le=1_000_000)]
    number_group: Code
    service: Code
    priority: Code | None
    status: Literal["waiting", "called", "serving", "done", "no_show", "cancelled",
                    "transferred"]
    queue_key: Queue
    request_key: Key | None
    counter: Code | None
    target_counter: Code | None
    officer: Code | None
    issued_at: Time
    called_at: Time | None
    first_called_at: Time | None
    serving_at: Time | None
    finished_at: Time | None
    appointment_at: Time | None
    call_count: Count
    requeue_count: Count
    transfer_count: Count
    case_code: Annotated[str, Field(min_length=1, max_length=64),
                         AfterValidator(_printable)] | None
    remote: bool


class CounterRecord(_Record):
    """A counter's stored values."""

    kind: Literal["counter"]
    code: Code
    status: Literal["closed", "open", "paused"]
    officer: Code | None
    ticket_id: Key | None
    pause_reason: Text | None
    priority_streak: Count
    normal_streak: Count | None
    changed_at: Time | None


class RatingRecord(_Record):
    """A rating's stored values."""

    kind: Literal["rating"]
    ticket_id: Key
    score: Score
    source: Literal["counter", "kiosk", "web", "admin"]
    rated_at: Time
    counter: Code | None
    officer: Code | None
    service: Code
    case_code: Annotated[str, Field(min_length=1, max_length=64),
                         AfterValidator(_printable)] | None


class DayResetRecord(_Record):
    """A new business day: the previous day's tickets the reset cancelled."""

    kind: Literal["day_reset"]
    business_date: date
    previous_date: date
    cancelled: Annotated[list[Key], Field(max_length=100_000)]


class ForwardedEvent(BaseModel):
    """One event of the centre's log: as it went on the wire there (``seq``, ``event``,
    ``at``, ``data``), with the stored values of its subject (``record``; none for
    ``config.changed`` and ``device.status``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    seq: Annotated[int, Field(ge=1, le=2**53)]
    event: Literal["ticket.issued", "ticket.called", "ticket.recalled", "ticket.serving",
                   "ticket.done", "ticket.no_show", "ticket.requeued", "ticket.transferred",
                   "ticket.cancelled", "counter.changed", "rating.received", "day.reset",
                   "config.changed", "device.status"]
    at: Time
    data: dict[str, Any]
    record: Annotated[TicketRecord | CounterRecord | RatingRecord | DayResetRecord,
                      Field(discriminator="kind")] | None = None


class ForwardRequest(_Request):
    """A centre's own server: the next events of its site's log, in ``seq`` order."""

    type: Literal["forward"]
    site: Code
    events: Annotated[list[ForwardedEvent], Field(max_length=MAX_FORWARDED_EVENTS)]


Request = Annotated[
    Hello | SnapshotRequest | TicketRequest | ResumeRequest | IssueRequest | LoginRequest
    | LogoutRequest | CallNextRequest | CallRequest | RecallRequest | StartRequest
    | NoShowRequest | FinishRequest | TransferRequest | PauseRequest | ResumeCounterRequest
    | RateRequest | CancelRequest | DeviceStatusRequest | QueueRequest | CounterStatsRequest
    | DevicesRequest | ChangePasswordRequest | CheckInRequest | BookingsRequest
    | ForwardRequest,
    Field(discriminator="type"),
]
REQUEST_TYPES = frozenset(
    model.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]
    for model in (Hello, SnapshotRequest, TicketRequest, ResumeRequest, IssueRequest,
                  LoginRequest, LogoutRequest, CallNextRequest, CallRequest, RecallRequest,
                  StartRequest, NoShowRequest, FinishRequest, TransferRequest, PauseRequest,
                  ResumeCounterRequest, RateRequest, CancelRequest, DeviceStatusRequest,
                  QueueRequest, CounterStatsRequest, DevicesRequest, ChangePasswordRequest,
                  CheckInRequest, BookingsRequest, ForwardRequest)
)
_REQUEST_ADAPTER: TypeAdapter[Any] = TypeAdapter(Request)


def decode_request(text: str | bytes, max_bytes: int = MAX_FRAME_BYTES) -> Any:
    """Decode one client frame into a request model.

    Raises :class:`ProtocolError` (``bad_request``) naming the field and the reason; its
    ``request_id`` is the frame's ``id`` when one could be read.
    """
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > max_bytes:
        raise ProtocolError(ErrorCode.BAD_REQUEST,
                            f"frame of {size} bytes is over the limit of {max_bytes} bytes",
                            _leading_id(text))
    try:
        return _REQUEST_ADAPTER.validate_json(text)
    except ValidationError as error:
        failure = error
    # The slow path only runs for a bad frame. JSON the strict parser refused (numbers beyond
    # its range, nesting deeper than its limit, lone surrogates, invalid UTF-8) is answered
    # from its own message: parsing it again with another parser would fail differently
    # (the standard library's json raises ValueError or RecursionError on those).
    invalid = [item for item in failure.errors(include_url=False)
               if item["type"] == "json_invalid"]
    if invalid:
        raise ProtocolError(ErrorCode.BAD_REQUEST,
                            _clip(f"frame is not valid JSON: {invalid[0]['msg']}"))
    # Parsed by the same parser that just read the whole frame, so this cannot fail.
    data = from_json(text)
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "frame must be a JSON object")
    request_id = _readable_id(data.get("id"))
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "field 'type': is required and must be text",
                            request_id)
    if kind not in REQUEST_TYPES:
        raise ProtocolError(ErrorCode.BAD_REQUEST,
                            _clip(f"field 'type': unknown request type {kind!r}"), request_id)
    raise ProtocolError(ErrorCode.BAD_REQUEST, describe_validation(failure), request_id)


_ID_ADAPTER: TypeAdapter[int | str] = TypeAdapter(RequestId, config=ConfigDict(strict=True))
MAX_MESSAGE_CHARACTERS = 400


def _readable_id(raw: Any) -> int | str | None:
    """The frame's ``id`` when it is one the protocol allows, so that the error reply can
    echo it; anything else (a float, a huge number, a long text) is answered with null."""
    try:
        return _ID_ADAPTER.validate_python(raw)
    except ValidationError:
        return None


def _clip(message: str) -> str:
    """An error message short enough to echo: field names and values come from the client."""
    if len(message) <= MAX_MESSAGE_CHARACTERS:
        return message
    return message[:MAX_MESSAGE_CHARACTERS - 1] + "…"


# A top-level "id" among the first keys, as clients write it ({"type":..,"id":7,...}).
_LEADING_ID = re.compile(r'^\s*\{(?:\s*"(?:type|id)"\s*:\s*(?:"[^"\\]{0,40}"|-?\d{1,15})\s*,?)*?'
                         r'\s*"id"\s*:\s*(?:"([^"\\]{1,80})"|(-?\d{1,15}))\s*[,}]')


def _leading_id(text: str | bytes) -> int | str | None:
    """The ``id`` of an oversized frame when it stands first or after ``type``: the frame is
    not parsed (that is what the size limit spares), only its first few hundred bytes read."""
    head = text[:300] if isinstance(text, str) else text[:300].decode("utf-8", errors="replace")
    found = _LEADING_ID.match(head)
    if found is None:
        return None
    return found.group(1) if found.group(1) is not None else int(found.group(2))


def describe_validation(error: ValidationError) -> str:
    """One line per problem: ``field 'score': Input should be a valid integer``."""
    problems: dict[str, list[str]] = {}
    for item in error.errors(include_url=False):
        # The first element of ``loc`` is the union tag (the request type); skip it, and the
        # names pydantic gives the members of a union (``constrained-int``). A location is
        # the client's own key (an unknown field): at most 40 characters of it.
        location = [_clip_part(str(part)) for part in item["loc"][1:]
                    if not _union_member(part)]
        message = str(item["msg"]).removeprefix("Value error, ")
        where = f"field '{'.'.join(location)}'" if location else ""
        if message not in problems.setdefault(where, []):
            problems[where].append(message)
    return _clip("; ".join(f"{where}: {' or '.join(messages)}" if where
                           else " or ".join(messages)
                           for where, messages in problems.items()))


def _union_member(part: str | int) -> bool:
    """Whether a location part names a member of a union type rather than a field."""
    return isinstance(part, str) and (part.startswith("constrained-") or "[" in part
                                      or part in ("int", "str", "bool", "float", "none"))


def _clip_part(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


# --- frames the server sends -------------------------------------------------------------------


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def encode_reply(request_id: int | str | None, result: dict[str, Any]) -> str:
    """``{"type":"reply","id":...,"ok":true,"result":{...}}``."""
    return _dump({"type": "reply", "id": request_id, "ok": True, "result": result})


def encode_error(request_id: int | str | None, code: ErrorCode, message: str,
                 url: str | None = None) -> str:
    """``{"type":"reply","id":...,"ok":false,"error":{"code":...,"message":...}}``; with
    ``url`` (``moved``: the server that serves the site), ``"url"`` in the error too.

    The message is cut to :data:`MAX_MESSAGE_CHARACTERS`: the rules quote the client's own
    values (``no ticket '...' today``), and 80 characters of a key written with escapes
    made a message of over 500."""
    error: dict[str, Any] = {"code": code.value, "message": _clip(message)}
    if url is not None:
        error["url"] = url
    return _dump({"type": "reply", "id": request_id, "ok": False, "error": error})


def encode_event(seq: int, name: str, at: str, data_json: str) -> str:
    """An event frame from ``data`` already encoded (it is stored as JSON text too)."""
    return (f'{{"type":"event","seq":{seq},"event":{_dump(name)},"at":{_dump(at)},'
            f'"data":{data_json}}}')


def encode_data(data: dict[str, Any]) -> str:
    """The JSON text of an event's ``data`` object."""
    return _dump(data)


def encode_request(request_type: str, request_id: int | str, **fields: Any) -> str:
    """A client frame: ``{"type":..., "id":..., **fields}`` (``None`` fields are left out)."""
    frame: dict[str, Any] = {"type": request_type, "id": request_id}
    frame.update({key: value for key, value in fields.items() if value is not None})
    return _dump(frame)
