"""The configuration's rules, written once: pydantic models of the TOML document's shape.

The TOML file and the administration's forms are both validated by these models, so a rule
lives in one place and its message names the field. Each model mirrors one table of the
document (``[server]``, ``[[sites]]``, ``[[sites.counters]]``, ...) with the same keys; its
``settings()`` gives the frozen run-time object of :mod:`server.config.settings`.

How a rule reports (read by :mod:`server.config.translate`):

- A value on its own (a type, a range, a format) is checked by the field's type
  (:mod:`server.config.values`): pydantic's constraints (``ge``, ``gt``, ``min_length``) or
  a validator raising :func:`~server.config.errors.rule_error`.
- Checks between tables (a counter's services exist, two number groups never print the same
  number, every service is served) are the ``model_validator`` of the smallest table that
  holds both sides, and name the key relative to it (``counters[3].services[1]``).
- Models are strict (a boolean is not a number, ``"8765"`` is not a port) and refuse unknown
  keys. Fields that hold secrets carry :data:`SECRET_FIELD`, so no message shows their value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)

from server.booking.sms_format import (
    BodyFormat,
    PhoneFormat,
    body_template_problem,
    header_problem,
    message_template_problem,
    placeholders,
    url_template_problem,
)
from server.config.errors import ConfigError, rule_error
from server.config.formats import (
    parse_day,
    parse_days,
    parse_hours,
    parse_number_format,
    parse_sessions,
    parse_time_zone,
)
from server.config.hours import WEEKDAYS, OpeningHours
from server.config.settings import (
    DEFAULT_CODE_TEMPLATE,
    AccountRole,
    AccountSettings,
    AgeRule,
    BookingPolicy,
    BookingSettings,
    CallOrder,
    CounterSettings,
    FieldSettings,
    HttpMethod,
    NumberGroup,
    OfficerSettings,
    PriorityGroup,
    PriorityPolicy,
    PriorityPolicyKind,
    RatingLabel,
    Role,
    ServerSettings,
    ServiceKind,
    ServiceSettings,
    Settings,
    SiteSettings,
    SmsKind,
    SmsSettings,
    TokenSettings,
    UpstreamSettings,
    ZoneSettings,
)
from server.config.tls import TlsVersion, server_context
from server.config.values import (
    SECRET_FIELD,
    Code,
    Codes,
    DaysText,
    DayText,
    HoursText,
    NumberFormatText,
    OptionalNumberFormatText,
    PasswordHash,
    Positive,
    PublicUrl,
    SecretText,
    SessionsText,
    SiteCode,
    Text,
    TimeZoneName,
    Token,
    at_least_one,
    choice,
    distinct,
    distinct_tokens,
    known,
    one_of,
    whole,
)
from server.protocol.client_options import OptionError, websocket_url

DEFAULT_RATING_SCALE = (
    RatingLabel(4, "Rất hài lòng", "Very satisfied"),
    RatingLabel(3, "Hài lòng", "Satisfied"),
    RatingLabel(2, "Bình thường", "Neutral"),
    RatingLabel(1, "Không hài lòng", "Dissatisfied"),
)
# Hosts that listen on every interface: no address a phone could reach can be derived from them.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})


class _Table(BaseModel):
    """A TOML table: strict types, no unknown keys."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


# --- a site's tables -------------------------------------------------------------------------


class FieldModel(_Table):
    """``[[sites.fields]]``: a field of administration, the kiosk's first menu."""

    code: Code
    name_vi: Text
    name_en: Text = ""

    def settings(self) -> FieldSettings:
        return FieldSettings(self.code, self.name_vi, self.name_en)


class NumberGroupModel(_Table):
    """``[[sites.number_groups]]``: a daily number sequence services share."""

    code: Code
    numbers: NumberFormatText

    def settings(self) -> NumberGroup:
        return NumberGroup(self.code, parse_number_format(self.numbers))


class HoursExceptionModel(_Table):
    """``[[...opening_hours.exceptions]]``: a date with hours of its own (a make-up working
    Saturday, a holiday morning open); ``hours = ""`` closes that day."""

    date: DayText
    hours: SessionsText


class OpeningHoursModel(_Table):
    """``[sites.opening_hours]`` and ``[sites.services.opening_hours]``: each weekday's
    sessions (``"07:30-11:30, 13:30-17:00"``; ``""`` closed), the days ``closed`` (a date or
    a range ``"2027-02-05..2027-02-11"``) and the ``exceptions``, which win over both.

    A day left out is closed for a site and follows the site for a service.
    """

    monday: SessionsText | None = None
    tuesday: SessionsText | None = None
    wednesday: SessionsText | None = None
    thursday: SessionsText | None = None
    friday: SessionsText | None = None
    saturday: SessionsText | None = None
    sunday: SessionsText | None = None
    closed: list[DaysText] = Field(default_factory=list)
    exceptions: list[HoursExceptionModel] = Field(default_factory=list)

    @model_validator(mode="after")
    def _each_date_once(self) -> Self:
        distinct(((f"exceptions[{index}].date", parse_day(item.date).isoformat())
                  for index, item in enumerate(self.exceptions)), what="date")
        return self

    def settings(self) -> OpeningHours:
        week = tuple(None if (text := getattr(self, day)) is None else parse_sessions(text)
                     for day in WEEKDAYS)
        return OpeningHours(
            week=week,
            closed=tuple(parse_days(item) for item in self.closed),
            exceptions=tuple((parse_day(item.date), parse_sessions(item.hours))
                             for item in self.exceptions))


class ServiceModel(_Table):
    """``[[sites.services]]``: one queue. ``numbers`` gives it a group of its own (named
    after the service), ``number_group`` names a shared one: exactly one of the two."""

    code: Code
    name_vi: Text
    name_en: Text = ""
    field: Text
    kind: Annotated[ServiceKind, choice(ServiceKind)] = ServiceKind.OTHER
    numbers: OptionalNumberFormatText = ""
    number_group: Text = ""
    expected_minutes: Positive = 10.0
    daily_limit: Annotated[int, whole(1)] | None = None
    target_wait_minutes: Positive | None = None
    opening_hours: OpeningHoursModel | None = None
    # The site's priority groups it takes; left out: every one, [] none.
    priority_groups: Codes | None = None

    @model_validator(mode="after")
    def _one_numbering(self) -> Self:
        if self.numbers and self.number_group:
            raise rule_error("numbers", "give either numbers or number_group, not both")
        if not self.numbers and not self.number_group:
            raise rule_error("numbers", "is required (or name a number_group)")
        return self

    @property
    def group_code(self) -> str:
        return self.number_group or self.code

    def own_group(self) -> NumberGroup | None:
        """The group ``numbers`` gives it, named after the service; ``None`` if it shares."""
        return NumberGroup(self.code, parse_number_format(self.numbers)) if self.numbers \
            else None

    def settings(self) -> ServiceSettings:
        return ServiceSettings(
            code=self.code, name_vi=self.name_vi, name_en=self.name_en, field=self.field,
            kind=self.kind, number_group=self.group_code,
            expected_minutes=float(self.expected_minutes), daily_limit=self.daily_limit,
            target_wait_minutes=(None if self.target_wait_minutes is None
                                 else float(self.target_wait_minutes)),
            opening_hours=(None if self.opening_hours is None
                           else self.opening_hours.settings()),
            priority_groups=(None if self.priority_groups is None
                             else tuple(self.priority_groups)))


class PriorityGroupModel(_Table):
    """``[[sites.priority_groups]]``: a group the kiosk's priority button offers."""

    code: Code
    name_vi: Text
    name_en: Text = ""

    def settings(self) -> PriorityGroup:
        return PriorityGroup(self.code, self.name_vi, self.name_en)


class PriorityPolicyModel(_Table):
    """``[sites.priority_policy]``: strict, or an interleave of ``priority`` : ``normal``."""

    kind: Annotated[PriorityPolicyKind, choice(PriorityPolicyKind)] = PriorityPolicyKind.STRICT
    priority: Annotated[int, whole(1)] = 1
    normal: Annotated[int, whole(1)] = 2

    def settings(self) -> PriorityPolicy:
        return PriorityPolicy(self.kind, self.priority, self.normal)


class BookingModel(_Table):
    """``[sites.booking]``: citizens' bookings from the phone (BookingSettings says what
    each key does). ``hours`` narrows the services' opening hours for bookings (a day it
    leaves out takes none); without it, bookings follow the opening hours."""

    enabled: bool = False
    number_now: bool = True
    days_ahead: Annotated[int, whole(0, 60)] = 6
    hours: OpeningHoursModel | None = None
    slot_minutes: Annotated[int, whole(5, 480)] = 30
    capacity: Annotated[int, whole(1, 10_000)] = 5
    services: Codes = Field(default_factory=list)
    policy: Annotated[BookingPolicy, choice(BookingPolicy)] = BookingPolicy.FROM_BOOKING
    check_in_early_minutes: Annotated[int, whole(0, 240)] = 30
    check_in_late_minutes: Annotated[int, whole(0, 240)] = 15
    per_person_per_day: Annotated[int, whole(1, 100)] = 2
    per_person_per_field_per_day: Annotated[int, whole(1, 100)] = 1
    open_per_person: Annotated[int, whole(1, 100)] = 3
    per_address_per_hour: Annotated[int, whole(1, 10_000)] = 10
    reminder_minutes_before: Annotated[int, whole(0, 1440)] = 60
    personal_data_days: Annotated[int, whole(1, 3650)] = 30

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.per_person_per_field_per_day > self.per_person_per_day:
            raise rule_error("per_person_per_field_per_day",
                             f"{self.per_person_per_field_per_day} is more than "
                             f"per_person_per_day ({self.per_person_per_day}): a person "
                             "could never use it")
        if self.hours is not None and not self.hours.settings().opens_some_weekday:
            raise rule_error("hours", "takes bookings on no day of the week: give the days "
                                      "(monday = \"08:00-16:00\", ...), or leave hours out "
                                      "to follow the opening hours")
        return self

    def settings(self) -> BookingSettings:
        return BookingSettings(
            enabled=self.enabled, number_now=self.number_now, days_ahead=self.days_ahead,
            hours=None if self.hours is None else self.hours.settings(),
            slot_minutes=self.slot_minutes, capacity=self.capacity,
            services=tuple(self.services), policy=self.policy,
            check_in_early_minutes=self.check_in_early_minutes,
            check_in_late_minutes=self.check_in_late_minutes,
            per_person_per_day=self.per_person_per_day,
            per_person_per_field_per_day=self.per_person_per_field_per_day,
            open_per_person=self.open_per_person,
            per_address_per_hour=self.per_address_per_hour,
            reminder_minutes_before=self.reminder_minutes_before,
            personal_data_days=self.personal_data_days)


class AgeRuleModel(_Table):
    """``[sites.priority_by_age]``: people ``age`` or older get priority ``group`` (one of
    the site's priority groups) when the kiosk reads their birth date."""

    group: Code
    age: Annotated[int, whole(1, 150)]

    def settings(self) -> AgeRule:
        return AgeRule(self.group, self.age)


class ZoneModel(_Table):
    """``[[sites.zones]]``: a part of the hall with its own displays."""

    code: Code
    name_vi: Text
    name_en: Text = ""

    def settings(self) -> ZoneSettings:
        return ZoneSettings(self.code, self.name_vi, self.name_en)


class CounterModel(_Table):
    """``[[sites.counters]]``: the services it serves, in its order of preference."""

    code: Code
    name: Text | None = None
    zone: Text
    services: Annotated[Codes, at_least_one("a counter must serve at least one service")]
    order: Annotated[CallOrder, choice(CallOrder)] = CallOrder.PREFERENCE

    def settings(self) -> CounterSettings:
        name = f"Quầy {self.code}" if self.name is None else self.name
        return CounterSettings(self.code, name, self.zone, tuple(self.services), self.order)


class OfficerModel(_Table):
    """``[[sites.officers]]``: ``counters`` empty means any counter of the site."""

    user: Code
    full_name: Text
    password_hash: PasswordHash
    counters: Codes = Field(default_factory=list)
    active: bool = True

    def settings(self) -> OfficerSettings:
        return OfficerSettings(self.user, self.full_name, self.password_hash,
                               tuple(self.counters), self.active)


class ScreenLanguage(StrEnum):
    """The language a kiosk or counter screen starts in."""

    VIETNAMESE = "vi"
    ENGLISH = "en"


# Which roles' devices have each profile key.
_PROFILE_ROLES: dict[str, tuple[Role, ...]] = {
    "zone": (Role.KIOSK, Role.DISPLAY),
    "counter": (Role.COUNTER,),
    "printer": (Role.KIOSK,),
    "paper_width": (Role.KIOSK,),
    "language": (Role.KIOSK, Role.COUNTER),
    "voice": (Role.DISPLAY,),
}

class TokenModel(_Table):
    """``[[sites.tokens]]``: a device token; a bridge's lists the counters it drives."""

    name: Text
    role: Annotated[Role, choice(Role, {
        Role.MANAGER.value: "managers sign in with an account ([[accounts]]), not a device "
                            "token",
        Role.CITIZEN.value: "a citizen's phone connects with its ticket's tracking code, not "
                            "a device token"})]
    token: Annotated[Token, Field(json_schema_extra=SECRET_FIELD)]
    counters: Codes = Field(default_factory=list)
    # The device's profile (TokenSettings); which keys a role may have: _PROFILE_ROLES.
    zone: Text = ""
    counter: Text = ""
    printer: Text = ""
    paper_width: Annotated[int, one_of(58, 80)] | None = None
    language: Annotated[ScreenLanguage, choice(ScreenLanguage)] | None = None
    voice: Text = ""

    @model_validator(mode="after")
    def _bridge_counters(self) -> Self:
        if self.role is Role.BRIDGE and not self.counters:
            raise rule_error("counters", "a bridge token must list the counters whose keypads, "
                                         "LED boards and rating pads it drives")
        if self.role is not Role.BRIDGE and self.counters:
            raise rule_error("counters", "only a bridge token lists counters")
        for key, roles in _PROFILE_ROLES.items():
            if getattr(self, key) not in ("", None) and self.role not in roles:
                raise rule_error(key, f"only a {' or '.join(role.value for role in roles)} "
                                      f"token has a {key.replace('_', ' ')}")
        return self

    def settings(self) -> TokenSettings:
        return TokenSettings(self.name, self.role, self.token, tuple(self.counters),
                             zone=self.zone, counter=self.counter, printer=self.printer,
                             paper_width=self.paper_width,
                             language=self.language.value if self.language else "",
                             voice=self.voice)



class RatingModel(_Table):
    """``[[sites.rating_scale]]``: one step of the satisfaction scale; higher is better."""

    score: Annotated[int, whole(1)]
    label_vi: Text
    label_en: Text = ""

    def settings(self) -> RatingLabel:
        return RatingLabel(self.score, self.label_vi, self.label_en)


@dataclasses.dataclass(frozen=True, slots=True)
class SiteContext:
    """What one site must agree with in the rest of its deployment, for checking it alone.

    ``site_codes`` and ``tokens`` map each code and token the *other* sites and the server
    use to the key that holds it (``sites[1].code``, ``server.admin_tokens[0]``).
    """

    # dataclasses.field in full: ``field`` is also a service's key.
    site_codes: Mapping[str, str] = dataclasses.field(default_factory=dict)
    tokens: Mapping[str, str] = dataclasses.field(default_factory=dict, repr=False)

    @classmethod
    def around(cls, settings: Settings, site: str | None = None) -> SiteContext:
        """The rest of ``settings`` around the site whose code is ``site`` (``None``: a site
        being added)."""
        site_codes: dict[str, str] = {}
        tokens = {token: f"server.admin_tokens[{index}]"
                  for index, token in enumerate(settings.server.admin_tokens)}
        for site_index, other in enumerate(settings.sites):
            if other.code == site:
                continue
            site_codes[other.code] = f"sites[{site_index}].code"
            tokens.update((item.token, f"sites[{site_index}].tokens[{index}].token")
                          for index, item in enumerate(other.tokens))
        return cls(site_codes, tokens)


class SiteModel(_Table):
    """``[[sites]]``: one centre, with everything its queue needs."""

    code: SiteCode
    name_vi: Text
    name_en: Text = ""
    address: Text = ""
    timezone: TimeZoneName = "Asia/Ho_Chi_Minh"
    issue_hours: HoursText = ""
    opening_hours: OpeningHoursModel | None = None
    ticket_footer: Text = ""
    notice: Text = ""
    rating_window_seconds: Annotated[int, whole(1)] = 30
    kiosk_rating: bool = False
    target_wait_minutes: Positive = 30.0
    pause_alert_minutes: Positive = 15.0
    requeue_no_show: bool = True
    priority_policy: PriorityPolicyModel = Field(default_factory=PriorityPolicyModel)
    priority_groups: list[PriorityGroupModel] = Field(default_factory=list)
    priority_by_age: AgeRuleModel | None = None
    booking: BookingModel = Field(default_factory=BookingModel)
    rating_scale: list[RatingModel] = Field(default_factory=list)
    fields: list[FieldModel]
    number_groups: list[NumberGroupModel] = Field(default_factory=list)
    services: Annotated[list[ServiceModel], at_least_one("at least one service is required")]
    zones: list[ZoneModel]
    counters: Annotated[list[CounterModel], at_least_one("at least one counter is required")]
    officers: list[OfficerModel] = Field(default_factory=list)
    tokens: list[TokenModel] = Field(default_factory=list)
    # Fed by the centre's own server (server.app.forwarding); its address, for its devices.
    forwarded_from_centre: bool = False
    centre_url: PublicUrl | None = None

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> Self:
        distinct((f"fields[{index}].code", item.code) for index, item in enumerate(self.fields))
        self._check_numbering()
        distinct((f"priority_groups[{index}].code", item.code)
                  for index, item in enumerate(self.priority_groups))
        distinct((f"zones[{index}].code", item.code) for index, item in enumerate(self.zones))
        self._check_counters()
        counters = {item.code for item in self.counters}
        for index, officer in enumerate(self.officers):
            for position, code in enumerate(officer.counters):
                known(f"officers[{index}].counters[{position}]", code, counters, "counter")
        distinct(((f"officers[{index}].user", item.user)
                   for index, item in enumerate(self.officers)), what="user")
        zones = {item.code for item in self.zones}
        for index, token in enumerate(self.tokens):
            for position, code in enumerate(token.counters):
                known(f"tokens[{index}].counters[{position}]", code, counters, "counter")
            if token.zone:
                known(f"tokens[{index}].zone", token.zone, zones, "zone")
            if token.counter:
                known(f"tokens[{index}].counter", token.counter, counters, "counter")
        distinct_tokens((f"tokens[{index}].token", item.token)
                         for index, item in enumerate(self.tokens))
        distinct(((f"rating_scale[{index}].score", str(item.score))
                   for index, item in enumerate(self.rating_scale)), what="score")
        self._check_hours()
        self._check_booking()
        self._check_centre()
        if isinstance(info.context, SiteContext):
            self._check_deployment(info.context)
        return self

    def _check_numbering(self) -> None:
        """Fields and groups exist, no group is defined twice, no two groups print the same
        number, and no daily limit asks for more numbers than the group has."""
        fields = {item.code for item in self.fields}
        distinct((f"number_groups[{index}].code", item.code)
                  for index, item in enumerate(self.number_groups))
        explicit = {item.code: f"number_groups[{index}]"
                    for index, item in enumerate(self.number_groups)}
        # Each group with the key of its format, so that an overlap names the line to change.
        groups = [(item.settings(), f"number_groups[{index}].numbers")
                  for index, item in enumerate(self.number_groups)]
        for index, service in enumerate(self.services):
            known(f"services[{index}].field", service.field, fields, "field")
            own = service.own_group()
            if own is None:
                continue
            if own.code in explicit:
                raise rule_error(
                    f"services[{index}].numbers",
                    f"gives service {service.code!r} its own number group named after it, but ",
                    explicit[own.code], f" already defines a number group {own.code!r}; write "
                    f"number_group = {own.code!r} to use that group, or rename one of them")
            groups.append((own, f"services[{index}].numbers"))
        distinct((f"services[{index}].code", item.code)
                  for index, item in enumerate(self.services))
        capacities = {group.code: group.format.capacity for group, _ in groups}
        for index, service in enumerate(self.services):
            known(f"services[{index}].number_group", service.group_code, capacities,
                   "number group")
            capacity = capacities[service.group_code]
            if service.daily_limit is not None and capacity is not None \
                    and service.daily_limit > capacity:
                raise rule_error(f"services[{index}].daily_limit",
                                 f"{service.daily_limit} is more than the {capacity} numbers a "
                                 f"day that number group {service.group_code!r} can give out")
        _check_formats_disjoint(groups)

    def _check_counters(self) -> None:
        """Counters name known zones and services, and every service has a counter."""
        zones = {item.code for item in self.zones}
        services = {item.code for item in self.services}
        for index, counter in enumerate(self.counters):
            known(f"counters[{index}].zone", counter.zone, zones, "zone")
            for position, code in enumerate(counter.services):
                known(f"counters[{index}].services[{position}]", code, services, "service")
        distinct((f"counters[{index}].code", item.code)
                  for index, item in enumerate(self.counters))
        served = {code for counter in self.counters for code in counter.services}
        for index, service in enumerate(self.services):
            if service.code not in served:
                raise rule_error(f"services[{index}]",
                                 f"no counter serves it: add {service.code!r} to a counter's "
                                 "services, or remove the service")

    def _check_hours(self) -> None:
        """``opening_hours`` replaces ``issue_hours`` (never both), and opens on some day."""
        if self.opening_hours is None:
            return
        if self.issue_hours:
            raise rule_error("opening_hours", "give either issue_hours or opening_hours, not "
                                              "both: opening_hours replaces issue_hours (write "
                                              f"{self.issue_hours!r} as each day's hours)")
        if not self.opening_hours.settings().opens_some_weekday:
            raise rule_error("opening_hours", "opens on no day of the week: give the days the "
                                              "centre works (monday = \"07:30-11:30, 13:30-"
                                              "17:00\", ...), or leave opening_hours out to "
                                              "issue numbers at any time")

    def _check_booking(self) -> None:
        """Bookings name known services; the age rule and each service's list known
        priority groups."""
        services = {item.code for item in self.services}
        for index, code in enumerate(self.booking.services):
            known(f"booking.services[{index}]", code, services, "service")
        groups = {item.code for item in self.priority_groups}
        if self.priority_by_age is not None:
            known("priority_by_age.group", self.priority_by_age.group, groups,
                  "priority group")
        for index, service in enumerate(self.services):
            key = f"services[{index}].priority_groups"
            for position, code in enumerate(service.priority_groups or ()):
                known(f"{key}[{position}]", code, groups, "priority group")

    def _check_centre(self) -> None:
        """A ``centre`` token and ``centre_url`` belong to a site fed by its centre."""
        if self.forwarded_from_centre:
            return
        if self.centre_url is not None:
            raise rule_error("centre_url", "is only for a site with forwarded_from_centre = "
                                           "true (the address of the centre's own server)")
        for index, token in enumerate(self.tokens):
            if token.role is Role.CENTRE:
                raise rule_error(f"tokens[{index}].role", "a centre token is only for a site "
                                 "with forwarded_from_centre = true (its events come from the "
                                 "centre's own server)")

    def _check_deployment(self, context: SiteContext) -> None:
        """The site's code and tokens are its own in the deployment (checking it alone)."""
        if self.code in context.site_codes:
            raise rule_error("code", f"code {self.code!r} appears twice (also at "
                                     f"{context.site_codes[self.code]})")
        for index, item in enumerate(self.tokens):
            if item.token in context.tokens:
                raise rule_error(f"tokens[{index}].token", "is the same token as "
                                 f"{context.tokens[item.token]}; every token must be unique")

    def settings(self) -> SiteSettings:
        groups = [item.settings() for item in self.number_groups]
        groups += [group for group in (item.own_group() for item in self.services)
                   if group is not None]
        scale = tuple(item.settings() for item in self.rating_scale) or DEFAULT_RATING_SCALE
        return SiteSettings(
            code=self.code,
            name_vi=self.name_vi,
            name_en=self.name_en,
            timezone=parse_time_zone(self.timezone),
            fields=tuple(item.settings() for item in self.fields),
            services=tuple(item.settings() for item in self.services),
            number_groups=tuple(groups),
            priority_groups=tuple(item.settings() for item in self.priority_groups),
            priority_policy=self.priority_policy.settings(),
            zones=tuple(item.settings() for item in self.zones),
            counters=tuple(item.settings() for item in self.counters),
            officers=tuple(item.settings() for item in self.officers),
            tokens=tuple(item.settings() for item in self.tokens),
            rating_scale=tuple(sorted(scale, key=lambda item: -item.score)),
            rating_window_seconds=self.rating_window_seconds,
            kiosk_rating=self.kiosk_rating,
            target_wait_minutes=float(self.target_wait_minutes),
            pause_alert_minutes=float(self.pause_alert_minutes),
            requeue_no_show=self.requeue_no_show,
            issue_hours=parse_hours(self.issue_hours) if self.issue_hours else None,
            address=self.address,
            ticket_footer=self.ticket_footer,
            notice=self.notice,
            opening_hours=(None if self.opening_hours is None
                           else self.opening_hours.settings()),
            booking=self.booking.settings(),
            priority_by_age=(None if self.priority_by_age is None
                             else self.priority_by_age.settings()),
            forwarded_from_centre=self.forwarded_from_centre,
            centre_url=(self.centre_url or "").rstrip("/"),
        )


def _check_formats_disjoint(groups: list[tuple[NumberGroup, str]]) -> None:
    """Two groups must never print the same number, or ``call 1005`` would be ambiguous.

    ``groups`` pairs each group with the key of its format; an error names the later one.
    """
    prefixes: dict[str, tuple[str, str]] = {}
    ranges: list[tuple[int, int, str, str]] = []
    for group, key in groups:
        number_format = group.format
        if number_format.prefix is not None:
            if number_format.prefix in prefixes:
                other, other_key = prefixes[number_format.prefix]
                raise rule_error(key, f"prefix {number_format.prefix!r} is already used by "
                                      f"number group {other!r} (", other_key, "); two groups "
                                      "must never print the same number")
            prefixes[number_format.prefix] = (group.code, key)
            continue
        first, last = number_format.first, number_format.last
        assert last is not None  # a format without a prefix is a range, which has an end
        for other_first, other_last, other, other_key in ranges:
            if first <= other_last and other_first <= last:
                raise rule_error(key, f"range {first}-{last} overlaps {other_first}-"
                                      f"{other_last} of number group {other!r} (", other_key,
                                 "); two groups must never print the same number")
        ranges.append((first, last, group.code, key))


# --- the server and the deployment -----------------------------------------------------------


def _headers(value: object) -> object:
    """``[server.sms.headers]``: each header's name and one line of text; a reason names
    the header, never its value (it may be the gateway's key)."""
    if not isinstance(value, Mapping):
        return value  # the type's own error: must be a table
    for name, text in value.items():
        if not isinstance(text, str):
            raise rule_error(str(name), "must be text")
        problem = header_problem(str(name), text)
        if problem is not None:
            raise rule_error(str(name), problem)
    return value


class SmsModel(_Table):
    """``[server.sms]``: how text messages are sent (the log, or an SMS gateway's HTTP API
    described by templates) and the one-time code's message."""

    kind: Annotated[SmsKind, choice(SmsKind)] = SmsKind.LOG
    url_template: Annotated[Text, Field(json_schema_extra=SECRET_FIELD)] = ""
    method: Annotated[HttpMethod, choice(HttpMethod)] = HttpMethod.POST
    body_template: Annotated[Text, Field(json_schema_extra=SECRET_FIELD)] = ""
    body_format: Annotated[BodyFormat, choice(BodyFormat)] = BodyFormat.JSON
    headers: Annotated[dict[str, str], BeforeValidator(_headers),
                       Field(json_schema_extra=SECRET_FIELD)] = Field(default_factory=dict)
    timeout_seconds: Annotated[float, Field(gt=0, le=120, allow_inf_nan=False)] = 10.0
    success_text: Annotated[Text, Field(max_length=200)] = ""
    phone_format: Annotated[PhoneFormat, choice(PhoneFormat)] = PhoneFormat.NATIONAL
    sender_name: Text = ""
    code_template: Text = DEFAULT_CODE_TEMPLATE
    strip_diacritics: bool = True

    @model_validator(mode="after")
    def _gateway(self) -> Self:
        problem = message_template_problem(self.code_template, self.strip_diacritics)
        if problem is not None:
            raise rule_error("code_template", problem)
        if self.url_template:
            problem = url_template_problem(self.url_template)
            if problem is not None:
                raise rule_error("url_template", problem)
        if self.body_template:
            if self.method is HttpMethod.GET:
                raise rule_error("body_template", "a GET request has no body: use method = "
                                                  "\"POST\", or put the values in the "
                                                  "url_template")
            problem = body_template_problem(self.body_template, self.body_format)
            if problem is not None:
                raise rule_error("body_template", problem)
        if self.kind is SmsKind.HTTP:
            if not self.url_template:
                raise rule_error("url_template", "is required when kind is 'http' (the "
                                                 "gateway's address, such as "
                                                 "'https://sms.example.vn/send')")
            given = placeholders(self.url_template) | placeholders(self.body_template)
            for name in ("phone", "text"):
                if name not in given:
                    raise rule_error("url_template", f"the gateway's request must hold "
                                     f"{{{name}}} in url_template or body_template")
        return self

    def settings(self) -> SmsSettings:
        return SmsSettings(
            kind=self.kind, url_template=self.url_template, method=self.method,
            body_template=self.body_template, body_format=self.body_format,
            headers=tuple(self.headers.items()), timeout_seconds=float(self.timeout_seconds),
            success_text=self.success_text,
            phone_format=self.phone_format, sender_name=self.sender_name,
            code_template=self.code_template, strip_diacritics=self.strip_diacritics)


def _server_address(value: str) -> str:
    try:
        websocket_url(value)
    except OptionError:
        raise ValueError(f"{value!r} is not a server address (ws://, wss://, http:// or "
                         "https:// and a host)") from None
    return value


class UpstreamModel(_Table):
    """``[server.upstream]``: a centre's own server forwards its site's events to the
    province's deployment (server.app.forwarder)."""

    urls: Annotated[list[Annotated[Text, AfterValidator(_server_address)]],
                    at_least_one("at least one address of the province's server is required")]
    site: Code
    token: Annotated[Token, Field(json_schema_extra=SECRET_FIELD)]
    ca_file: Text | None = None
    batch_bytes: Annotated[int, whole(4096, 1_048_576)] = 48_000
    retry_seconds: Positive = 30.0

    @model_validator(mode="after")
    def _ca_file(self) -> Self:
        if self.ca_file is not None and not Path(self.ca_file).is_file():
            raise rule_error("ca_file", f"no such file: {self.ca_file}")
        return self

    def settings(self) -> UpstreamSettings:
        return UpstreamSettings(tuple(self.urls), self.site, self.token,
                                None if self.ca_file is None else Path(self.ca_file),
                                self.batch_bytes, float(self.retry_seconds))


class ServerModel(_Table):
    """``[server]``: where to listen, the data, the secret, the limits per connection."""

    host: Text = "127.0.0.1"
    port: Annotated[int, whole(0, 65535)] = 8765
    public_url: PublicUrl | None = None
    data_dir: Text = "data"
    database_url: Annotated[Text, Field(json_schema_extra=SECRET_FIELD)] = ""
    secret: Annotated[SecretText | None, Field(json_schema_extra=SECRET_FIELD)] = None
    admin_tokens: Annotated[list[Token], Field(json_schema_extra=SECRET_FIELD)] = Field(
        default_factory=list)
    max_frame_bytes: Annotated[int, whole(1024)] = 65536
    rate_per_second: Positive = 50.0
    rate_burst: Annotated[int, whole(1)] = 200
    max_bad_frames: Annotated[int, whole(1)] = 20
    outgoing_queue_limit: Annotated[int, whole(10)] = 5000
    outgoing_queue_bytes: Annotated[int, whole(64 * 1024)] = 4 * 1024 * 1024
    hello_timeout_seconds: Positive = 10.0
    http_request_timeout_seconds: Positive = 10.0
    max_devices_per_connection: Annotated[int, whole(1)] = 32
    max_devices_per_site: Annotated[int, whole(1)] = 500
    max_citizen_connections_per_address: Annotated[int, whole(1)] = 20
    max_citizen_connections_per_ticket: Annotated[int, whole(1)] = 4
    max_citizen_connections_per_site: Annotated[int, whole(1)] = 2000
    event_retention_days: Annotated[int, whole(1)] = 90
    enrolment_code_hours: Positive = 24.0
    feedback_contact_days: Annotated[int, whole(1, 3650)] = 90
    audit_retention_days: Annotated[int, whole(1, 36500)] = 365
    sms: SmsModel = Field(default_factory=SmsModel)
    # TLS: the server's certificate (then any intermediate CAs) and its unencrypted key.
    tls_certificate: Text | None = None
    tls_key: Text | None = None
    tls_minimum_version: Annotated[TlsVersion, choice(TlsVersion)] = TlsVersion.TLS_1_2
    # Several server processes on one PostgreSQL database: the sites this process prefers
    # to serve (codes of [[sites]]); none: an even share of every site.
    sites: Codes = Field(default_factory=list)
    upstream: UpstreamModel | None = None

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        if self.public_url is None and self.host in WILDCARD_HOSTS:
            raise rule_error("public_url", f"is required when host is {self.host!r} (tickets' "
                                           "QR codes need an address phones can reach, such as "
                                           "'http://192.168.1.10:8765')")
        return self

    @model_validator(mode="after")
    def _tls_files(self) -> Self:
        """Both files or neither; they exist, are PEM, and the key is the certificate's
        (read now, so a wrong file stops the start rather than the first handshake)."""
        if (self.tls_certificate is None) != (self.tls_key is None):
            given, missing = (("tls_certificate", "tls_key") if self.tls_key is None
                              else ("tls_key", "tls_certificate"))
            raise rule_error(missing, f"is required with {given}: TLS needs the certificate "
                                      "and its private key (give both, or neither for plain "
                                      "HTTP)")
        if self.tls_certificate is not None and self.tls_key is not None:
            try:
                server_context(Path(self.tls_certificate), Path(self.tls_key),
                               self.tls_minimum_version)
            except ConfigError as error:
                raise rule_error(error.key, error.reason) from None
        if (self.tls_certificate is not None and self.public_url is not None
                and self.public_url.startswith("http://")):
            raise rule_error("public_url", "must start with https:// when TLS is on "
                                           "(tls_certificate): tickets' QR codes and the "
                                           "devices' enrolment use it")
        return self

    def settings(self) -> ServerSettings:
        scheme = "http" if self.tls_certificate is None else "https"
        if self.public_url is not None:
            public_url = self.public_url.rstrip("/")
        elif ":" in self.host:
            public_url = f"{scheme}://[{self.host}]:{self.port}"
        else:
            public_url = f"{scheme}://{self.host}:{self.port}"
        return ServerSettings(
            host=self.host,
            port=self.port,
            data_dir=Path(self.data_dir),
            database_url=self.database_url or None,
            public_url=public_url,
            admin_tokens=tuple(self.admin_tokens),
            secret=self.secret or "",
            max_frame_bytes=self.max_frame_bytes,
            rate_per_second=float(self.rate_per_second),
            rate_burst=self.rate_burst,
            max_bad_frames=self.max_bad_frames,
            outgoing_queue_limit=self.outgoing_queue_limit,
            outgoing_queue_bytes=self.outgoing_queue_bytes,
            hello_timeout_seconds=float(self.hello_timeout_seconds),
            http_request_timeout_seconds=float(self.http_request_timeout_seconds),
            max_devices_per_connection=self.max_devices_per_connection,
            max_devices_per_site=self.max_devices_per_site,
            max_citizen_connections_per_address=self.max_citizen_connections_per_address,
            max_citizen_connections_per_ticket=self.max_citizen_connections_per_ticket,
            max_citizen_connections_per_site=self.max_citizen_connections_per_site,
            event_retention_days=self.event_retention_days,
            enrolment_code_hours=float(self.enrolment_code_hours),
            feedback_contact_days=self.feedback_contact_days,
            audit_retention_days=self.audit_retention_days,
            sms=self.sms.settings(),
            tls_certificate=None if self.tls_certificate is None else Path(self.tls_certificate),
            tls_key=None if self.tls_key is None else Path(self.tls_key),
            tls_minimum_version=self.tls_minimum_version,
            sites=tuple(self.sites),
            upstream=None if self.upstream is None else self.upstream.settings(),
        )


class AccountModel(_Table):
    """``[[accounts]]``: a manager (sees) or an admin (sees and administers) of the sites
    listed, or the province's account, which does both for every site."""

    user: Code
    full_name: Text
    password_hash: PasswordHash
    role: Annotated[AccountRole, choice(AccountRole)]
    sites: Codes = Field(default_factory=list)

    @model_validator(mode="after")
    def _sites_for_role(self) -> Self:
        if self.role is not AccountRole.PROVINCE and not self.sites:
            article = "an" if self.role.value[0] in "aeiou" else "a"
            raise rule_error("sites", f"{article} {self.role.value} must list the sites they "
                                      "manage")
        if self.role is AccountRole.PROVINCE and self.sites:
            raise rule_error("sites", "a province account sees every site: list none")
        return self

    def settings(self) -> AccountSettings:
        return AccountSettings(self.user, self.full_name, self.password_hash, self.role,
                               tuple(self.sites))


class SettingsModel(_Table):
    """The whole document: ``[server]``, ``[[accounts]]`` and at least one ``[[sites]]``."""

    server: ServerModel = Field(default_factory=ServerModel)
    accounts: list[AccountModel] = Field(default_factory=list)
    sites: Annotated[list[SiteModel], at_least_one("at least one site is required")]

    @model_validator(mode="after")
    def _between_sites(self) -> Self:
        distinct((f"sites[{index}].code", site.code) for index, site in enumerate(self.sites))
        site_codes = {site.code for site in self.sites}
        for index, account in enumerate(self.accounts):
            for position, code in enumerate(account.sites):
                known(f"accounts[{index}].sites[{position}]", code, site_codes, "site")
        distinct(((f"accounts[{index}].user", item.user)
                   for index, item in enumerate(self.accounts)), what="user")
        # A token names one role at one site; the same string twice would make it ambiguous.
        tokens = [(f"server.admin_tokens[{index}]", token)
                  for index, token in enumerate(self.server.admin_tokens)]
        for site_index, site in enumerate(self.sites):
            tokens.extend((f"sites[{site_index}].tokens[{index}].token", item.token)
                          for index, item in enumerate(site.tokens))
        distinct_tokens(tokens)
        upstream = self.server.upstream
        if upstream is not None:
            known("server.upstream.site", upstream.site, site_codes, "site")
            if next(site for site in self.sites if site.code == upstream.site
                    ).forwarded_from_centre:
                raise rule_error("server.upstream.site", f"site {upstream.site!r} is itself "
                                 "fed by a centre (forwarded_from_centre): a centre forwards "
                                 "its own site only")
        return self

    def settings(self) -> Settings:
        return Settings(server=self.server.settings(),
                        sites=tuple(site.settings() for site in self.sites),
                        accounts=tuple(account.settings() for account in self.accounts))
