"""``[sites.booking]`` and ``[sites.priority_by_age]``: read into settings, refused with a
reason naming the key, written back, and shown in the snapshot as the kiosk needs them."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import pytest
from support.servers import SITE, site_config

from server.config import ConfigError, Settings, load_settings, parse_settings, parse_site
from server.config.document import settings_document, site_document
from server.config.hours import Session
from server.config.settings import AgeRule, BookingPolicy, BookingSettings
from server.config.toml_writer import toml_text

BOOKING: dict[str, Any] = {
    "enabled": True, "days_ahead": 3, "hours": {"monday": "08:00-11:00, 13:30-16:00",
                                                "saturday": "08:00-11:00"},
    "slot_minutes": 20, "capacity": 4, "services": ["HT", "DD-NOP"],
    "policy": "at_check_in", "check_in_early_minutes": 10, "check_in_late_minutes": 5,
    "per_person_per_day": 3, "per_person_per_field_per_day": 2, "open_per_person": 4,
    "per_address_per_hour": 20, "reminder_minutes_before": 90, "personal_data_days": 14,
}


def config_with(booking: dict[str, Any] | None = None,
                age: dict[str, Any] | None = None) -> dict[str, Any]:
    config = site_config()
    if booking is not None:
        config["sites"][0]["booking"] = copy.deepcopy(booking)
    if age is not None:
        config["sites"][0]["priority_by_age"] = dict(age)
    return config


def refusal(booking: dict[str, Any] | None = None, age: dict[str, Any] | None = None) -> str:
    with pytest.raises(ConfigError) as raised:
        parse_settings(config_with(booking, age))
    return str(raised.value)


def test_without_tables_a_site_takes_no_bookings_and_has_no_age_rule() -> None:
    site = parse_settings(site_config()).sites[0]
    assert site.booking == BookingSettings()
    assert not site.booking.enabled and not site.booking.takes("HT")
    assert (site.booking.days_ahead, site.booking.per_person_per_day,
            site.booking.per_person_per_field_per_day, site.booking.personal_data_days) \
        == (6, 2, 1, 30)
    assert site.priority_by_age is None
    document = site_document(site)
    assert "booking" not in document and "priority_by_age" not in document


def test_every_key_is_read() -> None:
    site = parse_settings(config_with(BOOKING, {"group": "NCT", "age": 75})).sites[0]
    booking = site.booking
    assert booking.enabled and booking.policy is BookingPolicy.AT_CHECK_IN
    assert booking.takes("HT") and booking.takes("DD-NOP") and not booking.takes("DD-TRA")
    assert booking.hours is not None
    assert booking.hours.week[0] == (Session(480, 660), Session(810, 960))
    assert booking.hours.week[1] is None
    assert (booking.days_ahead, booking.slot_minutes, booking.capacity,
            booking.check_in_early_minutes, booking.check_in_late_minutes,
            booking.per_person_per_day, booking.per_person_per_field_per_day,
            booking.open_per_person, booking.per_address_per_hour,
            booking.reminder_minutes_before, booking.personal_data_days) == \
        (3, 20, 4, 10, 5, 3, 2, 4, 20, 90, 14)
    assert site.priority_by_age == AgeRule("NCT", 75)


def test_the_tables_make_the_round_trip() -> None:
    settings = parse_settings(config_with(BOOKING, {"group": "NCT", "age": 75}))
    document = settings_document(settings)
    assert document["sites"][0]["booking"]["policy"] == "at_check_in"
    assert document["sites"][0]["priority_by_age"] == {"group": "NCT", "age": 75}
    assert parse_settings(tomllib.loads(toml_text(document))) == settings
    assert parse_site(site_document(settings.sites[0])) == settings.sites[0]


@pytest.mark.parametrize(("change", "reason"), [
    ({"enabled": "yes"}, "sites[0].booking.enabled: must be true or false"),
    ({"days_ahead": 61}, "sites[0].booking.days_ahead: must be at most 60, got 61"),
    ({"days_ahead": -1}, "sites[0].booking.days_ahead: must be at least 0"),
    ({"slot_minutes": 4}, "sites[0].booking.slot_minutes: must be at least 5, got 4"),
    ({"capacity": 0}, "sites[0].booking.capacity: must be at least 1, got 0"),
    ({"policy": "first_come"},
     "sites[0].booking.policy: must be from_booking or at_check_in, got 'first_come'"),
    ({"services": ["HT", "KHAC"]}, "sites[0].booking.services[1]: no service 'KHAC'"),
    ({"services": ["HT", "HT"]}, "sites[0].booking.services[1]: code 'HT' appears twice"),
    ({"check_in_late_minutes": 241},
     "sites[0].booking.check_in_late_minutes: must be at most 240"),
    ({"per_person_per_day": 1, "per_person_per_field_per_day": 2},
     "sites[0].booking.per_person_per_field_per_day: 2 is more than per_person_per_day (1)"),
    ({"hours": {"monday": ""}}, "sites[0].booking.hours: takes bookings on no day of the week"),
    ({"hours": {"monday": "16:00-08:00"}}, "sites[0].booking.hours.monday"),
    ({"personal_data_days": 0}, "sites[0].booking.personal_data_days: must be at least 1"),
    ({"reminder_minutes_before": 1441},
     "sites[0].booking.reminder_minutes_before: must be at most 1440"),
    ({"reminders": True}, "sites[0].booking.reminders"),
])
def test_a_wrong_booking_key_is_refused_by_name(change: dict[str, Any], reason: str) -> None:
    assert reason in refusal({**BOOKING, **change})


@pytest.mark.parametrize(("age", "reason"), [
    ({"group": "KHUYET-TAT", "age": 75},
     "sites[0].priority_by_age.group: no priority group 'KHUYET-TAT'"),
    ({"group": "NCT", "age": 0}, "sites[0].priority_by_age.age: must be at least 1, got 0"),
    ({"group": "NCT", "age": 75.0}, "sites[0].priority_by_age.age"),
    ({"group": "NCT"}, "sites[0].priority_by_age.age"),
])
def test_a_wrong_age_rule_is_refused_by_name(age: dict[str, Any], reason: str) -> None:
    assert reason in refusal(age=age)


def test_the_demo_takes_bookings_at_the_province_only() -> None:
    demo = load_settings(None)
    province, ward = demo.sites[0], demo.sites[1]
    assert province.booking.enabled and not ward.booking.enabled
    assert province.booking.policy is BookingPolicy.FROM_BOOKING
    assert province.booking.hours is not None and province.booking.hours.week[6]
    assert province.priority_by_age == AgeRule("cao-tuoi", 60)
    assert demo.server.sms.kind.value == "log"


@pytest.fixture
def settings() -> Settings:
    """The server's settings in this module: bookings and the age rule on."""
    return parse_settings(config_with(BOOKING, {"group": "NCT", "age": 75}))


async def test_the_snapshot_shows_booking_and_the_age_rule(connect: Any) -> None:
    kiosk = await connect("kiosk")
    site = kiosk.hello_result["state"]["site"]
    assert site["code"] == SITE
    assert site["booking"] == {"enabled": True, "check_in_early_minutes": 10,
                               "check_in_late_minutes": 5}
    assert site["priority_by_age"] == {"group": "NCT", "age": 75}
