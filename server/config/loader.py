"""Parse the deployment TOML into :class:`Settings`.

Every problem raises :class:`ConfigError` naming the key (``sites[0].counters[2].services``)
and the reason, so the server refuses to start with a message a provincial IT officer can act
on. Unknown keys are errors too: a misspelt key silently ignored is a setting silently lost.
Secrets (tokens, the server secret, password hashes) never appear in a message: an error names
the key that holds one, not its value.
"""

from __future__ import annotations

import difflib
import os
import re
import secrets
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import time
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.config.settings import (
    AccountRole,
    AccountSettings,
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

MINIMUM_TOKEN_LENGTH = 12
MINIMUM_SECRET_LENGTH = 16
SECRET_FILE_NAME = "secret.key"
# Hosts that listen on every interface: no address a phone could reach can be derived from them.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_PREFIX_FORMAT = re.compile(r"^([A-Z]{1,3})(#{1,6})$")
_RANGE_FORMAT = re.compile(r"^(\d{1,9})\s*-\s*(\d{1,9})$")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_PUBLIC_URL = re.compile(r"^https?://[^/\s]+(/\S*)?$")
_PASSWORD_HASH = re.compile(r"^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$")

# How alike two key names must be (difflib ratio) to suggest one is a misspelling of the other.
_TYPO_CUTOFF = 0.75

T = TypeVar("T")


class _Table:
    """A TOML table with the path that leads to it, for error messages."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(path, f"must be a table, got {_describe(data, hidden=False)}")
        self.data: dict[str, Any] = data
        self.path = path
        self.read: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def _get(
        self, name: str, kind: type | tuple[type, ...], required: bool, hidden: bool = False
    ) -> Any:
        self.read.add(name)
        if name not in self.data:
            if required:
                near = difflib.get_close_matches(name, list(self.data), n=1,
                                                 cutoff=_TYPO_CUTOFF)
                hint = f" (is {near[0]!r} a misspelling of it?)" if near else ""
                raise ConfigError(self.key(name), f"is required{hint}")
            return None
        value = self.data[name]
        # TOML booleans are ints in Python; never accept one where a number is meant.
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise ConfigError(self.key(name), f"must be {_kind_name(kind)}, not a boolean")
        if not isinstance(value, kind):
            raise ConfigError(self.key(name), f"must be {_kind_name(kind)}, "
                                              f"got {_describe(value, hidden)}")
        return value

    def text(self, name: str, default: str | None = None, hidden: bool = False) -> str:
        """A text value; without a ``default`` the key is required."""
        value = self._get(name, str, default is None, hidden)
        return default if value is None else value  # type: ignore[return-value]

    def optional_text(self, name: str, hidden: bool = False) -> str | None:
        """A text value, or ``None`` when the key is absent."""
        value: str | None = self._get(name, str, False, hidden)
        return value

    def code(self, name: str) -> str:
        value = self.text(name)
        if not _CODE.match(value):
            raise ConfigError(
                self.key(name),
                f"{value!r} is not a code (letters, digits, '-', '_', '.'; at most 32)",
            )
        return value

    def integer(self, name: str, default: int | None, minimum: int = 0) -> int:
        """A whole number; with ``default`` ``None`` the key is required."""
        found: int | None = self._get(name, int, default is None)
        value = default if found is None else found
        assert value is not None  # ``_get`` refused a missing required key
        if value < minimum:
            raise ConfigError(self.key(name), f"must be at least {minimum}, got {value}")
        return value

    def optional_integer(self, name: str, minimum: int = 0) -> int | None:
        """A whole number, or ``None`` when the key is absent."""
        if name not in self.data:
            self.read.add(name)
            return None
        return self.integer(name, None, minimum)

    def number(self, name: str, default: float, minimum: float = 0.0) -> float:
        value = self._get(name, (int, float), False)
        value = default if value is None else float(value)
        if value <= minimum:
            raise ConfigError(self.key(name), f"must be more than {minimum:g}, got {value:g}")
        return float(value)

    def boolean(self, name: str, default: bool) -> bool:
        value = self._get(name, bool, False)
        return default if value is None else bool(value)

    def texts(self, name: str, required: bool = False, hidden: bool = False) -> tuple[str, ...]:
        value = self._get(name, list, required, hidden)
        if value is None:
            return ()
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise ConfigError(f"{self.key(name)}[{index}]",
                                  f"must be text, got {_describe(item, hidden)}")
        return tuple(value)

    def table(self, name: str) -> _Table | None:
        value = self._get(name, dict, False)
        return None if value is None else _Table(value, self.key(name))

    def tables(self, name: str, required: bool = False) -> Iterator[_Table]:
        value = self._get(name, list, required)
        for index, item in enumerate(value or ()):
            yield _Table(item, f"{self.key(name)}[{index}]")

    def each(self, name: str, parse: Callable[[_Table], T], required: bool = False
             ) -> list[tuple[T, str]]:
        """Parse every table of the list ``name``, keeping each one's key for later checks."""
        return [(parse(item), item.path) for item in self.tables(name, required)]

    def finish(self) -> None:
        """Refuse keys nobody read: they are typos or settings this version does not know."""
        unknown = sorted(set(self.data) - self.read)
        if unknown:
            near = difflib.get_close_matches(unknown[0], sorted(self.read), n=1,
                                             cutoff=_TYPO_CUTOFF)
            hint = f"; did you mean {near[0]!r}?" if near else \
                " (a typo, or a setting this version does not know)"
            raise ConfigError(self.key(unknown[0]), f"unknown key{hint}")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(item, item.__name__) for item in kinds)


def _describe(value: Any, hidden: bool) -> str:
    """A value for an error message: tables, lists and secrets by their kind only."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if hidden:
        return _kind_name(type(value))
    return repr(value)


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
        except UnicodeDecodeError as error:
            raise ConfigError("", f"{path} is not UTF-8 text: {error.reason}") from error
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
    sites = root.each("sites", _parse_site, required=True)
    if not sites:
        raise ConfigError("sites", "at least one site is required")
    _unique([(f"{key}.code", site.code) for site, key in sites])
    site_codes = {site.code for site, _ in sites}
    accounts = root.each("accounts", lambda item: _parse_account(item, site_codes))
    _unique([(f"{key}.user", item.user) for item, key in accounts], what="user")
    root.finish()
    # A token names one role at one site; the same string twice would make it ambiguous.
    tokens = [(f"server.admin_tokens[{index}]", token)
              for index, token in enumerate(server.admin_tokens)]
    for site, key in sites:
        tokens.extend((f"{key}.tokens[{index}].token", item.token)
                      for index, item in enumerate(site.tokens))
    _unique(tokens, what="token")
    return Settings(server=server, sites=tuple(site for site, _ in sites),
                    accounts=tuple(item for item, _ in accounts))


def ensure_secret(settings: Settings, data_dir: Path) -> Settings:
    """``settings`` with a server secret: the configured one, else one kept in ``data_dir``.

    Without ``server.secret`` in the file, the secret lives in ``data_dir/secret.key``: read
    when it exists, made with :func:`secrets.token_urlsafe` (readable by the owner only)
    when it does not, so tracking codes stay valid across restarts.
    """
    if settings.server.secret:
        return settings
    path = data_dir / SECRET_FILE_NAME
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        secret = _read_secret(path)
        if secret is None:
            secret = secrets.token_urlsafe(32)
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                # Another process made it first: use theirs.
                secret = _read_secret(path) or secret
            else:
                with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                    file.write(secret + "\n")
                os.chmod(path, 0o600)
    except OSError as error:
        raise ConfigError("server.data_dir", f"cannot keep the server secret in {path}: "
                                             f"{error.strerror}") from error
    if len(secret) < MINIMUM_SECRET_LENGTH:
        raise ConfigError("server.secret", f"{path} holds fewer than {MINIMUM_SECRET_LENGTH} "
                                           "characters; delete it to have a new secret made")
    return replace(settings, server=replace(settings.server, secret=secret))


def _read_secret(path: Path) -> str | None:
    """The secret kept in ``path``, or ``None`` when there is no such file."""
    try:
        return path.read_text("utf-8").strip()
    except FileNotFoundError:
        return None


def _parse_server(table: _Table) -> ServerSettings:
    host = table.text("host", "127.0.0.1")
    port = table.integer("port", 8765)
    if port > 65535:
        raise ConfigError(table.key("port"), f"must be at most 65535, got {port}")
    public_url = table.optional_text("public_url")
    if public_url is None:
        if host in WILDCARD_HOSTS:
            raise ConfigError(table.key("public_url"),
                              f"is required when host is {host!r} (tickets' QR codes need an "
                              "address phones can reach, such as 'http://192.168.1.10:8765')")
        public_url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    elif not _PUBLIC_URL.match(public_url):
        raise ConfigError(table.key("public_url"), f"{public_url!r} is not an address like "
                                                   "'http://192.168.1.10:8765'")
    admin_tokens = table.texts("admin_tokens", hidden=True)
    for index, token in enumerate(admin_tokens):
        _check_token_length(f"{table.key('admin_tokens')}[{index}]", token)
    secret = table.optional_text("secret", hidden=True)
    if secret is not None and len(secret) < MINIMUM_SECRET_LENGTH:
        raise ConfigError(table.key("secret"),
                          f"must be at least {MINIMUM_SECRET_LENGTH} characters (a long random "
                          f"string), or leave it out to have one made in the data directory")
    settings = ServerSettings(
        host=host,
        port=port,
        data_dir=Path(table.text("data_dir", "data")),
        database_url=table.text("database_url", "", hidden=True) or None,
        public_url=public_url.rstrip("/"),
        admin_tokens=admin_tokens,
        secret=secret or "",
        max_frame_bytes=table.integer("max_frame_bytes", 65536, minimum=1024),
        rate_per_second=table.number("rate_per_second", 50.0),
        rate_burst=table.integer("rate_burst", 200, minimum=1),
        max_bad_frames=table.integer("max_bad_frames", 20, minimum=1),
        outgoing_queue_limit=table.integer("outgoing_queue_limit", 5000, minimum=10),
        outgoing_queue_bytes=table.integer("outgoing_queue_bytes", 4 * 1024 * 1024,
                                           minimum=64 * 1024),
        hello_timeout_seconds=table.number("hello_timeout_seconds", 10.0),
        http_request_timeout_seconds=table.number("http_request_timeout_seconds", 10.0),
        max_devices_per_connection=table.integer("max_devices_per_connection", 32, minimum=1),
        max_devices_per_site=table.integer("max_devices_per_site", 500, minimum=1),
        event_retention_days=table.integer("event_retention_days", 90, minimum=1),
    )
    table.finish()
    return settings


def _check_token_length(key: str, token: str) -> None:
    if len(token) < MINIMUM_TOKEN_LENGTH:
        raise ConfigError(key, f"must be at least {MINIMUM_TOKEN_LENGTH} characters")


def _parse_site(table: _Table) -> SiteSettings:
    code = table.code("code")
    timezone_name = table.text("timezone", "Asia/Ho_Chi_Minh")
    try:
        timezone = ZoneInfo(timezone_name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(table.key("timezone"), f"unknown time zone {timezone_name!r}") from error

    fields = table.each("fields", _parse_field, required=True)
    _unique([(f"{key}.code", item.code) for item, key in fields])
    field_codes = {item.code for item, _ in fields}

    # Each group with the key of its format, so that an overlap names the line to change.
    groups = [(group, f"{key}.numbers")
              for group, key in table.each("number_groups", _parse_number_group)]
    _unique([(f"{key.removesuffix('.numbers')}.code", group.code) for group, key in groups])
    explicit = {group.code: key.removesuffix(".numbers") for group, key in groups}
    services: list[tuple[ServiceSettings, str]] = []
    for item in table.tables("services", required=True):
        service, implicit_group = _parse_service(item, field_codes)
        services.append((service, item.path))
        if implicit_group is not None:
            if implicit_group.code in explicit:
                raise ConfigError(
                    item.key("numbers"),
                    f"gives service {service.code!r} its own number group named after it, but "
                    f"{explicit[implicit_group.code]} already defines a number group "
                    f"{implicit_group.code!r}; write number_group = {implicit_group.code!r} "
                    "to use that group, or rename one of them",
                )
            groups.append((implicit_group, item.key("numbers")))
    if not services:
        raise ConfigError(table.key("services"), "at least one service is required")
    _unique([(f"{key}.code", service.code) for service, key in services])
    capacities = {group.code: group.format.capacity for group, _ in groups}
    for service, key in services:
        if service.number_group not in capacities:
            raise ConfigError(f"{key}.number_group", f"no number group {service.number_group!r}")
        capacity = capacities[service.number_group]
        if service.daily_limit is not None and capacity is not None \
                and service.daily_limit > capacity:
            raise ConfigError(f"{key}.daily_limit",
                              f"{service.daily_limit} is more than the {capacity} numbers a day "
                              f"that number group {service.number_group!r} can give out")
    _check_formats_disjoint(groups)

    priority_groups = table.each("priority_groups", _parse_priority)
    _unique([(f"{key}.code", item.code) for item, key in priority_groups])
    policy_table = table.table("priority_policy")
    policy = _parse_policy(policy_table) if policy_table else PriorityPolicy()

    zones = table.each("zones", _parse_zone, required=True)
    _unique([(f"{key}.code", item.code) for item, key in zones])
    service_codes = {service.code for service, _ in services}
    zone_codes = {zone.code for zone, _ in zones}
    counters = table.each("counters", lambda item: _parse_counter(item, service_codes,
                                                                  zone_codes), required=True)
    if not counters:
        raise ConfigError(table.key("counters"), "at least one counter is required")
    _unique([(f"{key}.code", item.code) for item, key in counters])
    served = {code for counter, _ in counters for code in counter.services}
    for service, key in services:
        if service.code not in served:
            raise ConfigError(key, f"no counter serves it: add {service.code!r} to a counter's "
                                   "services, or remove the service")
    counter_codes = {counter.code for counter, _ in counters}
    officers = table.each("officers", lambda item: _parse_officer(item, counter_codes))
    _unique([(f"{key}.user", item.user) for item, key in officers], what="user")
    tokens = table.each("tokens", lambda item: _parse_token(item, counter_codes))

    scale = table.each("rating_scale", _parse_rating)
    _unique([(f"{key}.score", str(item.score)) for item, key in scale], what="score")
    rating_scale = tuple(item for item, _ in scale) or DEFAULT_RATING_SCALE

    hours_text = table.text("issue_hours", "")
    site = SiteSettings(
        code=code,
        name_vi=table.text("name_vi"),
        name_en=table.text("name_en", ""),
        timezone=timezone,
        fields=tuple(item for item, _ in fields),
        services=tuple(service for service, _ in services),
        number_groups=tuple(group for group, _ in groups),
        priority_groups=tuple(item for item, _ in priority_groups),
        priority_policy=policy,
        zones=tuple(item for item, _ in zones),
        counters=tuple(item for item, _ in counters),
        officers=tuple(item for item, _ in officers),
        tokens=tuple(item for item, _ in tokens),
        rating_scale=tuple(sorted(rating_scale, key=lambda item: -item.score)),
        rating_window_seconds=table.integer("rating_window_seconds", 30, minimum=1),
        kiosk_rating=table.boolean("kiosk_rating", False),
        target_wait_minutes=table.number("target_wait_minutes", 30.0),
        pause_alert_minutes=table.number("pause_alert_minutes", 15.0),
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
        first_text, last_text = range_match.groups()
        if any(len(part) > 1 and part.startswith("0") for part in (first_text, last_text)):
            raise ConfigError(key, f"range {text!r} has leading zeros, which a range does not "
                                   "print (its first number would show as "
                                   f"{int(first_text)!r}); for zero-padded numbers use a "
                                   "prefix format like 'A###', or write the range without "
                                   "leading zeros, like '1-999'")
        first, last = int(first_text), int(last_text)
        if first < 1 or last < first:
            raise ConfigError(key, f"range {text!r} must run upwards from 1 or more")
        return NumberFormat(None, 0, first, last)
    raise ConfigError(
        key,
        f"{text!r} is not a number format: use a prefix like 'A###' or a range like '1001-1999'",
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
    service = ServiceSettings(
        code=code,
        name_vi=table.text("name_vi"),
        name_en=table.text("name_en", ""),
        field=field,
        kind=kind,
        number_group=group_code,
        expected_minutes=table.number("expected_minutes", 10.0),
        daily_limit=table.optional_integer("daily_limit", minimum=1),
        target_wait_minutes=(table.number("target_wait_minutes", 30.0)
                             if "target_wait_minutes" in table.data else None),
    )
    table.finish()
    return service, implicit


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
                raise ConfigError(key, f"prefix {number_format.prefix!r} is already used by "
                                       f"number group {other!r} ({other_key}); two groups must "
                                       "never print the same number")
            prefixes[number_format.prefix] = (group.code, key)
        else:
            assert number_format.last is not None
            for first, last, other, other_key in ranges:
                if number_format.first <= last and first <= number_format.last:
                    raise ConfigError(key, f"range {number_format.first}-{number_format.last} "
                                           f"overlaps {first}-{last} of number group "
                                           f"{other!r} ({other_key}); two groups must never "
                                           "print the same number")
            ranges.append((number_format.first, number_format.last, group.code, key))


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
    _unique([(f"{table.key('services')}[{index}]", service)
             for index, service in enumerate(served)])
    order_text = table.text("order", CallOrder.PREFERENCE.value)
    try:
        order = CallOrder(order_text)
    except ValueError as error:
        raise ConfigError(table.key("order"), f"must be preference or arrival, got "
                                              f"{order_text!r}") from error
    counter = CounterSettings(code, table.text("name", f"Quầy {code}"), zone, served, order)
    table.finish()
    return counter


def _password_hash(table: _Table) -> str:
    password_hash = table.text("password_hash", hidden=True)
    if not password_hash.startswith("scrypt$"):
        raise ConfigError(table.key("password_hash"),
                          "must be a hash made by 'qms hash-password', not a plain password")
    if not _PASSWORD_HASH.match(password_hash):
        raise ConfigError(table.key("password_hash"),
                          "is not a complete hash; copy the whole output of 'qms hash-password'")
    return password_hash


def _parse_officer(table: _Table, counters: set[str]) -> OfficerSettings:
    user = table.code("user")
    password_hash = _password_hash(table)
    allowed = table.texts("counters")
    for index, counter in enumerate(allowed):
        if counter not in counters:
            raise ConfigError(f"{table.key('counters')}[{index}]", f"no counter {counter!r}")
    _unique([(f"{table.key('counters')}[{index}]", counter)
             for index, counter in enumerate(allowed)])
    officer = OfficerSettings(user, table.text("full_name"), password_hash, allowed)
    table.finish()
    return officer


def _parse_account(table: _Table, sites: set[str]) -> AccountSettings:
    user = table.code("user")
    password_hash = _password_hash(table)
    role_text = table.text("role")
    try:
        role = AccountRole(role_text)
    except ValueError as error:
        raise ConfigError(table.key("role"), f"must be manager, admin or province, got "
                                             f"{role_text!r}") from error
    allowed = table.texts("sites")
    if role is not AccountRole.PROVINCE and not allowed:
        raise ConfigError(table.key("sites"), f"a{'n' if role is AccountRole.ADMIN else ''} "
                                              f"{role.value} must list the sites they manage")
    if role is AccountRole.PROVINCE and allowed:
        raise ConfigError(table.key("sites"), "a province account sees every site: list none")
    for index, site in enumerate(allowed):
        if site not in sites:
            raise ConfigError(f"{table.key('sites')}[{index}]", f"no site {site!r}")
    _unique([(f"{table.key('sites')}[{index}]", site) for index, site in enumerate(allowed)])
    account = AccountSettings(user, table.text("full_name"), password_hash, role, allowed)
    table.finish()
    return account


def _parse_token(table: _Table, counters: set[str]) -> TokenSettings:
    role_text = table.text("role")
    try:
        role = Role(role_text)
    except ValueError as error:
        raise ConfigError(table.key("role"), "must be kiosk, counter, display, admin or bridge, "
                                             f"got {role_text!r}") from error
    if role is Role.MANAGER:
        raise ConfigError(table.key("role"), "managers sign in with an account ([[accounts]]),"
                                             " not a device token")
    token = table.text("token", hidden=True)
    _check_token_length(table.key("token"), token)
    allowed = table.texts("counters")
    if role is Role.BRIDGE and not allowed:
        raise ConfigError(table.key("counters"), "a bridge token must list the counters whose "
                                                 "keypads, LED boards and rating pads it drives")
    if role is not Role.BRIDGE and allowed:
        raise ConfigError(table.key("counters"), "only a bridge token lists counters")
    for index, counter in enumerate(allowed):
        if counter not in counters:
            raise ConfigError(f"{table.key('counters')}[{index}]", f"no counter {counter!r}")
    _unique([(f"{table.key('counters')}[{index}]", counter)
             for index, counter in enumerate(allowed)])
    item = TokenSettings(table.text("name"), role, token, allowed)
    table.finish()
    return item


def _parse_rating(table: _Table) -> RatingLabel:
    item = RatingLabel(table.integer("score", None, minimum=1), table.text("label_vi"),
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


def _unique(items: list[tuple[str, str]], what: str = "code") -> None:
    """Refuse a value seen twice; ``items`` pairs each value with its key.

    The error names the second key and the first; a token's value is never shown.
    """
    seen: dict[str, str] = {}
    for key, value in items:
        if value in seen:
            if what == "token":
                raise ConfigError(key, f"is the same token as {seen[value]}; every token must "
                                       "be unique")
            raise ConfigError(key, f"{what} {value!r} appears twice (also at {seen[value]})")
        seen[value] = key
