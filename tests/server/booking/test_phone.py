"""Vietnamese phone numbers: read as people type them, kept in one form, refused with a
reason, shown masked; one rule shared by bookings and feedback contacts."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from server.booking.phone import (
    TYPED_LIMIT,
    PhoneError,
    mask_phone,
    normalise_contact_phone,
    normalise_phone,
)
from server.feedback.model import normal_contact

MOBILE = re.compile(r"0[35789][0-9]{8}")


@pytest.mark.parametrize(("typed", "kept"), [
    ("0912345678", "0912345678"),
    ("0912 345 678", "0912345678"),
    ("0912.345.678", "0912345678"),
    ("091-234-5678", "0912345678"),
    (" (091) 234 5678 ", "0912345678"),
    ("+84912345678", "0912345678"),
    ("+84 912 345 678", "0912345678"),
    ("+84 (0) 912 345 678", "0912345678"),
    ("0084912345678", "0912345678"),
    ("84912345678", "0912345678"),
    ("0362\u00a0123\u00a0456", "0362123456"),
    ("0561234567", "0561234567"),
    ("0701234567", "0701234567"),
    ("0843123456", "0843123456"),
])
def test_mobile_numbers_as_typed(typed: str, kept: str) -> None:
    assert normalise_phone(typed) == kept


@pytest.mark.parametrize(("typed", "words_en", "words_vi"), [
    ("", "is empty", "chưa nhập"),
    ("   ", "is empty", "chưa nhập"),
    ("091234567", "has 9", "có 9"),
    ("09123456789", "has 11", "có 11"),
    ("0112345678", "not a Vietnamese mobile", "không phải số di động"),
    ("0612345678", "not a Vietnamese mobile", "không phải số di động"),
    ("024 3822 1234", "landline", "máy bàn"),
    ("+1 202 555 0100", "only Vietnamese", "Việt Nam"),
    ("0044912345678", "only Vietnamese", "Việt Nam"),
    ("0912abc678", "only digits", "chỉ gồm chữ số"),
    ("09123456７8", "only digits", "chỉ gồm chữ số"),  # a full-width digit
    ("٠٩١٢٣٤٥٦٧٨", "only digits", "chỉ gồm chữ số"),  # Arabic-Indic digits
    ("+", "only digits", "chỉ gồm chữ số"),
    ("0912345678; DROP", "only digits", "chỉ gồm chữ số"),
    ("0" * (TYPED_LIMIT + 1), "too long", "quá dài"),
])
def test_what_is_no_mobile_number_says_why(typed: str, words_en: str, words_vi: str) -> None:
    with pytest.raises(PhoneError) as caught:
        normalise_phone(typed)
    assert isinstance(caught.value, ValueError)
    assert words_en in str(caught.value) and words_en in caught.value.message_en
    assert words_vi in caught.value.message_vi


def test_contacts_take_landlines_too() -> None:
    assert normalise_contact_phone("(024) 3822.1234") == "02438221234"
    assert normalise_contact_phone("+84 24 3822 1234") == "02438221234"
    assert normalise_contact_phone("0912 345 678") == "0912345678"
    for typed in ("091234567", "0112345678", "1900 1234", "024 3822 123"):
        with pytest.raises(PhoneError, match="not a Vietnamese phone number"):
            normalise_contact_phone(typed)


def test_feedback_reads_phones_by_the_same_rule() -> None:
    assert normal_contact("+84 (0) 912 345 678") == "0912345678"
    assert normal_contact("024 3822 1234") == "02438221234"
    assert normal_contact("0612345678") is None


def test_masking() -> None:
    assert mask_phone("0912345678") == "091****678"
    assert mask_phone("02438221234") == "024*****234"
    assert mask_phone("12345") == "*****"
    assert mask_phone("") == ""


@given(st.text(max_size=40))
@example("+84")
@example("84")
@example("00")
@example("840912345678")
def test_junk_is_refused_or_read_as_a_mobile_number(text: str) -> None:
    try:
        phone = normalise_phone(text)
    except PhoneError as error:
        assert error.message_vi and error.message_en
        return
    assert MOBILE.fullmatch(phone)
    assert normalise_phone(phone) == phone


@given(st.text(alphabet="0123456789+-. ()", max_size=24))
def test_numbers_with_separators_are_refused_or_kept_whole(text: str) -> None:
    try:
        phone = normalise_contact_phone(text)
    except PhoneError:
        return
    # Only separators and the country code are dropped: the number's last digits are kept.
    digits = "".join(character for character in text if character.isdigit())
    assert digits.endswith(phone[1:])
    assert normalise_contact_phone(phone) == phone


@given(st.sampled_from("35789"), st.text(alphabet="0123456789", min_size=8, max_size=8),
       st.sampled_from(["0{}", "+84{}", "+84 (0){}", "84{}", "0084{}"]),
       st.sampled_from(["", " ", ".", "-"]))
def test_every_way_of_writing_a_mobile_number_gives_it(
        second: str, rest: str, form: str, separator: str) -> None:
    number = second + rest
    spaced = separator.join([number[:2], number[2:5], number[5:]])
    assert normalise_phone(form.format(spaced)) == "0" + number


@given(st.text(alphabet="0123456789", min_size=7, max_size=12))
def test_a_masked_number_hides_its_middle(phone: str) -> None:
    masked = mask_phone(phone)
    assert len(masked) == len(phone)
    assert masked[:3] == phone[:3] and masked[-3:] == phone[-3:]
    assert set(masked[3:-3]) == {"*"}
