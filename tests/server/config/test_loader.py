"""Every wrong configuration stops the server with a ConfigError naming the key and the reason.

Each case starts from a small valid file and breaks one thing. Secrets (tokens, the server
secret, passwords) must never appear in a message.
"""

from __future__ import annotations

import copy
import os
import stat
import sys
import tomllib
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from server.config import ConfigError, Settings, load_settings, parse_settings
from server.config.loader import ensure_secret

HASH = "scrypt$16384$8$1$Mbeph8OMszyXExR8E9dpuw==$Zt61Q29N//bkoHL1F4VhWWTxQgpHCm6W9Mwh5K6n7wM="
SECRET = "a-long-random-secret-0123456789"
ADMIN_TOKEN = "admin-token-000001"
KIOSK_TOKEN = "kiosk-token-000001"

VALID = f"""
[server]
host = "127.0.0.1"
port = 8765
secret = "{SECRET}"
admin_tokens = ["{ADMIN_TOKEN}"]

[[sites]]
code = "ward"
name_vi = "UBND Phường 1"
timezone = "Asia/Ho_Chi_Minh"
issue_hours = "07:00-17:00"

[[sites.fields]]
code = "HT"
name_vi = "Hộ tịch"

[[sites.number_groups]]
code = "civil"
numbers = "A###"

[[sites.number_groups]]
code = "land"
numbers = "1001-1999"

[[sites.services]]
code = "KS"
field = "HT"
name_vi = "Khai sinh"
number_group = "civil"

[[sites.services]]
code = "DD"
field = "HT"
name_vi = "Đất đai"
number_group = "land"
daily_limit = 500

[[sites.services]]
code = "CT"
field = "HT"
name_vi = "Chứng thực"
numbers = "B###"

[[sites.zones]]
code = "MC"
name_vi = "Một cửa"

[[sites.counters]]
code = "Q1"
zone = "MC"
services = ["KS", "CT"]

[[sites.counters]]
code = "Q2"
zone = "MC"
services = ["DD", "KS"]

[[sites.officers]]
user = "an"
full_name = "Nguyễn Văn An"
password_hash = "{HASH}"
counters = ["Q1", "Q2"]

[[sites.tokens]]
name = "Ki-ốt"
role = "kiosk"
token = "{KIOSK_TOKEN}"

[[sites.rating_scale]]
score = 2
label_vi = "Hài lòng"

[[sites.rating_scale]]
score = 1
label_vi = "Không hài lòng"
"""

BASE: dict[str, Any] = tomllib.loads(VALID)


def site(data: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = data["sites"][0]
    return result


def hours(data: dict[str, Any], **keys: Any) -> None:
    """The site's ``issue_hours`` replaced by ``opening_hours`` (Monday to Friday in two
    sessions) with ``keys`` changed."""
    table: dict[str, Any] = dict.fromkeys(("monday", "tuesday", "wednesday", "thursday",
                                           "friday"), "07:30-11:30, 13:30-17:00")
    table.update(keys)
    site(data).pop("issue_hours")
    site(data)["opening_hours"] = table


def second_site(data: dict[str, Any]) -> dict[str, Any]:
    other = copy.deepcopy(site(data))
    other["code"] = "commune"
    other["tokens"] = [{"name": "Ki-ốt xã", "role": "kiosk", "token": "commune-kiosk-000001"}]
    data["sites"].append(other)
    return other


Change = Callable[[dict[str, Any]], object]

# (id, change to the valid data, expected key, words the message must contain)
CASES: list[tuple[str, Change, str, tuple[str, ...]]] = [
    # Unknown keys and typos.
    ("unknown top-level table", lambda data: data.update(servr={}),
     "servr", ("unknown key", "server")),
    ("typo of an optional key", lambda data: site(data).update(ticket_foter="Cảm ơn"),
     "sites[0].ticket_foter", ("unknown key", "ticket_footer")),
    ("typo of a required key",
     lambda data: site(data)["services"][0].update(nmae_vi=site(data)["services"][0]
                                                   .pop("name_vi")),
     "sites[0].services[0].name_vi", ("is required", "nmae_vi")),
    ("a site code the booking pages use", lambda data: site(data).update(code="tra-cuu"),
     "sites[0].code", ("cannot be a site's code", "/dat-lich/tra-cuu")),
    ("a site code the booking pages use, in capitals", lambda data: site(data).update(
        code="MA"), "sites[0].code", ("cannot be a site's code", "/dat-lich/ma")),
    ("unknown key in server", lambda data: data["server"].update(workers=4),
     "server.workers", ("unknown key",)),
    ("unknown key in a counter", lambda data: site(data)["counters"][1].update(colour="red"),
     "sites[0].counters[1].colour", ("unknown key",)),
    # Wrong types.
    ("port as text", lambda data: data["server"].update(port="8765"),
     "server.port", ("whole number", "'8765'")),
    ("boolean for a number", lambda data: site(data).update(rating_window_seconds=True),
     "sites[0].rating_window_seconds", ("not a boolean",)),
    ("text for a boolean", lambda data: site(data).update(requeue_no_show="yes"),
     "sites[0].requeue_no_show", ("true or false",)),
    ("sites as one table", lambda data: data.update(sites=site(data)),
     "sites", ("must be a list", "a table")),
    ("services as text", lambda data: site(data)["counters"][0].update(services="KS"),
     "sites[0].counters[0].services", ("must be a list",)),
    ("a number in a list of codes", lambda data: site(data)["counters"][0].update(
        services=["KS", 7]), "sites[0].counters[0].services[1]", ("must be text",)),
    ("a field that is not a table", lambda data: site(data).update(fields=["HT"]),
     "sites[0].fields[0]", ("must be a table",)),
    ("server not a table", lambda data: data.update(server="localhost"),
     "server", ("must be a table",)),
    # Missing required keys.
    ("no sites", lambda data: data.pop("sites"), "sites", ("is required",)),
    ("empty sites", lambda data: data.update(sites=[]), "sites", ("at least one site",)),
    ("site without a name", lambda data: site(data).pop("name_vi"),
     "sites[0].name_vi", ("is required",)),
    ("site without counters", lambda data: site(data).pop("counters"),
     "sites[0].counters", ("is required",)),
    ("site with no services", lambda data: site(data).update(services=[]),
     "sites[0].services", ("at least one service",)),
    ("service without a field", lambda data: site(data)["services"][0].pop("field"),
     "sites[0].services[0].field", ("is required",)),
    ("service without numbers", lambda data: site(data)["services"][0].pop("number_group"),
     "sites[0].services[0].numbers", ("is required", "number_group")),
    ("officer without a hash", lambda data: site(data)["officers"][0].pop("password_hash"),
     "sites[0].officers[0].password_hash", ("is required",)),
    ("rating without a score", lambda data: site(data)["rating_scale"][1].pop("score"),
     "sites[0].rating_scale[1].score", ("is required",)),
    ("token without a role", lambda data: site(data)["tokens"][0].pop("role"),
     "sites[0].tokens[0].role", ("is required",)),
    # Number formats.
    ("number format with a digit", lambda data: site(data)["number_groups"][0].update(
        numbers="A##1"), "sites[0].number_groups[0].numbers", ("not a number format",)),
    ("lower-case prefix", lambda data: site(data)["number_groups"][0].update(numbers="a###"),
     "sites[0].number_groups[0].numbers", ("not a number format", "A###")),
    ("range with leading zeros", lambda data: site(data)["number_groups"][1].update(
        numbers="0001-0999"), "sites[0].number_groups[1].numbers",
     ("leading zeros", "prefix", "'A###'", "1-999")),
    ("range running down", lambda data: site(data)["number_groups"][1].update(
        numbers="1999-1001"), "sites[0].number_groups[1].numbers", ("upwards",)),
    ("range from zero", lambda data: site(data)["number_groups"][1].update(numbers="0-999"),
     "sites[0].number_groups[1].numbers", ("upwards",)),
    ("implicit format is checked too", lambda data: site(data)["services"][2].update(
        numbers="B"), "sites[0].services[2].numbers", ("not a number format",)),
    # Overlaps and duplicates of number groups.
    ("overlapping ranges", lambda data: site(data)["number_groups"].append(
        {"code": "tax", "numbers": "1900-2999"}), "sites[0].number_groups[2].numbers",
     ("overlaps", "1001-1999", "'land'")),
    ("duplicate prefixes", lambda data: site(data)["number_groups"].append(
        {"code": "other", "numbers": "A##"}), "sites[0].number_groups[2].numbers",
     ("prefix 'A'", "'civil'")),
    ("implicit group reusing a prefix", lambda data: site(data)["services"][2].update(
        numbers="A####"), "sites[0].services[2].numbers", ("prefix 'A'", "'civil'")),
    ("duplicate group codes", lambda data: site(data)["number_groups"].append(
        {"code": "civil", "numbers": "C###"}), "sites[0].number_groups[2].code",
     ("'civil'", "appears twice", "sites[0].number_groups[0].code")),
    ("implicit group named like an explicit one", lambda data: site(data)["number_groups"]
     .append({"code": "CT", "numbers": "C###"}), "sites[0].services[2].numbers",
     ("'CT'", "sites[0].number_groups[2]", "number_group = 'CT'")),
    ("numbers and number_group both", lambda data: site(data)["services"][0].update(
        numbers="C###"), "sites[0].services[0].numbers", ("not both",)),
    ("unknown number group", lambda data: site(data)["services"][0].update(
        number_group="nope"), "sites[0].services[0].number_group", ("'nope'",)),
    ("daily limit above the range", lambda data: site(data)["services"][1].update(
        daily_limit=1000), "sites[0].services[1].daily_limit", ("1000", "999", "'land'")),
    ("daily limit of zero", lambda data: site(data)["services"][0].update(daily_limit=0),
     "sites[0].services[0].daily_limit", ("at least 1",)),
    # References between sections.
    ("unknown field", lambda data: site(data)["services"][0].update(field="XX"),
     "sites[0].services[0].field", ("no field 'XX'",)),
    ("unknown service in a counter", lambda data: site(data)["counters"][1].update(
        services=["DD", "XX"]), "sites[0].counters[1].services[1]", ("no service 'XX'",)),
    ("service twice in a counter", lambda data: site(data)["counters"][1].update(
        services=["DD", "KS", "DD"]), "sites[0].counters[1].services[2]", ("appears twice",)),
    ("counter with no services", lambda data: site(data)["counters"][1].update(services=[]),
     "sites[0].counters[1].services", ("at least one service",)),
    ("unknown zone", lambda data: site(data)["counters"][0].update(zone="B2"),
     "sites[0].counters[0].zone", ("no zone 'B2'",)),
    ("unknown call order", lambda data: site(data)["counters"][0].update(order="random"),
     "sites[0].counters[0].order", ("preference or arrival",)),
    ("service no counter serves", lambda data: site(data)["counters"][0].update(
        services=["KS"]), "sites[0].services[2]", ("no counter serves it",)),
    ("unknown counter for an officer", lambda data: site(data)["officers"][0].update(
        counters=["Q1", "Q7"]), "sites[0].officers[0].counters[1]", ("no counter 'Q7'",)),
    ("counter twice for an officer", lambda data: site(data)["officers"][0].update(
        counters=["Q1", "Q2", "Q1"]), "sites[0].officers[0].counters[2]",
     ("'Q1'", "appears twice")),
    # Time.
    ("unknown time zone", lambda data: site(data).update(timezone="Asia/Hanoi_City"),
     "sites[0].timezone", ("unknown time zone",)),
    ("issue hours without minutes", lambda data: site(data).update(issue_hours="7-17"),
     "sites[0].issue_hours", ("07:00-17:00",)),
    ("issue hours backwards", lambda data: site(data).update(issue_hours="17:00-07:00"),
     "sites[0].issue_hours", ("closing must come after opening",)),
    ("issue hours out of range", lambda data: site(data).update(issue_hours="07:00-25:00"),
     "sites[0].issue_hours", ("hour",)),
    # Opening hours (sessions per weekday, closed days, exceptions).
    ("issue hours and opening hours both", lambda data: site(data).update(
        opening_hours={"monday": "07:30-11:30"}), "sites[0].opening_hours",
     ("either issue_hours or opening_hours", "'07:00-17:00'")),
    ("overlapping sessions", lambda data: hours(data, monday="07:30-11:30, 11:00-17:00"),
     "sites[0].opening_hours.monday", ("11:00-17:00 overlaps 07:30-11:30",)),
    ("sessions out of order", lambda data: hours(data, friday="13:30-17:00, 07:30-11:30"),
     "sites[0].opening_hours.friday", ("in the order of the day",)),
    ("touching sessions", lambda data: hours(data, monday="07:30-11:30, 11:30-17:00"),
     "sites[0].opening_hours.monday", ("write them as one session (07:30-17:00)",)),
    ("a session backwards", lambda data: hours(data, tuesday="17:00-13:30"),
     "sites[0].opening_hours.tuesday", ("closing must come after opening",)),
    ("a session without minutes", lambda data: hours(data, monday="7h30-11h30"),
     "sites[0].opening_hours.monday", ("not a session like '07:30-11:30'",)),
    ("a session past midnight", lambda data: hours(data, monday="20:00-24:30"),
     "sites[0].opening_hours.monday", ("00:00 to 23:59", "24:00")),
    ("a session at minute 60", lambda data: hours(data, monday="07:60-11:30"),
     "sites[0].opening_hours.monday", ("00:00 to 23:59",)),
    ("sessions as a list", lambda data: hours(data, monday=["07:30-11:30"]),
     "sites[0].opening_hours.monday", ("must be text",)),
    ("an unknown weekday", lambda data: hours(data, thurday="07:30-11:30"),
     "sites[0].opening_hours.thurday", ("unknown key", "'thursday'")),
    ("no working day", lambda data: site(data).update(
        issue_hours="", opening_hours={"closed": ["2027-01-01"], "monday": ""}),
     "sites[0].opening_hours", ("opens on no day of the week",)),
    ("a closed day that does not exist", lambda data: hours(data, closed=["2027-02-30"]),
     "sites[0].opening_hours.closed[0]", ("'2027-02-30' is not a date", "range for month")),
    ("a closed day written day first", lambda data: hours(data, closed=["30/04/2027"]),
     "sites[0].opening_hours.closed[0]", ("not a date like '2027-04-30'",)),
    ("a closed range ending before it starts", lambda data: hours(
        data, closed=["2027-01-01", "2027-02-11..2027-02-05"]),
     "sites[0].opening_hours.closed[1]", ("ends before it starts",)),
    ("an exception dated twice", lambda data: hours(data, exceptions=[
        {"date": "2027-02-13", "hours": ""}, {"date": "2027-02-14", "hours": ""},
        {"date": "2027-02-13", "hours": "07:30-11:30"}]),
     "sites[0].opening_hours.exceptions[2].date",
     ("date '2027-02-13' appears twice", "sites[0].opening_hours.exceptions[0].date")),
    ("an exception without hours", lambda data: hours(data, exceptions=[
        {"date": "2027-02-13"}]), "sites[0].opening_hours.exceptions[0].hours",
     ("is required",)),
    ("an exception with a bad date", lambda data: hours(data, exceptions=[
        {"date": "2027-13-01", "hours": ""}]), "sites[0].opening_hours.exceptions[0].date",
     ("is not a date",)),
    ("a service's overlapping sessions", lambda data: site(data)["services"][1].update(
        opening_hours={"monday": "07:30-11:30, 09:00-10:00"}),
     "sites[0].services[1].opening_hours.monday", ("overlaps",)),
    ("a service's closed range backwards", lambda data: site(data)["services"][0].update(
        opening_hours={"closed": ["2027-09-03..2027-09-02"]}),
     "sites[0].services[0].opening_hours.closed[0]", ("ends before it starts",)),
    # Codes and duplicates.
    ("code with a space", lambda data: site(data)["counters"][0].update(code="Q 1"),
     "sites[0].counters[0].code", ("not a code",)),
    ("duplicate service codes", lambda data: site(data)["services"].append(
        {**site(data)["services"][0]}), "sites[0].services[3].code",
     ("'KS'", "appears twice", "sites[0].services[0].code")),
    ("duplicate counter codes", lambda data: site(data)["counters"].append(
        {**site(data)["counters"][0]}), "sites[0].counters[2].code", ("'Q1'", "appears twice")),
    ("duplicate field codes", lambda data: site(data)["fields"].append(
        {"code": "HT", "name_vi": "Hộ tịch 2"}), "sites[0].fields[1].code", ("appears twice",)),
    ("duplicate zone codes", lambda data: site(data)["zones"].append(
        {"code": "MC", "name_vi": "Một cửa 2"}), "sites[0].zones[1].code", ("appears twice",)),
    ("duplicate officers", lambda data: site(data)["officers"].append(
        {**site(data)["officers"][0]}), "sites[0].officers[1].user", ("user 'an'",)),
    ("duplicate rating scores", lambda data: site(data)["rating_scale"].append(
        {"score": 2, "label_vi": "Tạm được"}), "sites[0].rating_scale[2].score",
     ("score '2'", "appears twice")),
    ("duplicate site codes", lambda data: second_site(data).update(code="ward"),
     "sites[1].code", ("'ward'", "appears twice")),
    ("duplicate priority groups", lambda data: site(data).update(priority_groups=[
        {"code": "elderly", "name_vi": "Người cao tuổi"},
        {"code": "elderly", "name_vi": "Người già"}]), "sites[0].priority_groups[1].code",
     ("appears twice",)),
    # Values out of range.
    ("port too high", lambda data: data["server"].update(port=70000),
     "server.port", ("at most 65535",)),
    ("expected minutes zero", lambda data: site(data)["services"][0].update(
        expected_minutes=0), "sites[0].services[0].expected_minutes", ("more than 0",)),
    ("unknown service kind", lambda data: site(data)["services"][0].update(kind="pay"),
     "sites[0].services[0].kind", ("submit, collect or other",)),
    ("unknown policy", lambda data: site(data).update(priority_policy={"kind": "fair"}),
     "sites[0].priority_policy.kind", ("strict or interleave",)),
    ("interleave of zero", lambda data: site(data).update(
        priority_policy={"kind": "interleave", "normal": 0}),
     "sites[0].priority_policy.normal", ("at least 1",)),
    ("rating score zero", lambda data: site(data)["rating_scale"][1].update(score=0),
     "sites[0].rating_scale[1].score", ("at least 1",)),
    ("unknown role", lambda data: site(data)["tokens"][0].update(role="boss"),
     "sites[0].tokens[0].role", ("kiosk, counter, display, admin, bridge or centre",)),
    ("a manager's device token", lambda data: site(data)["tokens"][0].update(role="manager"),
     "sites[0].tokens[0].role", ("managers sign in with an account",)),
    ("bridge token without counters", lambda data: site(data)["tokens"][0].update(
        role="bridge"), "sites[0].tokens[0].counters", ("must list the counters",)),
    ("bridge token naming an unknown counter", lambda data: site(data)["tokens"][0].update(
        role="bridge", counters=["Q9"]), "sites[0].tokens[0].counters[0]", ("no counter 'Q9'",)),
    ("counters on a kiosk token", lambda data: site(data)["tokens"][0].update(
        counters=["Q1"]), "sites[0].tokens[0].counters", ("only a bridge token",)),
    # A device's profile: only the keys its role uses, naming what exists.
    ("a kiosk in an unknown zone", lambda data: site(data)["tokens"][0].update(zone="B9"),
     "sites[0].tokens[0].zone", ("no zone 'B9'",)),
    ("a counter terminal at an unknown counter", lambda data: site(data)["tokens"][0].update(
        role="counter", counter="Q9"), "sites[0].tokens[0].counter", ("no counter 'Q9'",)),
    ("a printer on a display", lambda data: site(data)["tokens"][0].update(
        role="display", printer="usb://04b8:0e15"), "sites[0].tokens[0].printer",
     ("only a kiosk token has a printer",)),
    ("a paper roll of 70 mm", lambda data: site(data)["tokens"][0].update(paper_width=70),
     "sites[0].tokens[0].paper_width", ("must be 58 or 80, got 70",)),
    ("a screen in French", lambda data: site(data)["tokens"][0].update(language="fr"),
     "sites[0].tokens[0].language", ("must be vi or en",)),
    ("a voice on a kiosk", lambda data: site(data)["tokens"][0].update(voice="nu-mien-bac"),
     "sites[0].tokens[0].voice", ("only a display token has a voice",)),
    ("an officer active as text", lambda data: site(data)["officers"][0].update(active="no"),
     "sites[0].officers[0].active", ("must be",)),
    ("kiosk rating as text", lambda data: site(data).update(kiosk_rating="yes"),
     "sites[0].kiosk_rating", ("must be",)),
    # Targets and web accounts.
    ("a target wait of zero", lambda data: site(data)["services"][0].update(
        target_wait_minutes=0), "sites[0].services[0].target_wait_minutes", ("more than 0",)),
    ("a site target as text", lambda data: site(data).update(target_wait_minutes="nửa giờ"),
     "sites[0].target_wait_minutes", ("must be",)),
    ("an account of an unknown role", lambda data: data.update(accounts=[
        {"user": "a", "full_name": "A", "password_hash": HASH, "role": "boss"}]),
     "accounts[0].role", ("manager, admin or province",)),
    ("a manager of no site", lambda data: data.update(accounts=[
        {"user": "a", "full_name": "A", "password_hash": HASH, "role": "manager"}]),
     "accounts[0].sites", ("must list the sites",)),
    ("a manager of an unknown site", lambda data: data.update(accounts=[
        {"user": "a", "full_name": "A", "password_hash": HASH, "role": "manager",
         "sites": ["nowhere"]}]), "accounts[0].sites[0]", ("no site 'nowhere'",)),
    ("a province account listing sites", lambda data: data.update(accounts=[
        {"user": "a", "full_name": "A", "password_hash": HASH, "role": "province",
         "sites": ["tinh"]}]), "accounts[0].sites", ("list none",)),
    ("an account named twice", lambda data: data.update(accounts=[
        {"user": "a", "full_name": "A", "password_hash": HASH, "role": "province"},
        {"user": "a", "full_name": "B", "password_hash": HASH, "role": "province"}]),
     "accounts[1].user", ("appears twice",)),
    # Addresses.
    ("wildcard host without a public url", lambda data: data["server"].update(host="0.0.0.0"),
     "server.public_url", ("is required when host is '0.0.0.0'", "QR", "phones can reach")),
    ("IPv6 wildcard host without a public url", lambda data: data["server"].update(host="::"),
     "server.public_url", ("is required when host is '::'",)),
    ("public url without a scheme", lambda data: data["server"].update(
        public_url="192.168.1.10:8765"), "server.public_url", ("http://",)),
]

# (id, change, expected key, secret that must not appear, words the message must contain)
SECRET_CASES: list[tuple[str, Change, str, str, tuple[str, ...]]] = [
    ("plain-text password", lambda data: site(data)["officers"][0].update(
        password_hash="matkhau123"), "sites[0].officers[0].password_hash", "matkhau123",
     ("plain password", "qms hash-password")),
    ("a manager's plain-text password", lambda data: data.update(accounts=[
        {"user": "a", "full_name": "A", "password_hash": "matkhau123", "role": "province"}]),
     "accounts[0].password_hash", "matkhau123", ("plain password",)),
    ("truncated hash", lambda data: site(data)["officers"][0].update(
        password_hash=HASH[:30]), "sites[0].officers[0].password_hash", HASH[:30],
     ("not a complete hash",)),
    ("hash of the wrong type", lambda data: site(data)["officers"][0].update(
        password_hash=12345678), "sites[0].officers[0].password_hash", "12345678",
     ("must be text",)),
    ("short device token", lambda data: site(data)["tokens"][0].update(token="kiosk-1"),
     "sites[0].tokens[0].token", "kiosk-1", ("at least 12 characters",)),
    ("short admin token", lambda data: data["server"].update(admin_tokens=["admin-1"]),
     "server.admin_tokens[0]", "admin-1", ("at least 12 characters",)),
    ("admin tokens as text", lambda data: data["server"].update(admin_tokens=ADMIN_TOKEN),
     "server.admin_tokens", ADMIN_TOKEN, ("must be a list",)),
    ("short secret", lambda data: data["server"].update(secret="short-secret"),
     "server.secret", "short-secret", ("at least 16 characters", "leave it out")),
    ("empty secret", lambda data: data["server"].update(secret=""),
     "server.secret", SECRET, ("at least 16 characters",)),
    ("token used twice at a site", lambda data: site(data)["tokens"].append(
        {"name": "Ki-ốt 2", "role": "kiosk", "token": KIOSK_TOKEN}),
     "sites[0].tokens[1].token", KIOSK_TOKEN, ("same token as sites[0].tokens[0].token",)),
    ("token shared by two sites", lambda data: second_site(data)["tokens"][0].update(
        token=KIOSK_TOKEN), "sites[1].tokens[0].token", KIOSK_TOKEN,
     ("same token as sites[0].tokens[0].token", "unique")),
    ("device token equal to an admin token", lambda data: site(data)["tokens"][0].update(
        token=ADMIN_TOKEN), "sites[0].tokens[0].token", ADMIN_TOKEN,
     ("same token as server.admin_tokens[0]",)),
    ("admin token given twice", lambda data: data["server"].update(
        admin_tokens=[ADMIN_TOKEN, ADMIN_TOKEN]), "server.admin_tokens[1]", ADMIN_TOKEN,
     ("same token as server.admin_tokens[0]",)),
]


def broken(change: Change) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    change(data)
    return data


def test_the_valid_file_loads() -> None:
    settings = parse_settings(copy.deepcopy(BASE))
    site_settings = settings.sites[0]
    assert [service.code for service in site_settings.services] == ["KS", "DD", "CT"]
    assert {group.code for group in site_settings.number_groups} == {"civil", "land", "CT"}
    assert site_settings.service("DD") is not None
    assert settings.server.secret == SECRET
    assert settings.server.public_url == "http://127.0.0.1:8765"
    assert [label.score for label in site_settings.rating_scale] == [2, 1]


@pytest.mark.parametrize(("change", "key", "words"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_a_wrong_file_names_the_key_and_the_reason(
    change: Change, key: str, words: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(broken(change))
    error = caught.value
    assert error.key == key, str(error)
    assert str(error).startswith(f"{key}: ")
    for word in words:
        assert word in error.reason, (word, error.reason)


@pytest.mark.parametrize(("change", "key", "secret", "words"),
                         [case[1:] for case in SECRET_CASES],
                         ids=[case[0] for case in SECRET_CASES])
def test_a_wrong_secret_is_named_never_shown(
    change: Change, key: str, secret: str, words: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(broken(change))
    error = caught.value
    assert error.key == key, str(error)
    assert secret not in str(error)
    for word in words:
        assert word in error.reason, (word, error.reason)


def test_a_missing_key_gets_no_far_fetched_spelling_hint() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(broken(lambda data: site(data).pop("counters")))
    assert caught.value.reason == "is required"


def test_a_wildcard_host_with_a_public_url_loads() -> None:
    data = broken(lambda data: data["server"].update(host="0.0.0.0",
                                                     public_url="http://192.168.1.10:8765/"))
    server = parse_settings(data).server
    assert (server.host, server.public_url) == ("0.0.0.0", "http://192.168.1.10:8765")


def test_an_ipv6_host_gets_a_bracketed_public_url() -> None:
    server = parse_settings(broken(lambda data: data["server"].update(host="::1"))).server
    assert server.public_url == "http://[::1]:8765"


def test_no_secret_is_left_for_ensure_secret() -> None:
    settings = parse_settings(broken(lambda data: data["server"].pop("secret")))
    assert settings.server.secret == ""


def test_a_limit_equal_to_the_range_is_fine() -> None:
    data = broken(lambda data: site(data)["services"][1].update(daily_limit=999))
    dd = parse_settings(data).sites[0].service("DD")
    assert dd is not None and dd.daily_limit == 999


def test_a_prefix_group_has_no_capacity_to_exceed() -> None:
    data = broken(lambda data: site(data)["services"][0].update(daily_limit=5000))
    ks = parse_settings(data).sites[0].service("KS")
    assert ks is not None and ks.daily_limit == 5000


def test_opening_hours_load_from_toml_with_plain_dates() -> None:
    text = VALID.replace('issue_hours = "07:00-17:00"\n', "").replace(
        '[[sites.fields]]', """[sites.opening_hours]
monday = "07:30-11:30, 13:30-17:00"
saturday = "07:30-11:30"
sunday = ""
closed = [2027-01-01, "2027-02-05..2027-02-11", "2027-04-30"]

[[sites.opening_hours.exceptions]]
date = 2027-02-13
hours = "07:30-11:30, 13:30-17:00"

[[sites.opening_hours.exceptions]]
date = "2027-04-30"
hours = "07:30-11:30"

[[sites.fields]]""", 1).replace('daily_limit = 500', 'daily_limit = 500\n\n'
                                  '[sites.services.opening_hours]\nmonday = "07:30-11:30"\n'
                                  'friday = ""')
    loaded = parse_settings(tomllib.loads(text)).sites[0]
    hours = loaded.opening_hours
    assert hours is not None and loaded.issue_hours is None
    assert [None if day is None else [item.text() for item in day] for day in hours.week] == [
        ["07:30-11:30", "13:30-17:00"], None, None, None, None, ["07:30-11:30"], []]
    assert [(item.first.isoformat(), item.last.isoformat()) for item in hours.closed] == [
        ("2027-01-01", "2027-01-01"), ("2027-02-05", "2027-02-11"),
        ("2027-04-30", "2027-04-30")]
    assert [day.isoformat() for day, _ in hours.exceptions] == ["2027-02-13", "2027-04-30"]
    land = loaded.service("DD")
    assert land is not None and land.opening_hours is not None
    assert land.opening_hours.week[0] is not None and land.opening_hours.week[1] is None
    assert land.opening_hours.week[4] == ()


def test_issue_hours_alone_still_make_one_window_every_day() -> None:
    loaded = parse_settings(copy.deepcopy(BASE)).sites[0]
    assert loaded.opening_hours is None and loaded.issue_hours is not None
    schedule = loaded.schedule("KS")
    assert all(schedule.sessions_on(date(2027, 2, day)) == schedule.sessions_on(date(2027, 2, 1))
               for day in range(1, 8))
    assert [item.text() for item in schedule.sessions_on(date(2027, 2, 6))] == ["07:00-17:00"]


def test_a_range_without_leading_zeros_from_one_is_fine() -> None:
    data = broken(lambda data: site(data)["number_groups"][1].update(numbers="1-999"))
    group = parse_settings(data).sites[0].number_group("land")
    assert group is not None and group.format.render(5) == "5"


# --- files ---------------------------------------------------------------------------------


def test_bad_toml_syntax(tmp_path: Path) -> None:
    path = tmp_path / "qms.toml"
    path.write_text(VALID.replace('port = 8765', 'port = = 8765'), "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.key == ""
    assert "is not valid TOML" in str(caught.value)
    assert str(path) in str(caught.value)
    assert "line" in str(caught.value)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "absent.toml")


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "qms.toml"
    path.write_bytes(VALID.encode("cp1258", errors="replace"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(path)


def test_a_valid_file_loads_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "qms.toml"
    path.write_text(VALID, "utf-8")
    assert load_settings(path) == parse_settings(copy.deepcopy(BASE))


def test_the_bundled_demo_still_loads() -> None:
    settings = load_settings(None)
    assert len(settings.sites) == 2
    assert len(settings.server.secret) >= 16


# --- ensure_secret ---------------------------------------------------------------------------


@pytest.fixture
def without_secret() -> Settings:
    return parse_settings(broken(lambda data: data["server"].pop("secret")))


def test_ensure_secret_keeps_a_configured_secret(tmp_path: Path) -> None:
    settings = parse_settings(copy.deepcopy(BASE))
    assert ensure_secret(settings, tmp_path / "data") is settings
    assert not (tmp_path / "data").exists()


def test_ensure_secret_makes_and_keeps_one(tmp_path: Path, without_secret: Settings) -> None:
    data_dir = tmp_path / "nested" / "data"
    first = ensure_secret(without_secret, data_dir)
    secret = first.server.secret
    assert len(secret) >= 32
    path = data_dir / "secret.key"
    assert path.read_text("utf-8").strip() == secret
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert replace(first, server=replace(first.server, secret="")) == without_secret
    # A restart reads the same secret back, so ticket QR codes stay valid.
    assert ensure_secret(without_secret, data_dir).server.secret == secret


def test_ensure_secret_reads_an_existing_file(tmp_path: Path, without_secret: Settings) -> None:
    (tmp_path / "secret.key").write_text("kept-from-last-year-0123456789\n", "utf-8")
    assert ensure_secret(without_secret, tmp_path).server.secret == \
        "kept-from-last-year-0123456789"


def test_ensure_secret_refuses_a_short_file(tmp_path: Path, without_secret: Settings) -> None:
    (tmp_path / "secret.key").write_text("short\n", "utf-8")
    with pytest.raises(ConfigError) as caught:
        ensure_secret(without_secret, tmp_path)
    assert caught.value.key == "server.secret"
    assert "delete it" in caught.value.reason
    assert "short" not in caught.value.reason.replace("fewer", "")


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0,
                    reason="needs POSIX permissions and a non-root user")
def test_ensure_secret_in_a_read_only_place(tmp_path: Path, without_secret: Settings) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(ConfigError) as caught:
            ensure_secret(without_secret, tmp_path)
    finally:
        tmp_path.chmod(0o700)
    assert caught.value.key == "server.data_dir"


def test_targets_and_accounts_load() -> None:
    data = copy.deepcopy(BASE)
    site(data)["services"][0]["target_wait_minutes"] = 12
    site(data)["target_wait_minutes"] = 45
    data["accounts"] = [{"user": "gd", "full_name": "Giám đốc", "password_hash": HASH,
                         "role": "manager", "sites": [site(data)["code"]]},
                        {"user": "tinh", "full_name": "Tỉnh", "password_hash": HASH,
                         "role": "province"}]
    settings = parse_settings(data)
    loaded = settings.sites[0]
    first, second = loaded.services[0].code, loaded.services[1].code
    assert (loaded.target_wait_minutes_of(first), loaded.target_wait_minutes_of(second)) == (
        12, 45)
    manager, province = settings.accounts
    assert manager.may_see(loaded.code) and not manager.may_see("elsewhere")
    assert province.may_see("elsewhere")
    assert settings.account("tinh") is province and settings.account("nobody") is None
