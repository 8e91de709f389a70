"""The pure parts of bookings: codes (as typed, scanned, sealed), the CCCD number's structure,
ages, and the slots cut from opening and booking hours."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.booking import booking_config

from server.booking.form import read_choice
from server.booking.identity import age_on, cccd_problem, masked_cccd
from server.booking.model import (
    ALPHABET,
    IdentityKind,
    code_hash,
    new_code,
    normalized_code,
    page_key,
    seal_code,
    unseal_code,
)
from server.booking.slots import (
    bookable_days,
    check_in_window,
    find_slot,
    number_now_reopens,
    number_now_until,
    open_slots,
    reminder_at,
    slots_on,
)
from server.config import SiteSettings, parse_settings

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SECRET = "a-long-random-secret-0123456789"
codes = st.text(alphabet=ALPHABET, min_size=8, max_size=8)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A time of November 2026 in Hồ Chí Minh City (23 is a Monday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=ZONE)


@pytest.mark.parametrize(("typed", "code"), [
    ("ABCD2345", "ABCD2345"), ("abcd-2345", "ABCD2345"), (" ab cd 23 45 ", "ABCD2345"),
    ("QMSB:ABCD2345", "ABCD2345"), ("qmsb:abcd-2345", "ABCD2345"),
    ("ABCD234", None), ("ABCD23456", None), ("ABCD-O345", None), ("ABCD-1345", None),
    ("", None), ("A" * 33, None), ("001051012345|123|Nguyễn Văn A", None),
])
def test_a_code_as_typed_or_scanned(typed: str, code: str | None) -> None:
    assert normalized_code(typed) == code


@settings(max_examples=200, derandomize=True)
@given(codes)
def test_a_sealed_code_opens_with_the_secret_only(code: str) -> None:
    hashed = code_hash(SECRET, code)
    sealed = seal_code(SECRET, code)
    assert len(sealed) == 8 and set(sealed) <= set(ALPHABET)
    assert unseal_code(SECRET, sealed, hashed) == code
    assert unseal_code("another-secret-0123456789", sealed, hashed) != code or sealed == code
    assert len(page_key(SECRET, code)) == 16


def test_new_codes_use_the_alphabet() -> None:
    made = {new_code() for _ in range(200)}
    assert len(made) == 200 and all(len(code) == 8 and set(code) <= set(ALPHABET)
                                    for code in made)


@pytest.mark.parametrize(("number", "problem"), [
    ("001051012345", None), ("079090004321", None), ("096300000001", None),
    ("001 051 012 345", None), ("001.051.012.345", None),
    ("00105101234", "err_cccd_digits"), ("0010510123456", "err_cccd_digits"),
    ("00105101234a", "err_cccd_digits"), ("００１０５１０１２３４５", "err_cccd_digits"),
    ("003051012345", "err_cccd_province"), ("097051012345", "err_cccd_province"),
    ("000051012345", "err_cccd_province"),
    ("001451012345", "err_cccd_century"), ("001951012345", "err_cccd_century"),
    ("001227012345", "err_cccd_year"), ("001326012345", None),
])
def test_the_structure_of_a_cccd_number(number: str, problem: str | None) -> None:
    assert cccd_problem(number, date(2026, 11, 23)) == problem


@settings(max_examples=300, derandomize=True)
@given(st.text(max_size=50))
def test_any_text_is_a_cccd_number_or_a_reason(text: str) -> None:
    problem = cccd_problem(text, date(2026, 11, 23))
    assert problem is None or problem.startswith("err_cccd_")


def test_a_cccd_number_is_shown_masked() -> None:
    assert masked_cccd("001051012345") == "001*******45"


def test_ages() -> None:
    assert age_on(date(1951, 11, 23), date(2026, 11, 23)) == 75
    assert age_on(date(1951, 11, 24), date(2026, 11, 23)) == 74
    assert age_on(date(1952, 2, 29), date(2027, 2, 28)) == 74
    assert age_on(date(1952, 2, 29), date(2027, 3, 1)) == 75


def test_the_form_reads_a_choice() -> None:
    today = date(2026, 11, 23)
    choice, problems = read_choice({"when": "now", "by": "phone", "phone": "+84 912 345 678"},
                                   today)
    assert problems == [] and choice is not None
    assert (choice.start, choice.identity_kind, choice.identity) == (
        None, IdentityKind.PHONE, "0912345678")
    choice, problems = read_choice({"when": "2026-11-23T10:00:00+07:00", "by": "cccd",
                                    "cccd": "001 051 012 345"}, today)
    assert choice is not None and choice.identity == "001051012345"
    assert choice.start == local(23, 10)
    _, problems = read_choice({"when": "x" * 41, "by": "fax"}, today)
    assert [(item.field, item.key) for item in problems] == [
        ("when", "err_when_wrong"), ("by", "err_identity_missing")]


# --- slots --------------------------------------------------------------------------------


def site_with(**booking: object) -> SiteSettings:
    config = booking_config(**booking)
    config["sites"][0]["opening_hours"] = {
        "monday": "07:30-11:30, 13:30-17:00", "tuesday": "07:30-11:30, 13:30-17:00",
        "saturday": "07:30-11:30", "closed": ["2026-11-25"]}
    config["sites"][0]["services"][2]["opening_hours"] = {"monday": "08:00-10:00"}
    return parse_settings(config).sites[0]


def test_slots_are_cut_from_the_opening_hours() -> None:
    site = site_with(slot_minutes=45)
    monday = date(2026, 11, 23)
    # DD-NOP keeps the site's hours; a session's last piece shorter than a slot is left out.
    assert [f"{slot.start:%H:%M}-{slot.end:%H:%M}" for slot in slots_on(site, "DD-NOP",
                                                                        monday)] == [
        "07:30-08:15", "08:15-09:00", "09:00-09:45", "09:45-10:30", "10:30-11:15",
        "13:30-14:15", "14:15-15:00", "15:00-15:45", "15:45-16:30"]
    # HT has its own Monday hours within the site's.
    assert [f"{slot.start:%H:%M}" for slot in slots_on(site, "HT", monday)] == [
        "08:00", "08:45"]
    assert slots_on(site, "DD-NOP", date(2026, 11, 25)) == []  # closed that Wednesday
    assert slots_on(site, "DD-NOP", date(2026, 11, 26)) == []  # no Thursday hours


def test_booking_hours_narrow_the_opening_hours() -> None:
    site = site_with(hours={"monday": "08:00-10:00", "saturday": "08:00-09:00"},
                     slot_minutes=60)
    assert [f"{slot.start:%H:%M}" for slot in slots_on(site, "DD-NOP", date(2026, 11, 23))] \
        == ["08:00", "09:00"]
    assert slots_on(site, "DD-NOP", date(2026, 11, 24)) == []  # Tuesday: no booking hours


def test_days_slots_left_and_a_number_now() -> None:
    site = site_with(days_ahead=2)
    now = local(23, 9, 10)
    assert bookable_days(site, now) == [date(2026, 11, 23), date(2026, 11, 24),
                                        date(2026, 11, 25)]
    today = open_slots(site, "DD-NOP", date(2026, 11, 23), now)
    assert today[0].start == local(23, 9, 30)
    assert open_slots(site, "DD-NOP", date(2026, 11, 26), now) == []  # beyond days_ahead
    assert find_slot(site, "DD-NOP", local(23, 9, 30), now) == today[0]
    assert find_slot(site, "DD-NOP", local(23, 9, 0), now) is None  # started
    assert find_slot(site, "DD-NOP", local(23, 9, 40), now) is None  # not a slot's start
    assert number_now_until(site, "DD-NOP", now) == local(23, 11, 30)
    assert number_now_until(site, "DD-NOP", local(23, 12, 0)) is None  # lunch
    assert number_now_until(site_with(number_now=False), "DD-NOP", now) is None
    # While it cannot, when it can again: the afternoon session, the next open day.
    assert number_now_reopens(site, "DD-NOP", local(23, 12, 0)) == local(23, 13, 30)
    assert number_now_reopens(site, "DD-NOP", local(23, 7, 0)) == local(23, 7, 30)
    assert number_now_reopens(site, "DD-NOP", local(23, 17, 0)) == local(24, 7, 30)
    # Wednesday 25 is closed, Thursday and Friday have no hours: Saturday morning.
    assert number_now_reopens(site, "DD-NOP", local(24, 17, 30)) == local(28, 7, 30)
    # HT's own hours end Monday at 10:00; its Tuesday follows the centre's.
    assert number_now_reopens(site, "HT", local(23, 10, 0)) == local(24, 7, 30)
    assert number_now_reopens(site_with(number_now=False), "DD-NOP", local(23, 12)) is None
    assert number_now_reopens(site_with(services=["HT"]), "DD-NOP", local(23, 12)) is None
    slot = today[0]
    assert check_in_window(site, slot) == (local(23, 9), local(23, 9, 45))
    assert reminder_at(site, slot, now) is None  # 08:30 has passed
    assert reminder_at(site, slot, now - timedelta(hours=2)) == local(23, 8, 30)
