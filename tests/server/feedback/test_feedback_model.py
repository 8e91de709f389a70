"""The feedback form's rules without a server: every field's checks, the reference codes, and
the per-address bucket."""

from __future__ import annotations

import pytest

from server.feedback.limits import AddressBuckets, BucketPolicy
from server.feedback.model import (
    ALPHABET,
    TEXT_LIMIT,
    Category,
    State,
    code_hash,
    new_code,
    normal_contact,
    normal_ticket,
    normalized_code,
    read_answer,
    read_submission,
    shown_code,
)
from server.feedback.texts import FEEDBACK_TEXTS
from server.web.texts import Language

SITES = {"hcc-test", "xa-test"}
GOOD = {"site": "hcc-test", "category": "waiting", "text": "Chờ lâu quá.", "lang": "vi"}


def problems_of(**changes: str) -> dict[str, str]:
    fields = {**GOOD, **changes}
    submission, problems = read_submission(fields, SITES)
    assert (submission is None) == bool(problems)
    return {problem.field: problem.key for problem in problems}


def test_a_good_form_is_read_with_its_text_cleaned() -> None:
    submission, problems = read_submission(
        {**GOOD, "text": "  Dòng một\r\nDòng hai  ", "ticket": " a 012 ",
         "contact": "+84 912.345-678", "lang": "en"}, SITES)
    assert not problems and submission is not None
    assert submission.text == "Dòng một\nDòng hai"
    assert submission.ticket == "A012" and submission.contact == "0912345678"
    assert submission.category is Category.WAITING and submission.language == "en"


def test_decomposed_vietnamese_is_stored_composed() -> None:
    decomposed = "Cha\u0300o"  # "Chào" typed with a combining grave accent
    submission, _ = read_submission({**GOOD, "text": decomposed}, SITES)
    assert submission is not None and submission.text == "Chào"


@pytest.mark.parametrize(("changes", "expected"), [
    ({"site": ""}, {"site": "err_site_missing"}),
    ({"site": "nowhere"}, {"site": "err_site_unknown"}),
    ({"category": ""}, {"category": "err_category_missing"}),
    ({"category": "bribes"}, {"category": "err_category_unknown"}),
    ({"text": "   \r\n "}, {"text": "err_text_missing"}),
    ({"text": "x" * (TEXT_LIMIT + 1)}, {"text": "err_text_long"}),
    ({"text": "xin chào\x00"}, {"text": "err_control"}),
    ({"text": "xin\u0085chào"}, {"text": "err_control"}),
    ({"ticket": "10 01!"}, {"ticket": "err_ticket_format"}),
    ({"ticket": "1" * 17}, {"ticket": "err_ticket_format"}),
    ({"contact": "12345"}, {"contact": "err_contact"}),
    ({"contact": "ten@"}, {"contact": "err_contact"}),
    ({"contact": "ten@example"}, {"contact": "err_contact"}),
    ({"contact": "a..b@example.vn"}, {"contact": "err_contact"}),
    ({"contact": "x" * 110 + "@example.vn"}, {"contact": "err_contact"}),
    ({"site": "", "text": "", "contact": "?"},
     {"site": "err_site_missing", "text": "err_text_missing", "contact": "err_contact"}),
])
def test_each_bad_field_is_named(changes: dict[str, str], expected: dict[str, str]) -> None:
    assert problems_of(**changes) == expected


def test_the_longest_text_is_accepted() -> None:
    assert problems_of(text="ả" * TEXT_LIMIT) == {}


@pytest.mark.parametrize(("typed", "kept"), [
    ("0912 345 678", "0912345678"), ("(024) 3822.1234", "02438221234"),
    ("+84912345678", "0912345678"), ("84 912 345 678", "0912345678"),
    ("Nguyen.Van-A+gop.y@Example.GOV.vn", "Nguyen.Van-A+gop.y@example.gov.vn"),
])
def test_contacts_are_kept_in_one_form(typed: str, kept: str) -> None:
    assert normal_contact(typed) == kept


@pytest.mark.parametrize("typed", ["091234567", "091234567890", "1900 1234", "abc",
                                   "ten @example.vn", "@example.vn", "ten@-x.vn"])
def test_what_is_no_contact(typed: str) -> None:
    assert normal_contact(typed) is None


def test_tickets_are_letters_and_digits() -> None:
    assert normal_ticket(" a012 ") == "A012"
    assert normal_ticket("1001") == "1001"
    assert normal_ticket("1001;") is None


def test_codes_are_unguessable_and_typed_loosely() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    code = next(iter(codes))
    assert len(code) == 10 and set(code) <= set(ALPHABET)
    shown = shown_code(code)
    assert shown[5] == "-"
    assert normalized_code(shown.lower()) == code
    assert normalized_code(f" {shown[:3]} {shown[3:]} ") == code
    for wrong in ("", "ABCDE-2345", "ABCDE-234567", "ABCDE-2345O", "A" * 41):
        assert normalized_code(wrong) is None
    assert code_hash("secret-1", code) != code_hash("secret-2", code)
    assert code not in code_hash("secret-1", code)


def test_an_answer_needs_a_state_and_an_answered_one_its_text() -> None:
    assert read_answer({"state": "in_progress", "answer": ""}) == ((State.IN_PROGRESS, None),
                                                                   [])
    chosen, problems = read_answer({"state": "answered", "answer": " "})
    assert chosen is None and [p.key for p in problems] == ["err_answer_missing"]
    chosen, problems = read_answer({"state": "closed", "answer": "x"})
    assert chosen is None and [p.field for p in problems] == ["state"]
    assert read_answer({"state": "answered", "answer": "Đã xử lý."})[0] == (
        State.ANSWERED, "Đã xử lý.")


def test_both_languages_say_everything() -> None:
    vietnamese, english = (FEEDBACK_TEXTS[language] for language in Language)
    assert vietnamese.keys() == english.keys()
    for key, text in vietnamese.items():
        assert text.count("{") == english[key].count("{"), key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_address_sends_five_then_one_every_six_minutes() -> None:
    clock = Clock()
    buckets = AddressBuckets(clock)
    assert all(buckets.take("10.0.0.5") for _ in range(5))
    assert not buckets.take("10.0.0.5")
    assert buckets.wait_seconds("10.0.0.5") == pytest.approx(360)
    assert buckets.wait_minutes("10.0.0.5") == 6
    assert buckets.take("10.0.0.6")  # another address is not held back
    clock.now += 359
    assert not buckets.take("10.0.0.5")
    clock.now += 1
    assert buckets.take("10.0.0.5") and not buckets.take("10.0.0.5")
    clock.now += 10 * 3600  # refilled, never beyond five
    assert all(buckets.take("10.0.0.5") for _ in range(5))
    assert not buckets.take("10.0.0.5")


def test_the_buckets_kept_are_bounded() -> None:
    clock = Clock()
    buckets = AddressBuckets(clock, BucketPolicy(max_keys=100))
    for index in range(1000):
        buckets.take(f"10.0.{index // 256}.{index % 256}")
    assert len(buckets._buckets) <= 100
    clock.now += 5 * 360  # all full again: forgotten at the next send
    buckets.take("10.9.9.9")
    assert len(buckets._buckets) == 1
