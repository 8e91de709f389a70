"""What a gateway is sent, from the templates: values escaped for where they go, filled in
one pass; Vietnamese marks taken off; a message's length in SMS."""

from __future__ import annotations

import json
import unicodedata
from urllib.parse import parse_qs, unquote

from hypothesis import given
from hypothesis import strategies as st

from server.booking.sms_format import (
    BodyFormat,
    PhoneFormat,
    fill_body,
    fill_message,
    fill_url,
    gateway_phone,
    single_sms_limit,
    strip_diacritics,
)

VOWELS = "aăâeêioôơuưy"
TONES = ["\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]  # huyền sắc hỏi ngã nặng


def every_vietnamese_letter() -> str:
    letters = [unicodedata.normalize("NFC", vowel + tone)
               for vowel in VOWELS for tone in ["", *TONES]]
    text = "".join(letters) + "đ"
    return text + text.upper()


def test_every_vietnamese_letter_loses_its_marks() -> None:
    letters = every_vietnamese_letter()
    assert len(letters) == 2 * (len(VOWELS) * 6 + 1)
    unaccented = strip_diacritics(letters)
    assert unaccented.isascii() and unaccented.isalpha()
    assert len(unaccented) == len(letters)
    assert set(unaccented) == set("aeiouydAEIOUYD")


def test_a_sentence_unaccented() -> None:
    assert strip_diacritics("Mã xác nhận đặt lịch của bạn là 123456, hiệu lực 5 phút.") == (
        "Ma xac nhan dat lich cua ban la 123456, hieu luc 5 phut.")
    # Written decomposed (as some keyboards do): the same.
    assert strip_diacritics(unicodedata.normalize("NFD", "Đặng Thị Hường")) == "Dang Thi Huong"


@given(st.text())
def test_unaccented_text_has_no_marks_and_ascii_stays(text: str) -> None:
    unaccented = strip_diacritics(text)
    assert not any(unicodedata.combining(character)
                   for character in unicodedata.normalize("NFD", unaccented))
    if text.isascii():
        assert unaccented == text


def test_values_are_escaped_for_where_they_go() -> None:
    values = {"phone": "0912345678", "text": 'Mã 1 & 2 = "3" {phone}\n', "sender": "TT HCC"}
    url = fill_url("https://sms.example.vn/s?to={phone}&m={text}&b={sender}", values)
    assert parse_qs(url.split("?", 1)[1]) == {
        "to": ["0912345678"], "m": ['Mã 1 & 2 = "3" {phone}\n'], "b": ["TT HCC"]}
    assert unquote(url).count("0912345678") == 1  # {phone} inside the text stays as it is
    body = fill_body('{"to": "{phone}", "m": "{text}", "n": {"x": "{sender}"}}', values,
                     BodyFormat.JSON)
    assert json.loads(body) == {"to": "0912345678", "m": values["text"],
                                "n": {"x": "TT HCC"}}
    form = fill_body("to={phone}&m={text}", values, BodyFormat.FORM)
    assert parse_qs(form.decode("ascii")) == {"to": ["0912345678"], "m": [values["text"]]}


@given(st.text())
def test_any_text_makes_valid_json(text: str) -> None:
    body = fill_body('{"m": "{text}"}', {"text": text}, BodyFormat.JSON)
    assert json.loads(body) == {"m": text}


def test_a_lone_surrogate_is_sent_as_a_question_mark() -> None:
    values = {"text": "a\ud800b"}
    assert json.loads(fill_body('{"m": "{text}"}', values, BodyFormat.JSON)) == {"m": "a?b"}
    assert fill_body("m={text}", values, BodyFormat.FORM) == b"m=a%3Fb"
    assert fill_url("http://x.vn/?m={text}", values) == "http://x.vn/?m=a%3Fb"


def test_phone_formats() -> None:
    assert gateway_phone("0912345678", PhoneFormat.NATIONAL) == "0912345678"
    assert gateway_phone("0912345678", PhoneFormat.INTERNATIONAL) == "84912345678"
    assert gateway_phone("0912345678", PhoneFormat.E164) == "+84912345678"


def test_messages() -> None:
    assert fill_message("Ma {code}, {minutes} phut {other}", "012345", 5) == (
        "Ma 012345, 5 phut {other}")
    assert single_sms_limit("Ma xac nhan 123456") == 160
    assert single_sms_limit("Mã xác nhận 123456") == 70
