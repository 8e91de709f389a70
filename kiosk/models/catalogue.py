"""The kiosk's menu, built from the server's snapshot (``state``).

The server owns every name and every queue figure; the kiosk only reads them. A
:class:`Catalogue` is immutable: a fresh snapshot (after events, or after a reconnect) makes a
new one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from kiosk.errors import CatalogueError
from kiosk.models.texts import Language


class ServiceKind(StrEnum):
    """What a service is for; the order here is the order on screen."""

    SUBMIT = "submit"
    COLLECT = "collect"
    OTHER = "other"


_KIND_ORDER = {kind: position for position, kind in enumerate(ServiceKind)}


@dataclass(frozen=True)
class Name:
    """A name in Vietnamese with its optional English form."""

    vietnamese: str
    english: str = ""

    def text(self, language: Language) -> str:
        """The name in ``language``; English falls back to Vietnamese when not configured."""
        if language is Language.ENGLISH and self.english:
            return self.english
        return self.vietnamese


@dataclass(frozen=True)
class Field:
    """A field (lĩnh vực) or agency: the first level of the menu."""

    code: str
    name: Name


@dataclass(frozen=True)
class Service:
    """A procedure (thủ tục) a ticket can be taken for, with its queue as the server sees it.

    Attributes:
        waiting: tickets waiting now.
        eta_minutes: the server's estimate for a new ticket; None when no open counter serves it.
        open_counters: counters open for it now.
        open: it issues numbers now (its opening hours); a server without hours: always.
        reopens_at: while closed, when it opens again (None: not within a year).
        priority_groups: the codes of the priority groups a ticket of it may have; None
            (a server that does not say): every group of the site.
    """

    code: str
    name: Name
    field: str
    kind: ServiceKind
    waiting: int
    eta_minutes: int | None
    open_counters: int
    open: bool = True
    reopens_at: datetime | None = None
    priority_groups: tuple[str, ...] | None = None


@dataclass(frozen=True)
class PriorityGroup:
    """A priority group (người cao tuổi, ...) offered by the priority button."""

    code: str
    name: Name


@dataclass(frozen=True)
class Counter:
    """A counter, for the ticket's "Quầy phục vụ" line."""

    code: str
    name: str
    services: tuple[str, ...]
    open: bool


@dataclass(frozen=True)
class AgeRule:
    """``priority_by_age``: people ``age`` or older get the priority group ``group``."""

    group: str
    age: int


@dataclass(frozen=True)
class Site:
    """The centre: its name heads the screen and the ticket.

    Attributes:
        now: the server's time when the snapshot was made.
        next_change: when a service or the site next opens or closes (a fresh snapshot is
            due then); None when nothing changes within a year, or the server does not say.
        booking_enabled: the site takes bookings, so the kiosk offers check-in (False from
            a server that does not say).
        priority_by_age: the age rule an ID card's birth date is checked against.
    """

    code: str
    name: Name
    ticket_footer: str
    now: datetime | None = None
    next_change: datetime | None = None
    booking_enabled: bool = False
    priority_by_age: AgeRule | None = None


@dataclass(frozen=True)
class WaitSummary:
    """How many wait behind a menu choice and the range of estimated waits (minutes)."""

    waiting: int
    eta_low: int | None
    eta_high: int | None


@dataclass(frozen=True)
class Catalogue:
    """Everything the menu shows. Fields without a service are left out; services keep the
    server's order within their kind (submit, then collect, then other)."""

    site: Site
    fields: tuple[Field, ...]
    services: tuple[Service, ...]
    priority_groups: tuple[PriorityGroup, ...]
    counters: tuple[Counter, ...]

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Catalogue:
        """Read the snapshot ``state`` of the protocol (``hello`` / ``snapshot`` result).

        Raises:
            CatalogueError: a key the kiosk needs is missing or has the wrong type; the message
                names it (``services[3].waiting``).
        """
        reader = _Reader(state, "state")
        site = reader.mapping("site")
        booking = site.optional_mapping("booking")
        age_rule = site.optional_mapping("priority_by_age")
        services = tuple(
            Service(
                code=item.text("code"),
                name=Name(item.text("name"), item.optional_text("name_en")),
                field=item.text("field"),
                kind=item.kind("kind"),
                waiting=item.count("waiting"),
                eta_minutes=item.optional_count("eta_minutes"),
                open_counters=item.count("open_counters"),
                open=item.optional_flag("open", default=True),
                reopens_at=item.optional_time("reopens_at"),
                priority_groups=item.optional_texts("priority_groups"),
            )
            for item in reader.items("services")
        )
        used_fields = {service.field for service in services}
        fields = tuple(
            Field(item.text("code"), Name(item.text("name"), item.optional_text("name_en")))
            for item in reader.items("fields")
        )
        known_fields = {field.code for field in fields}
        for position, service in enumerate(services):
            if service.field not in known_fields:
                raise CatalogueError(
                    f"state.services[{position}].field: no field {service.field!r} in state.fields"
                )
        groups = tuple(
            PriorityGroup(item.text("code"), Name(item.text("name"), item.optional_text("name_en")))
            for item in reader.items("priority_groups", required=False)
        )
        counters = tuple(
            Counter(
                code=item.text("code"),
                name=item.text("name"),
                services=item.texts("services"),
                open=item.optional_text("status") == "open",
            )
            for item in reader.items("counters", required=False)
        )
        ordered = tuple(sorted(services, key=lambda service: _KIND_ORDER[service.kind]))
        return cls(
            site=Site(
                code=site.text("code"),
                name=Name(site.text("name"), site.optional_text("name_en")),
                ticket_footer=site.optional_text("ticket_footer"),
                now=site.optional_time("now"),
                next_change=site.optional_time("next_change"),
                booking_enabled=(booking is not None
                                 and booking.optional_flag("enabled", default=False)),
                priority_by_age=(None if age_rule is None else
                                 AgeRule(age_rule.text("group"), age_rule.count("age"))),
            ),
            fields=tuple(field for field in fields if field.code in used_fields),
            services=ordered,
            priority_groups=groups,
            counters=counters,
        )

    def field(self, code: str) -> Field | None:
        """The field ``code``, or None."""
        return next((field for field in self.fields if field.code == code), None)

    def service(self, code: str) -> Service | None:
        """The service ``code``, or None."""
        return next((service for service in self.services if service.code == code), None)

    def priority_group(self, code: str) -> PriorityGroup | None:
        """The priority group ``code``, or None."""
        return next((group for group in self.priority_groups if group.code == code), None)

    def priority_groups_of(self, service_code: str) -> tuple[PriorityGroup, ...]:
        """The priority groups a ticket of ``service_code`` may have, in the site's order
        (none for an unknown service)."""
        service = self.service(service_code)
        if service is None:
            return ()
        if service.priority_groups is None:
            return self.priority_groups
        return tuple(group for group in self.priority_groups
                     if group.code in service.priority_groups)

    def services_of(self, field_code: str) -> tuple[Service, ...]:
        """The services of a field: submit first, then collect, then other."""
        return tuple(service for service in self.services if service.field == field_code)

    def splits_kinds(self, services: Sequence[Service]) -> bool:
        """True when ``services`` mix kinds, so each choice is labelled "Nộp hồ sơ",
        "Nhận kết quả" or "Thủ tục khác"."""
        return len({service.kind for service in services}) > 1

    def field_wait(self, field_code: str) -> WaitSummary:
        """Everyone waiting in a field's services, and the range of their estimates."""
        return summarise(self.services_of(field_code))

    @property
    def closed(self) -> bool:
        """No service issues numbers now: the whole centre is closed (for this kiosk)."""
        return bool(self.services) and not any(service.open for service in self.services)

    def field_open(self, field_code: str) -> bool:
        """Some service of the field issues numbers now."""
        return any(service.open for service in self.services_of(field_code))

    def counter_names(self, service_code: str) -> tuple[str, ...]:
        """Names of the open counters serving a service; all serving counters when none is
        open (so the ticket still says where to go)."""
        serving = [counter for counter in self.counters if service_code in counter.services]
        open_ones = [counter for counter in serving if counter.open]
        return tuple(counter.name for counter in (open_ones or serving))


def first_reopening(services: Sequence[Service]) -> datetime | None:
    """When the first of ``services`` that are closed opens again (None: not known)."""
    return min((service.reopens_at for service in services
                if not service.open and service.reopens_at is not None), default=None)


def summarise(services: Sequence[Service]) -> WaitSummary:
    """Total waiting and the lowest and highest known estimate of ``services``."""
    estimates = [service.eta_minutes for service in services if service.eta_minutes is not None]
    return WaitSummary(
        waiting=sum(service.waiting for service in services),
        eta_low=min(estimates) if estimates else None,
        eta_high=max(estimates) if estimates else None,
    )


class _Reader:
    """Typed access to one JSON object, naming the path in every error."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise CatalogueError(f"{path}: expected an object, got {type(data).__name__}")
        self._data: Mapping[str, Any] = data
        self._path = path

    def _value(self, key: str) -> Any:
        if key not in self._data:
            raise CatalogueError(f"{self._path}.{key}: missing")
        return self._data[key]

    def mapping(self, key: str) -> _Reader:
        return _Reader(self._value(key), f"{self._path}.{key}")

    def optional_mapping(self, key: str) -> _Reader | None:
        """The object at ``key``; None when absent or null."""
        if self._data.get(key) is None:
            return None
        return self.mapping(key)

    def items(self, key: str, required: bool = True) -> list[_Reader]:
        if not required and key not in self._data:
            return []
        value = self._value(key)
        if not isinstance(value, list):
            raise CatalogueError(f"{self._path}.{key}: expected a list")
        return [_Reader(item, f"{self._path}.{key}[{index}]") for index, item in enumerate(value)]

    def text(self, key: str) -> str:
        value = self._value(key)
        if not isinstance(value, str) or not value.strip():
            raise CatalogueError(f"{self._path}.{key}: expected non-empty text, got {value!r}")
        return value

    def optional_text(self, key: str) -> str:
        value = self._data.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise CatalogueError(f"{self._path}.{key}: expected text, got {value!r}")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise CatalogueError(f"{self._path}.{key}: expected a list of text")
        return tuple(value)

    def optional_texts(self, key: str) -> tuple[str, ...] | None:
        """A list of text, or None when absent or null."""
        if self._data.get(key) is None:
            return None
        return self.texts(key)

    def count(self, key: str) -> int:
        value = self._value(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CatalogueError(f"{self._path}.{key}: expected a whole number >= 0, got {value!r}")
        return value

    def optional_count(self, key: str) -> int | None:
        if self._data.get(key) is None:
            return None
        return self.count(key)

    def optional_flag(self, key: str, default: bool) -> bool:
        value = self._data.get(key, default)
        if not isinstance(value, bool):
            raise CatalogueError(f"{self._path}.{key}: expected true or false, got {value!r}")
        return value

    def optional_time(self, key: str) -> datetime | None:
        """An ISO 8601 time with its offset, or None."""
        value = self._data.get(key)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.utcoffset() is None:
            raise CatalogueError(f"{self._path}.{key}: expected a time with its offset, "
                                 f"got {value!r}")
        return moment

    def kind(self, key: str) -> ServiceKind:
        value = self._value(key)
        try:
            return ServiceKind(value)
        except ValueError as error:
            raise CatalogueError(
                f"{self._path}.{key}: expected one of {[kind.value for kind in ServiceKind]}, "
                f"got {value!r}"
            ) from error
