"""Export and import: settings -> document -> TOML text -> the same settings.

The demo configuration, and generated valid sites (every kind of value the models take),
make the round trip through the writer and back through the loader unchanged.
"""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from server.config import Settings, SiteContext, load_settings, parse_settings, parse_site
from server.config.document import settings_document, site_document
from server.config.toml_writer import toml_text

HASH = "scrypt$16384$8$1$Mbeph8OMszyXExR8E9dpuw==$Zt61Q29N//bkoHL1F4VhWWTxQgpHCm6W9Mwh5K6n7wM="
SECRET = "a-long-random-secret-0123456789"


def round_trip(settings_in: Settings) -> Settings:
    """The settings a deployment gets back from its exported file."""
    return parse_settings(tomllib.loads(toml_text(settings_document(settings_in))))


def test_the_demo_makes_the_round_trip() -> None:
    demo = load_settings(None)
    assert round_trip(demo) == demo


def test_an_export_exports_the_same_document_again() -> None:
    document = settings_document(load_settings(None))
    assert settings_document(parse_settings(tomllib.loads(toml_text(document)))) == document


def test_the_export_keeps_secrets_and_hashes_for_the_owner() -> None:
    demo = load_settings(None)
    text = toml_text(settings_document(demo))
    assert demo.server.secret in text
    assert all(token in text for token in demo.server.admin_tokens)
    site = demo.sites[0]
    assert all(item.token in text for item in site.tokens)
    assert all(item.password_hash in text for item in site.officers)


def test_each_demo_site_reads_back_alone() -> None:
    demo = load_settings(None)
    for site in demo.sites:
        document = site_document(site)
        assert parse_site(document) == site
        assert parse_site(document, SiteContext.around(demo, site.code)) == site


def test_derived_and_default_values_are_written_out() -> None:
    document = {"server": {"host": "::1"}, "sites": [{
        "code": "ward", "name_vi": "Phường", "fields": [{"code": "HT", "name_vi": "Hộ tịch"}],
        "services": [{"code": "KS", "field": "HT", "name_vi": "Khai sinh", "numbers": "A###"}],
        "zones": [{"code": "MC", "name_vi": "Một cửa"}],
        "counters": [{"code": "Q1", "zone": "MC", "services": ["KS"]}]}]}
    loaded = parse_settings(document)
    exported = settings_document(loaded)
    assert exported["server"]["public_url"] == "http://[::1]:8765"
    site = exported["sites"][0]
    assert site["counters"][0]["name"] == "Quầy Q1"
    assert site["number_groups"] == [{"code": "KS", "numbers": "A###"}]
    assert site["services"][0]["number_group"] == "KS"
    assert [item["score"] for item in site["rating_scale"]] == [4, 3, 2, 1]
    assert "secret" not in exported["server"] and "issue_hours" not in site
    assert round_trip(loaded) == loaded


# --- generated sites -------------------------------------------------------------------------

codes = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,6}", fullmatch=True)
names = st.text(max_size=16)
minutes = st.one_of(st.integers(min_value=1, max_value=600),
                    st.floats(min_value=0.01, max_value=1e6, allow_nan=False))
TIME_ZONES = ("Asia/Ho_Chi_Minh", "Asia/Bangkok", "UTC")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def sessions(draw: st.DrawFn) -> str:
    """A day's sessions as written: in order, apart, within 00:00-24:00 ("" closed)."""
    # Distinct minutes taken in pairs: each session starts after the one before ends.
    moments = sorted(draw(st.lists(st.integers(0, 24 * 60), max_size=6, unique=True)))
    moments = moments[:len(moments) // 2 * 2]
    return ", ".join(f"{clock(start)}-{clock(end)}"
                     for start, end in zip(moments[::2], moments[1::2], strict=True))


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@st.composite
def opening_hours(draw: st.DrawFn, some_day: bool) -> dict[str, Any]:
    """An ``opening_hours`` table; ``some_day``: at least one weekday has a session."""
    table: dict[str, Any] = {day: draw(sessions()) for day in WEEKDAYS if draw(st.booleans())}
    if some_day and not any(table.values()):
        table[draw(st.sampled_from(WEEKDAYS))] = "07:30-11:30, 13:30-17:00"
    closed = []
    for first in draw(st.lists(days, max_size=3)):
        length = draw(st.integers(0, 9))
        closed.append(first.isoformat() if not length else
                      f"{first.isoformat()}..{(first + timedelta(days=length)).isoformat()}")
    if closed:
        table["closed"] = closed
    exceptions = [{"date": day.isoformat(), "hours": draw(sessions())}
                  for day in draw(st.lists(days, max_size=3, unique=True))]
    if exceptions:
        table["exceptions"] = exceptions
    return table


@st.composite
def site_documents(draw: st.DrawFn, code: str, tokens: list[str]) -> dict[str, Any]:
    """A valid ``[[sites]]`` table using ``tokens`` (unique across the deployment)."""
    # Codes of different kinds may repeat across kinds, but not within one.
    field_codes = draw(st.lists(codes, min_size=1, max_size=3, unique=True))
    codes_used = draw(st.lists(codes, min_size=2, max_size=7, unique=True))
    cut = draw(st.integers(min_value=0, max_value=len(codes_used) - 1))
    group_codes, service_codes = codes_used[:cut], codes_used[cut:]
    # Formats never print the same number: ranges in their own thousands, one letter each.
    letters = iter("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    groups: list[dict[str, Any]] = []
    capacities: dict[str, int | None] = {}
    for index, group_code in enumerate(group_codes):
        if draw(st.booleans()):
            first = 1000 * (index + 1) + draw(st.integers(min_value=0, max_value=9))
            last = first + draw(st.integers(min_value=0, max_value=900))
            numbers = f"{first}-{last}"
            capacities[group_code] = last - first + 1
        else:
            numbers = next(letters) + "#" * draw(st.integers(min_value=1, max_value=6))
            capacities[group_code] = None
        groups.append({"code": group_code, "numbers": numbers})
    services = []
    for service_code in service_codes:
        service: dict[str, Any] = {
            "code": service_code, "name_vi": draw(names), "name_en": draw(names),
            "field": draw(st.sampled_from(field_codes)),
            "kind": draw(st.sampled_from(["submit", "collect", "other"])),
            "expected_minutes": draw(minutes)}
        shares_a_group = draw(st.booleans())
        if group_codes and shares_a_group:
            service["number_group"] = draw(st.sampled_from(group_codes))
            capacity = capacities[service["number_group"]]
        else:
            service["numbers"] = next(letters) + "###"
            capacity = None
        if draw(st.booleans()):
            service["daily_limit"] = draw(st.integers(min_value=1, max_value=capacity or 10**6))
        if draw(st.booleans()):
            service["target_wait_minutes"] = draw(minutes)
        if draw(st.booleans()):
            service["opening_hours"] = draw(opening_hours(some_day=False))
        services.append(service)
    zone_codes = draw(st.lists(codes, min_size=1, max_size=2, unique=True))
    counter_codes = draw(st.lists(codes, min_size=1, max_size=3, unique=True))
    served: dict[str, list[str]] = {counter: [] for counter in counter_codes}
    for service_code in service_codes:  # every service is served somewhere
        served[draw(st.sampled_from(counter_codes))].append(service_code)
    counters = []
    for counter_code in counter_codes:
        extra = draw(st.lists(st.sampled_from(service_codes), max_size=2))
        listed = list(dict.fromkeys(served[counter_code] + extra)) or [service_codes[0]]
        counter: dict[str, Any] = {"code": counter_code, "zone": draw(st.sampled_from(zone_codes)),
                                   "services": draw(st.permutations(listed)),
                                   "order": draw(st.sampled_from(["preference", "arrival"]))}
        if draw(st.booleans()):
            counter["name"] = draw(names)
        counters.append(counter)
    officers = [{"user": user, "full_name": draw(names), "password_hash": HASH,
                 "counters": draw(st.lists(st.sampled_from(counter_codes), unique=True)),
                 "active": draw(st.booleans())}
                for user in draw(st.lists(codes, max_size=2, unique=True))]
    token_tables = []
    for token in tokens:
        role = draw(st.sampled_from(["kiosk", "counter", "display", "admin", "bridge"]))
        table: dict[str, Any] = {"name": draw(names), "role": role, "token": token}
        if role == "bridge":
            table["counters"] = draw(st.lists(st.sampled_from(counter_codes), min_size=1,
                                              unique=True))
        # A profile: each key its role may have, or not.
        if role in ("kiosk", "display") and draw(st.booleans()):
            table["zone"] = draw(st.sampled_from(zone_codes))
        if role == "counter" and draw(st.booleans()):
            table["counter"] = draw(st.sampled_from(counter_codes))
        if role == "kiosk" and draw(st.booleans()):
            table["printer"] = "usb://04b8:0e15"
            table["paper_width"] = draw(st.sampled_from([58, 80]))
        if role in ("kiosk", "counter") and draw(st.booleans()):
            table["language"] = draw(st.sampled_from(["vi", "en"]))
        if role == "display" and draw(st.booleans()):
            table["voice"] = draw(names)
        token_tables.append(table)
    site: dict[str, Any] = {
        "code": code, "name_vi": draw(names), "name_en": draw(names), "address": draw(names),
        "timezone": draw(st.sampled_from(TIME_ZONES)), "ticket_footer": draw(names),
        "notice": draw(names), "rating_window_seconds": draw(st.integers(1, 600)),
        "kiosk_rating": draw(st.booleans()), "target_wait_minutes": draw(minutes),
        "pause_alert_minutes": draw(minutes), "requeue_no_show": draw(st.booleans()),
        "priority_policy": {"kind": draw(st.sampled_from(["strict", "interleave"])),
                            "priority": draw(st.integers(1, 5)),
                            "normal": draw(st.integers(1, 5))},
        "priority_groups": [{"code": item, "name_vi": draw(names)}
                            for item in draw(st.lists(codes, max_size=3, unique=True))],
        "rating_scale": [{"score": score, "label_vi": draw(names), "label_en": draw(names)}
                         for score in draw(st.lists(st.integers(1, 10), max_size=5,
                                                    unique=True))],
        "fields": [{"code": item, "name_vi": draw(names)} for item in field_codes],
        "number_groups": groups, "services": services,
        "zones": [{"code": item, "name_vi": draw(names)} for item in zone_codes],
        "counters": counters, "officers": officers, "tokens": token_tables,
    }
    hours = draw(st.sampled_from(["none", "issue_hours", "opening_hours"]))
    if hours == "issue_hours":
        opens = draw(st.integers(min_value=0, max_value=24 * 60 - 2))
        closes = draw(st.integers(min_value=opens + 1, max_value=24 * 60 - 1))
        site["issue_hours"] = "-".join(f"{moment // 60:02d}:{moment % 60:02d}"
                                       for moment in (opens, closes))
    elif hours == "opening_hours":
        site["opening_hours"] = draw(opening_hours(some_day=True))
    return site


@st.composite
def deployments(draw: st.DrawFn) -> dict[str, Any]:
    site_codes = draw(st.lists(codes, min_size=1, max_size=2, unique=True))
    tokens = draw(st.lists(st.text(min_size=12, max_size=20), max_size=5, unique=True))
    admin_count = draw(st.integers(min_value=0, max_value=len(tokens)))
    admin_tokens, site_tokens = tokens[:admin_count], tokens[admin_count:]
    sites = [draw(site_documents(code, site_tokens if index == 0 else []))
             for index, code in enumerate(site_codes)]
    server: dict[str, Any] = {"host": draw(st.sampled_from(["127.0.0.1", "0.0.0.0"])),
                              "public_url": "http://192.0.2.1:8765/",
                              "port": draw(st.integers(0, 65535)),
                              "admin_tokens": admin_tokens,
                              "rate_per_second": draw(minutes)}
    if draw(st.booleans()):
        server["secret"] = draw(st.text(min_size=16, max_size=40))
    accounts = [{"user": "tinh", "full_name": draw(names), "password_hash": HASH,
                 "role": "province"},
                {"user": "quantri", "full_name": draw(names), "password_hash": HASH,
                 "role": draw(st.sampled_from(["manager", "admin"])), "sites": site_codes}]
    return {"server": server, "accounts": accounts, "sites": sites}


@settings(max_examples=60, deadline=None)
@given(deployments())
def test_generated_deployments_make_the_round_trip(document: dict[str, Any]) -> None:
    loaded = parse_settings(document)
    assert round_trip(loaded) == loaded
    # The document as written by hand reads the same through the writer too.
    assert parse_settings(tomllib.loads(toml_text(document))) == loaded
    for site in loaded.sites:
        assert parse_site(site_document(site), SiteContext.around(loaded, site.code)) == site
