"""Frozen typed settings.

Everything here is built once by :mod:`server.config.loader` and passed down; nothing reads
the TOML file or the environment after start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

# The SMS gateway's formats live with the templates they fill (which import nothing of
# server.config, so the configuration's models can check templates with them).
from server.booking.sms_format import BodyFormat, PhoneFormat
from server.config.hours import OpeningHours, Schedule, Session
from server.config.tls import TlsVersion


class Role(StrEnum):
    """Who a connection speaks for; a device token grants exactly one role."""

    KIOSK = "kiosk"
    COUNTER = "counter"
    DISPLAY = "display"
    ADMIN = "admin"
    # The hardware bridge: counter actions for the counters its token lists, ratings from
    # their pads, device status. Nothing else (it cannot issue, cancel or act elsewhere).
    BRIDGE = "bridge"
    # A manager's web page: reads, with the socket ticket of a signed-in web session (never a
    # device token), the events of the sites the account may see.
    MANAGER = "manager"
    # A citizen's phone on its ticket's status page (the QR): reads its own ticket and its
    # queue's figures, with the tracking code it already holds (never a device token).
    CITIZEN = "citizen"
    # A centre's own server forwarding its site's events to the province's deployment
    # (server.app.forwarding): it may only ``forward``, for the one site its token is of.
    CENTRE = "centre"


class PriorityPolicyKind(StrEnum):
    """How a counter mixes priority tickets with ordinary ones."""

    STRICT = "strict"
    INTERLEAVE = "interleave"


class CallOrder(StrEnum):
    """How a counter chooses among the services it serves.

    ``preference``: the first service in its list that has anyone waiting, then the next.
    ``arrival``: whoever has waited longest across all its services.
    """

    PREFERENCE = "preference"
    ARRIVAL = "arrival"


class ServiceKind(StrEnum):
    """What a service is for; centres often split submitting a file from collecting results."""

    SUBMIT = "submit"
    COLLECT = "collect"
    OTHER = "other"


# Host names that mean "this machine": a public URL naming one is not reachable by phones.
LOCAL_HOST_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0", "::"})


@dataclass(frozen=True, slots=True)
class NumberFormat:
    """How a daily sequence number (1, 2, ...) is printed.

    With ``prefix`` set: the prefix and the number padded to ``width`` (``A012``).
    Otherwise the range ``first``..``last``: sequence 1 prints as ``first`` (``1001``).
    ``capacity`` is how many numbers a day the format can give out (``None``: unbounded).
    """

    prefix: str | None
    width: int
    first: int
    last: int | None

    def render(self, sequence: int) -> str:
        """The printed number for the 1-based daily ``sequence``."""
        if self.prefix is not None:
            return f"{self.prefix}{sequence:0{self.width}d}"
        return str(self.first + sequence - 1)

    @property
    def capacity(self) -> int | None:
        if self.last is None:
            return None
        return self.last - self.first + 1


@dataclass(frozen=True, slots=True)
class NumberGroup:
    """A daily number sequence, shared by every service that names it."""

    code: str
    format: NumberFormat


@dataclass(frozen=True, slots=True)
class FieldSettings:
    """A field of administration or an agency (lĩnh vực / cơ quan): the kiosk's first menu."""

    code: str
    name_vi: str
    name_en: str


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """One queue: a procedure, or the submit/collect half of one."""

    code: str
    name_vi: str
    name_en: str
    field: str
    kind: ServiceKind
    number_group: str
    expected_minutes: float
    daily_limit: int | None = None
    # The longest a citizen should wait for this service (None: the site's default).
    target_wait_minutes: float | None = None
    # Its own hours, within the site's (None: the site's hours).
    opening_hours: OpeningHours | None = None
    # The site's priority groups it takes (codes; None: every one of them, () none).
    priority_groups: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class PriorityGroup:
    """A group the law or the centre serves first (người cao tuổi, người khuyết tật, ...)."""

    code: str
    name_vi: str
    name_en: str


@dataclass(frozen=True, slots=True)
class PriorityPolicy:
    """Strict (every priority ticket first) or an interleave of ``priority`` : ``normal``."""

    kind: PriorityPolicyKind = PriorityPolicyKind.STRICT
    priority: int = 1
    normal: int = 2


@dataclass(frozen=True, slots=True)
class ZoneSettings:
    """A part of the hall with its own displays (tầng 1, khu B, ...)."""

    code: str
    name_vi: str
    name_en: str


@dataclass(frozen=True, slots=True)
class CounterSettings:
    """A counter (quầy): the services it serves, in its order of preference."""

    code: str
    name: str
    zone: str
    services: tuple[str, ...]
    order: CallOrder = CallOrder.PREFERENCE


@dataclass(frozen=True, slots=True)
class OfficerSettings:
    """An officer (cán bộ); ``counters`` empty means any counter of the site."""

    user: str
    full_name: str
    password_hash: str
    counters: tuple[str, ...] = ()
    # A disabled officer (left, on leave) keeps their history but cannot log in.
    active: bool = True

    def may_work_at(self, counter: str) -> bool:
        return not self.counters or counter in self.counters


@dataclass(frozen=True, slots=True)
class TokenSettings:
    """A device token: whoever presents it in ``hello`` speaks with ``role``.

    ``counters``: for a ``bridge`` token, the counters it may act for (its device map's);
    empty for every other role.

    The rest is the device's profile, kept centrally so it is changed in one place (empty:
    the device's own setting): the ``zone`` a kiosk or display belongs to, the ``counter`` a
    counter terminal opens at, a kiosk's ``printer`` URL and ``paper_width`` (mm), the
    screen ``language`` (``vi``/``en``) of a kiosk or counter, a display's ``voice`` pack.
    """

    name: str
    role: Role
    token: str = field(repr=False)
    counters: tuple[str, ...] = ()
    zone: str = ""
    counter: str = ""
    printer: str = ""
    paper_width: int | None = None
    language: str = ""
    voice: str = ""

    def profile(self) -> dict[str, str | int]:
        """The profile's values that are set, by key (what the device is told)."""
        values: dict[str, str | int | None] = {
            "zone": self.zone, "counter": self.counter, "printer": self.printer,
            "paper_width": self.paper_width, "language": self.language, "voice": self.voice}
        return {key: value for key, value in values.items() if value not in ("", None)}


class BookingPolicy(StrEnum):
    """How a number taken from the phone, or a booked visit, joins the queue.

    ``from_booking``: its place counts from the booking (Hà Nội's iHanoi): "a number now" is
    a ticket at once, and a booked slot checked in at the kiosk is called at its slot, before
    walk-ins. ``at_check_in``: it joins the queue when the citizen checks in at the kiosk,
    like anyone taking a number then."""

    FROM_BOOKING = "from_booking"
    AT_CHECK_IN = "at_check_in"


@dataclass(frozen=True, slots=True)
class BookingSettings:
    """``[sites.booking]``: whether and how citizens book from their phone (/dat-lich).

    Slots of ``slot_minutes`` are cut from each service's opening hours (narrowed by
    ``hours`` when given: a day ``hours`` leaves out takes no bookings), today and the next
    ``days_ahead`` days, ``capacity`` citizens per slot per service. ``services``: the
    services that take bookings (empty: every one). Check-in at the kiosk is open from
    ``check_in_early_minutes`` before a slot to ``check_in_late_minutes`` after its start;
    a booking not checked in by then expires and frees its place. A person (a phone or a
    CCCD number) may hold ``per_person_per_day`` bookings a day, ``per_person_per_field_per_day``
    of one field, and ``open_per_person`` not yet used; an address may book
    ``per_address_per_hour`` an hour. The reminder goes ``reminder_minutes_before`` a slot
    (0: none); personal data is erased ``personal_data_days`` after the day of the visit.
    """

    enabled: bool = False
    number_now: bool = True
    days_ahead: int = 6
    hours: OpeningHours | None = None
    slot_minutes: int = 30
    capacity: int = 5
    services: tuple[str, ...] = ()
    policy: BookingPolicy = BookingPolicy.FROM_BOOKING
    check_in_early_minutes: int = 30
    check_in_late_minutes: int = 15
    per_person_per_day: int = 2
    per_person_per_field_per_day: int = 1
    open_per_person: int = 3
    per_address_per_hour: int = 10
    reminder_minutes_before: int = 60
    personal_data_days: int = 30

    def takes(self, service: str) -> bool:
        """Whether ``service`` takes bookings (the site's booking on, the service listed or
        none listed)."""
        return self.enabled and (not self.services or service in self.services)


@dataclass(frozen=True, slots=True)
class AgeRule:
    """``[sites.priority_by_age]``: a person ``age`` or older on the site's today is given
    priority ``group`` (Hà Nội serves people of 75 and over first), read from the birth
    date on their ID card's QR code at the kiosk."""

    group: str
    age: int


@dataclass(frozen=True, slots=True)
class RatingLabel:
    """One step of the satisfaction scale; a higher score is a better rating."""

    score: int
    label_vi: str
    label_en: str


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """One centre (a provincial centre, a branch, or a commune/ward one-stop unit)."""

    code: str
    name_vi: str
    name_en: str
    timezone: ZoneInfo
    fields: tuple[FieldSettings, ...]
    services: tuple[ServiceSettings, ...]
    number_groups: tuple[NumberGroup, ...]
    priority_groups: tuple[PriorityGroup, ...]
    priority_policy: PriorityPolicy
    zones: tuple[ZoneSettings, ...]
    counters: tuple[CounterSettings, ...]
    officers: tuple[OfficerSettings, ...]
    tokens: tuple[TokenSettings, ...]
    rating_scale: tuple[RatingLabel, ...]
    rating_window_seconds: int = 30
    # Whether a kiosk may record ratings (a rating screen at the exit, within the window).
    kiosk_rating: bool = False
    # Managers' targets and alerts: the longest wait a service should have (each service may
    # set its own), and how long a counter may stay paused before the dashboard says so.
    target_wait_minutes: float = 30.0
    pause_alert_minutes: float = 15.0
    requeue_no_show: bool = True
    # The older single window every day; a site gives it or ``opening_hours``, not both.
    issue_hours: tuple[time, time] | None = None
    address: str = ""
    ticket_footer: str = ""
    notice: str = ""
    # Sessions per weekday, closed days and exceptions (None, with no issue_hours: any time).
    opening_hours: OpeningHours | None = None
    # Citizens' bookings from their phone (/dat-lich) and check-in at the kiosk.
    booking: BookingSettings = field(default_factory=BookingSettings)
    # Priority by age, from the birth date on an ID card's QR code (None: no such rule).
    priority_by_age: AgeRule | None = None
    # The site runs its own server in the centre, which forwards its events here (the
    # province's copy, for reports and dashboards): no kiosk, counter or command is served
    # here for it. ``centre_url``: that server's address, where its devices are sent.
    forwarded_from_centre: bool = False
    centre_url: str = ""

    _services: dict[str, ServiceSettings] = field(init=False, repr=False, compare=False)
    _counters: dict[str, CounterSettings] = field(init=False, repr=False, compare=False)
    _groups: dict[str, NumberGroup] = field(init=False, repr=False, compare=False)
    _serving: dict[str, tuple[CounterSettings, ...]] = field(init=False, repr=False,
                                                             compare=False)
    _schedules: dict[str | None, Schedule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Lookups by code run on every request; build them once.
        object.__setattr__(self, "_services", {item.code: item for item in self.services})
        object.__setattr__(self, "_counters", {item.code: item for item in self.counters})
        object.__setattr__(self, "_groups", {item.code: item for item in self.number_groups})
        object.__setattr__(self, "_serving", {
            service.code: tuple(item for item in self.counters if service.code in item.services)
            for service in self.services})
        hours = self.opening_hours
        if hours is None and self.issue_hours is not None:
            opens, closes = self.issue_hours
            hours = OpeningHours.every_day((Session(opens.hour * 60 + opens.minute,
                                                    closes.hour * 60 + closes.minute),))
        schedules: dict[str | None, Schedule] = {None: Schedule(hours)}
        schedules.update((item.code, Schedule(hours, item.opening_hours))
                         for item in self.services)
        object.__setattr__(self, "_schedules", schedules)

    def service(self, code: str) -> ServiceSettings | None:
        return self._services.get(code)

    def counter(self, code: str) -> CounterSettings | None:
        return self._counters.get(code)

    def number_group(self, code: str) -> NumberGroup | None:
        return self._groups.get(code)

    def officer(self, user: str) -> OfficerSettings | None:
        return next((item for item in self.officers if item.user == user), None)

    def zone(self, code: str) -> ZoneSettings | None:
        return next((item for item in self.zones if item.code == code), None)

    def priority_group(self, code: str) -> PriorityGroup | None:
        return next((item for item in self.priority_groups if item.code == code), None)

    def priority_groups_of(self, service: str) -> tuple[PriorityGroup, ...]:
        """The priority groups ``service`` takes, in the site's order: those it lists, or
        every one of the site's when it lists none (``priority_groups`` left out); none for
        a service the site does not have."""
        settings = self.service(service)
        if settings is None:
            return ()
        if settings.priority_groups is None:
            return self.priority_groups
        return tuple(item for item in self.priority_groups
                     if item.code in settings.priority_groups)

    def takes_priority(self, service: str, group: str) -> bool:
        """Whether a ticket of ``service`` may be of priority ``group``."""
        return any(item.code == group for item in self.priority_groups_of(service))

    def rating_label(self, score: int) -> RatingLabel | None:
        return next((item for item in self.rating_scale if item.score == score), None)

    def target_wait_minutes_of(self, service: str) -> float:
        """The longest ``service`` should make a citizen wait: its own target, else the
        site's."""
        settings = self.service(service)
        if settings is not None and settings.target_wait_minutes is not None:
            return settings.target_wait_minutes
        return self.target_wait_minutes

    def schedule(self, service: str | None = None) -> Schedule:
        """When ``service`` issues numbers (its own hours within the site's); ``None``: the
        site's own hours (its ``opening_hours``, or ``issue_hours`` every day, or any time)."""
        return self._schedules.get(service) or self._schedules[None]

    def counters_serving(self, service: str) -> tuple[CounterSettings, ...]:
        """Counters whose list includes ``service``, in configuration order."""
        return self._serving.get(service, ())


class SmsKind(StrEnum):
    """How text messages (one-time codes, reminders) leave the server."""

    # Written to the log (the phone masked) and kept in memory: the demo, tests.
    LOG = "log"
    # Sent to an SMS gateway's HTTP API, described by templates ([server.sms]).
    HTTP = "http"


class HttpMethod(StrEnum):
    """The HTTP method of a gateway's request."""

    GET = "GET"
    POST = "POST"
    PUT = "PUT"


DEFAULT_CODE_TEMPLATE = "Ma xac nhan dat lich cua ban la {code}, hieu luc {minutes} phut."


@dataclass(frozen=True, slots=True)
class SmsSettings:
    """``[server.sms]``: the SMS sender (server.booking.sms) and the one-time code's message.

    For ``kind = http``: ``url_template`` and ``body_template`` (none for ``GET``) hold
    ``{phone}``, ``{text}`` and ``{sender}`` (``sender_name``, the brandname), filled as
    server.booking.sms_format says; ``headers`` are sent as given (an API key, say). The
    templates and headers may hold the gateway's credentials, so they are never shown.
    ``strip_diacritics`` sends every message without Vietnamese marks, as many gateways need.
    """

    kind: SmsKind = SmsKind.LOG
    url_template: str = field(default="", repr=False)
    method: HttpMethod = HttpMethod.POST
    body_template: str = field(default="", repr=False)
    body_format: BodyFormat = BodyFormat.JSON
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    timeout_seconds: float = 10.0
    # A 2xx answer whose body lacks this text is a failure (gateways that answer 200 with an
    # error code in the body); empty: any 2xx answer is a success.
    success_text: str = ""
    phone_format: PhoneFormat = PhoneFormat.NATIONAL
    sender_name: str = ""
    code_template: str = DEFAULT_CODE_TEMPLATE
    strip_diacritics: bool = True


@dataclass(frozen=True, slots=True)
class UpstreamSettings:
    """``[server.upstream]``: a centre's own server forwards the events of its site ``site``
    to the province's deployment at ``urls`` (one or several processes), as a ``centre``
    connection with ``token`` (a token of that site at the province). ``ca_file``: the
    province's CA for ``wss://``. ``batch_bytes``: the most one ``forward`` frame holds (the
    province's ``max_frame_bytes`` bounds it)."""

    urls: tuple[str, ...]
    site: str
    token: str = field(repr=False)
    ca_file: Path | None = None
    batch_bytes: int = 48_000
    # The longest pause between two attempts while the province cannot be reached.
    retry_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Process-wide settings: where to listen, the database, limits.

    ``secret`` keys the tickets' tracking codes. The loader refuses one shorter than 16
    characters; when the file gives none it stays empty here and
    :func:`server.config.loader.ensure_secret` supplies the one kept in the data directory.
    """

    host: str = "127.0.0.1"
    port: int = 8765
    data_dir: Path = Path("data")
    database_url: str | None = None
    public_url: str = "http://127.0.0.1:8765"
    admin_tokens: tuple[str, ...] = ()
    secret: str = field(default="", repr=False)
    max_frame_bytes: int = 65536
    rate_per_second: float = 50.0
    rate_burst: int = 200
    max_bad_frames: int = 20
    outgoing_queue_limit: int = 5000
    # Bytes a connection may be owed before it is let go (a peer that stopped reading).
    outgoing_queue_bytes: int = 4 * 1024 * 1024
    # A connection that has not said hello by then is closed.
    hello_timeout_seconds: float = 10.0
    # An HTTP request whose head has not fully arrived by then is dropped (slow clients).
    http_request_timeout_seconds: float = 10.0
    # Devices one connection, and one site, may report (device_status); stale ones expire.
    max_devices_per_connection: int = 32
    max_devices_per_site: int = 500
    # Citizens' status pages (role citizen): connections per address, per ticket, per site.
    max_citizen_connections_per_address: int = 20
    max_citizen_connections_per_ticket: int = 4
    max_citizen_connections_per_site: int = 2000
    event_retention_days: int = 90
    # How long an enrolment code made on a device's administration page stays good.
    enrolment_code_hours: float = 24.0
    # Days a feedback's contact (phone, e-mail) is kept before it is erased (server.feedback).
    feedback_contact_days: int = 90
    # Days an audit log entry is kept before the daily purge deletes it (server.audit).
    audit_retention_days: int = 365
    # How text messages are sent ([server.sms]).
    sms: SmsSettings = field(default_factory=SmsSettings)
    # TLS on the one port: https:// and wss:// (PEM files, both or neither; None: plain).
    tls_certificate: Path | None = None
    tls_key: Path | None = None
    tls_minimum_version: TlsVersion = TlsVersion.TLS_1_2
    # Several processes on one PostgreSQL database: the sites this one prefers to serve
    # (server.app.ownership); none: an even share of every site.
    sites: tuple[str, ...] = ()
    # A centre's own server: where its site's events are forwarded (None: nowhere).
    upstream: UpstreamSettings | None = None

    @property
    def tls(self) -> bool:
        """Whether the server listens with TLS (``https://`` and ``wss://``)."""
        return self.tls_certificate is not None and self.tls_key is not None

    def resolved_database_url(self) -> str:
        """The URL given, or the embedded SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'qms.sqlite3').resolve()}"


class AccountRole(StrEnum):
    """What a web account may do: ``manager`` sees the reports and dashboard of its sites,
    ``admin`` also administers them (the administration pages), ``province`` sees and
    administers every site of the deployment."""

    MANAGER = "manager"
    ADMIN = "admin"
    PROVINCE = "province"


@dataclass(frozen=True, slots=True)
class AccountSettings:
    """A person who signs in to the web pages (managers); ``sites`` for a ``manager``."""

    user: str
    full_name: str
    password_hash: str = field(repr=False)
    role: AccountRole
    sites: tuple[str, ...] = ()

    def may_see(self, site: str) -> bool:
        return self.role is AccountRole.PROVINCE or site in self.sites

    def may_administer(self, site: str) -> bool:
        """Whether the account may change ``site``'s configuration."""
        return self.role is AccountRole.PROVINCE or (self.role is AccountRole.ADMIN
                                                     and site in self.sites)


@dataclass(frozen=True, slots=True)
class Settings:
    """The whole deployment: server settings, its sites and its web accounts."""

    server: ServerSettings
    sites: tuple[SiteSettings, ...]
    accounts: tuple[AccountSettings, ...] = ()

    def account(self, user: str) -> AccountSettings | None:
        return next((item for item in self.accounts if item.user == user), None)

    def site(self, code: str) -> SiteSettings | None:
        for site in self.sites:
            if site.code == code:
                return site
        return None
