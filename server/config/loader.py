"""Parse the deployment TOML into :class:`Settings`.

Every problem raises :class:`ConfigError` naming the key (``sites[0].counters[2].services``)
and the reason, so the server refuses to start with a message a provincial IT officer can act
on. Unknown keys are errors too: a misspelt key silently ignored is a setting silently lost.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from datetime import time
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.config.settings import (
    CallOrder,
    CounterSettings,
    FieldSettings,
    NumberFormat,
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
    TokenSettings,
    ZoneSettings,
)


class ConfigError(ValueError):
    """The configuration is wrong; ``key`` names where, the message says why."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}" if key else reason)
        self.key = key
        self.reason = reason


DEFAULT_RATING_SCALE = (
    RatingLabel(4, "Rất hài lòng", "Very satisfied"),
    RatingLabel(3, "Hài lòng", "Satisfied"),
    RatingLabel(2, "Bình thường", "Neutral"),
    RatingLabel(1, "Không hài lòng", "Dissatisfied"),
)

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_PREFIX_FORMAT = re.compile(r"^([A-Z]{1,3})(#{1,6})$")
_RANGE_FORMAT = re.compile(r"^(\d{1,9})\s*-\s*(\d{1,9})$")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")

T = TypeVar("T")


class _Table:
    """A TOML table with the path that leads to it, for error messages."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(path, "must be a table")
        self.data: dict[str, Any] = data
        self.path = path
        self.read: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def _get(self, name: str, kind: type | tuple[type, ...], required: bool) -> Any:
        self.read.add(name)
        if name not in self.data:
            if required:
                raise ConfigError(self.key(name), "is required")
            return None
        value = self.data[name]
        # TOML booleans are ints in Python; never accept one where a number is meant.
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise ConfigError(self.key(name), f"must be {_kind_name(kind)}, not a boolean")
        if not isinstance(value, kind):
            raise ConfigError(self.key(name), f"must be {_kind_name(kind)}, got {value!r}")
        return value

    def text(self, name: str, default: str | None = None) -> str:
        value = self._get(name, str, default is None)
        return default if value is None else value  # type: ignore[return-value]

    def code(self, name: str) -> str:
        value = self.text(name)
        if not _CODE.match(value):
            raise ConfigError(
                self.key(name),
                f"{value!r} is not a code (letters, digits, '-', '_', '.'; at most 32)",
            )
        return value

    def integer(self, name: str, default: int, minimum: int = 0) -> int:
        value = self._get(name, int, False)
        value = default if value is None else value
        if value < minimum:
            raise ConfigError(self.key(name), f"must be at least {minimum}, got {value}")
        return int(value)

    def number(self, name: str, default: float, minimum: float = 0.0) -> float:
        value = self._get(name, (int, float), False)
        value = default if value is None else float(value)
        if value <= minimum:
            raise ConfigError(self.key(name), f"must be more than {minimum:g}, got {value:g}")
        return float(value)

    def boolean(self, name: str, default: bool) -> bool:
        value = self._get(name, bool, False)
        return default if value is None else bool(value)

    def texts(self, name: str, required: bool = False) -> tuple[str, ...]:
        value = self._get(name, list, required)
        if value is None:
            return ()
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise ConfigError(f"{self.key(name)}[{index}]", f"must be text, got {item!r}")
        return tuple(value)

    def table(self, name: str) -> _Table | None:
        value = self._get(name, dict, False)
        return None if value is None else _Table(value, self.key(name))

    def tables(self, name: str, required: bool = False) -> Iterator[_Table]:
        value = self._get(name, list, required)
        for index, item in enumerate(value or ()):
            yield _Table(item, f"{self.key(name)}[{index}]")

    def finish(self) -> None:
        """Refuse keys nobody read: they are typos or settings this version does not know."""
        unknown = sorted(set(self.data) - self.read)
        if unknown:
            raise ConfigError(self.key(unknown[0]), "unknown key")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(item, item.__name__) for item in kinds)


def load_settings(path: Path | None = None) -> Settings:
    """Read and parse a TOML file; ``None`` loads the bundled demo configuration."""
    if path is None:
        text = resources.files("server.config").joinpath("demo.toml").read_text("utf-8")
        source = "demo.toml"
    else:
        try:
            text = path.read_text("utf-8")
        except OSError as error:
            raise ConfigError("", f"cannot read {path}: {error.strerror}") from error
        source = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError("", f"{source} is not valid TOML: {error}") from error
    return parse_settings(data)


def parse_settings(data: dict[str, Any]) -> Settings:
    """Build :class:`Settings` from parsed TOML, checking every key and cross-reference."""
    root = _Table(data, "")
    server_table = root.table("server") or _Table({}, "server")
    server = _parse_server(server_table)
    sites = tuple(_parse_site(table) for table in root.tables("sites", required=True))
    root.finish()
    if not sites:
        raise ConfigError("sites", "at least one site is required")
    _unique("sites", [site.code for site in sites])
    return Settings(server=server, sites=sites)


def _parse_server(table: _Table) -> ServerSettings:
    host = table.text("host", "127.0.0.1")
    port = table.integer("port", 8765)
    if port > 65535:
        raise ConfigError(table.key("port"), f"must be at most 65535, got {port}")
    settings = ServerSettings(
        host=host,
        port=port,
        data_dir=Path(table.text("data_dir", "data")),
        database_url=table.text("database_url", "") or None,
        public_url=table.text("public_url", f"http://{host}:{port}").rstrip("/"),
        admin_tokens=table.texts("admin_tokens"),
        secret=table.text("secret", ""),
        max_frame_bytes=table.integer("max_frame_bytes", 65536, minimum=1024),
        rate_per_second=table.number("rate_per_second", 50.0),
        rate_burst=table.integer("rate_burst", 200, minimum=1),
        max_bad_frames=table.integer("max_bad_frames", 20, minimum=1),
        outgoing_queue_limit=table.integer("outgoing_queue_limit", 5000, minimum=10),
        event_retention_days=table.integer("event_retention_days", 90, minimum=1),
    )
    table.finish()
    return settings


def _parse_site(table: _Table) -> SiteSettings:
    code = table.code("code")
    timezone_name = table.text("timezone", "Asia/Ho_Chi_Minh")
    try:
        timezone = ZoneInfo(timezone_name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(table.key("timezone"), f"unknown time zone {timezone_name!r}") from error

    fields = tuple(_parse_field(item) for item in table.tables("fields", required=True))
    _unique(table.key("fields"), [item.code for item in fields])
    groups = [_parse_number_group(item) for item in table.tables("number_groups")]
    services = []
    for item in table.tables("services", required=True):
        service, implicit_group = _parse_service(item, {field.code for field in fields})
        services.append(service)
        if implicit_group is not None:
            groups.append(implicit_group)
    if not services:
        raise ConfigError(table.key("services"), "at least one service is required")
    _unique(table.key("services"), [item.code for item in services])
    _unique(table.key("number_groups"), [item.code for item in groups])
    group_codes = {group.code for group in groups}
    for index, service in enumerate(services):
        if service.number_group not in group_codes:
            raise ConfigError(
                f"{table.key('services')}[{index}].number_group",
                f"no number group {service.number_group!r}",
            )
    _check_formats_disjoint(table.key("number_groups"), groups)

    priority_groups = tuple(_parse_priority(item) for item in table.tables("priority_groups"))
    _unique(table.key("priority_groups"), [item.code for item in priority_groups])
    policy_table = table.table("priority_policy")
    policy = _parse_policy(policy_table) if policy_table else PriorityPolicy()

    zones = tuple(_parse_zone(item) for item in table.tables("zones", required=True))
    _unique(table.key("zones"), [item.code for item in zones])
    service_codes = [service.code for service in services]
    counters = tuple(
        _parse_counter(item, set(service_codes), {zone.code for zone in zones})
        for item in table.tables("counters", required=True)
    )
    if not counters:
        raise ConfigError(table.key("counters"), "at least one counter is required")
    _unique(table.key("counters"), [item.code for item in counters])
    counter_codes = {counter.code for counter in counters}
    officers = tuple(_parse_officer(item, counter_codes) for item in table.tables("officers"))
    _unique(table.key("officers"), [item.user for item in officers])
    tokens = tuple(_parse_token(item) for item in table.tables("tokens"))
    _unique(table.key("tokens"), [item.token for item in tokens], what="token")

    scale = tuple(_parse_rating(item) for item in table.tables("rating_scale"))
    scale = scale or DEFAULT_RATING_SCALE
    _unique(table.key("rating_scale"), [str(item.score) for item in scale], what="score")

    hours_text = table.text("issue_hours", "")
    site = SiteSettings(
        code=code,
        name_vi=table.text("name_vi"),
        name_en=table.text("name_en", ""),
        timezone=timezone,
        fields=fields,
        services=tuple(services),
        number_groups=tuple(groups),
        priority_groups=priority_groups,
        priority_policy=policy,
        zones=zones,
        counters=counters,
        officers=officers,
        tokens=tokens,
        rating_scale=tuple(sorted(scale, key=lambda item: -item.score)),
        rating_window_seconds=table.integer("rating_window_seconds", 30, minimum=1),
        requeue_no_show=table.boolean("requeue_no_show", True),
        issue_hours=_parse_hours(table.key("issue_hours"), hours_text) if hours_text else None,
        address=table.text("address", ""),
        ticket_footer=table.text("ticket_footer", ""),
        notice=table.text("notice", ""),
    )
    table.finish()
    return site


def _parse_field(table: _Table) -> FieldSettings:
    item = FieldSettings(table.code("code"), table.text("name_vi"), table.text("name_en", ""))
    table.finish()
    return item


def parse_number_format(key: str, text: str) -> NumberFormat:
    """``A###`` (prefix A, three digits) or ``1001-1999`` (a range)."""
    prefix_match = _PREFIX_FORMAT.match(text.strip())
    if prefix_match:
        return NumberFormat(prefix_match.group(1), len(prefix_match.group(2)), 1, None)
    range_match = _RANGE_FORMAT.match(text.strip())
    if range_match:
        first, last = int(range_match.group(1)), int(range_match.group(2))
        if first < 1 or last < first:
            raise ConfigError(key, f"range {text!r} must run upwards from 1 or more")
        return NumberFormat(None, 0, first, last)
    raise ConfigError(
        key, f"{text!r} is not a number format: use a prefix like 'A###' or a range like '1001-1999'"
    )


def _parse_number_group(table: _Table) -> NumberGroup:
    item = NumberGroup(table.code("code"), parse_number_format(table.key("numbers"),
                                                               table.text("numbers")))
    table.finish()
    return item


def _parse_service(table: _Table, fields: set[str]) -> tuple[ServiceSettings, NumberGroup | None]:
    code = table.code("code")
    field = table.text("field")
    if field not in fields:
        raise ConfigError(table.key("field"), f"no field {field!r}")
    kind_text = table.text("kind", ServiceKind.OTHER.value)
    try:
        kind = ServiceKind(kind_text)
    except ValueError as error:
        raise ConfigError(table.key("kind"), f"must be one of submit, collect, other; "
                                             f"got {kind_text!r}") from error
    numbers = table.text("numbers", "")
    group_code = table.text("number_group", "")
    implicit: NumberGroup | None = None
    if numbers and group_code:
        raise ConfigError(table.key("numbers"), "give either numbers or number_group, not both")
    if numbers:
        implicit = NumberGroup(code, parse_number_format(table.key("numbers"), numbers))
        group_code = code
    elif not group_code:
        raise ConfigError(table.key("numbers"), "is required (or name a number_group)")
    limit = table.integer("daily_limit", 0)
    service = ServiceSettings(
        code=code,
        name_vi=table.text("name_vi"),
        name_en=table.text("name_en", ""),
        field=field,
        kind=kind,
        number_group=group_code,
        expected_minutes=table.number("expected_minutes", 10.0),
        daily_limit=limit or None,
    )
    table.finish()
    return service, implicit


def _check_formats_disjoint(key: str, groups: list[NumberGroup]) -> None:
    """Two groups must never print the same number, or ``call 1005`` would be ambiguous."""
    prefixes: dict[str, str] = {}
    ranges: list[tuple[int, int, str]] = []
    for group in groups:
        number_format = group.format
        if number_format.prefix is not None:
            if number_format.prefix in prefixes:
                raise ConfigError(key, f"groups {prefixes[number_format.prefix]!r} and "
                                       f"{group.code!r} both use prefix {number_format.prefix!r}")
            prefixes[number_format.prefix] = group.code
        else:
            assert number_format.last is not None
            for first, last, other in ranges:
                if number_format.first <= last and first <= number_format.last:
                    raise ConfigError(key, f"ranges of groups {other!r} and {group.code!r} overlap")
            ranges.append((number_format.first, number_format.last, group.code))


def _parse_priority(table: _Table) -> PriorityGroup:
    item = PriorityGroup(table.code("code"), table.text("name_vi"), table.text("name_en", ""))
    table.finish()
    return item


def _parse_policy(table: _Table) -> PriorityPolicy:
    kind_text = table.text("kind", "strict")
    try:
        kind = PriorityPolicyKind(kind_text)
    except ValueError as error:
        raise ConfigError(table.key("kind"), f"must be strict or interleave, got {kind_text!r}") \
            from error
    policy = PriorityPolicy(kind, table.integer("priority", 1, minimum=1),
                            table.integer("normal", 2, minimum=1))
    table.finish()
    return policy


def _parse_zone(table: _Table) -> ZoneSettings:
    item = ZoneSettings(table.code("code"), table.text("name_vi"), table.text("name_en", ""))
    table.finish()
    return item


def _parse_counter(table: _Table, services: set[str], zones: set[str]) -> CounterSettings:
    code = table.code("code")
    zone = table.text("zone")
    if zone not in zones:
        raise ConfigError(table.key("zone"), f"no zone {zone!r}")
    served = table.texts("services", required=True)
    if not served:
        raise ConfigError(table.key("services"), "a counter must serve at least one service")
    for index, service in enumerate(served):
        if service not in services:
            raise ConfigError(f"{table.key('services')}[{index}]", f"no service {service!r}")
    _unique(table.key("services"), list(served))
    order_text = table.text("order", CallOrder.PREFERENCE.value)
    try:
        order = CallOrder(order_text)
    except ValueError as error:
        raise ConfigError(table.key("order"), f"must be preference or arrival, got "
                                              f"{order_text!r}") from error
    counter = CounterSettings(code, table.text("name", f"Quầy {code}"), zone, served, order)
    table.finish()
    return counter


def _parse_officer(table: _Table, counters: set[str]) -> OfficerSettings:
    user = table.code("user")
    password_hash = table.text("password_hash")
    if not password_hash.startswith("scrypt$"):
        raise ConfigError(table.key("password_hash"),
                          "must be a hash made by 'qms hash-password', not a plain password")
    allowed = table.texts("counters")
    for index, counter in enumerate(allowed):
        if counter not in counters:
            raise ConfigError(f"{table.key('counters')}[{index}]", f"no counter {counter!r}")
    officer = OfficerSettings(user, table.text("full_name"), password_hash, allowed)
    table.finish()
    return officer


def _parse_token(table: _Table) -> TokenSettings:
    role_text = table.text("role")
    try:
        role = Role(role_text)
    except ValueError as error:
        raise ConfigError(table.key("role"), "must be kiosk, counter, display or admin, got "
                                             f"{role_text!r}") from error
    token = table.text("token")
    if len(token) < 12:
        raise ConfigError(table.key("token"), "must be at least 12 characters")
    item = TokenSettings(table.text("name"), role, token)
    table.finish()
    return item


def _parse_rating(table: _Table) -> RatingLabel:
    item = RatingLabel(table.integer("score", 0, minimum=1), table.text("label_vi"),
                       table.text("label_en", ""))
    table.finish()
    return item


def _parse_hours(key: str, text: str) -> tuple[time, time]:
    match = _HOURS.match(text.strip())
    if not match:
        raise ConfigError(key, f"{text!r} is not opening hours like '07:00-17:00'")
    hour_open, minute_open, hour_close, minute_close = (int(part) for part in match.groups())
    try:
        opens, closes = time(hour_open, minute_open), time(hour_close, minute_close)
    except ValueError as error:
        raise ConfigError(key, f"{text!r}: {error}") from error
    if closes <= opens:
        raise ConfigError(key, f"{text!r}: closing must come after opening")
    return opens, closes


def _unique(key: str, values: list[str], what: str = "code") -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            shown = "(hidden)" if what == "token" else repr(value)
            raise ConfigError(key, f"{what} {shown} appears twice")
        seen.add(value)
