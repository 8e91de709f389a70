"""The chip ID card's QR and booking codes (kiosk.models.cccd, kiosk.models.scan): real-shaped
cards read into their fields, every malformed text refused with a CccdError or ScanError that
names the field and never repeats the text, and never a bad ID number accepted (hypothesis).

All data is made up (the names say "test"; no number is anyone's on purpose)."""

from __future__ import annotations

import string
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardware.scanner.samples import booking_qr_text, id_card_text
from kiosk.models.cccd import (
    CardField,
    CccdError,
    IdCard,
    Sex,
    age_on,
    mask_id_number,
    parse_id_card,
)
from kiosk.models.scan import (
    CODE_ALPHABET,
    BookingCode,
    ScanError,
    ScanProblem,
    format_code,
    normalise_code,
    read_scan,
)

TODAY = date(2027, 3, 8)
CARD = ("001048000000|123456789|Nguyễn Văn Thử|15031948|Nam|"
        "Số 1 Đường Mẫu, Phường Thử Nghiệm, Hà Nội|10052021")


def card(**changes: str) -> str:
    """CARD with some of its seven fields replaced."""
    names = ["id", "old", "name", "birth", "sex", "address", "issued"]
    fields = dict(zip(names, CARD.split("|"), strict=True))
    fields.update(changes)
    return "|".join(fields[name] for name in names)


def refused(text: str) -> CccdError:
    with pytest.raises(CccdError) as caught:
        parse_id_card(text, TODAY)
    return caught.value


# --- real-shaped cards -----------------------------------------------------------------------

def test_a_card_reads_into_its_fields() -> None:
    read = parse_id_card(CARD, TODAY)
    assert read == IdCard(
        id_number="001048000000", old_id_number="123456789", full_name="Nguyễn Văn Thử",
        birth_date=date(1948, 3, 15), birth_date_exact=True, sex=Sex.MALE,
        address="Số 1 Đường Mẫu, Phường Thử Nghiệm, Hà Nội", issue_date=date(2021, 5, 10))
    assert read.age_on(TODAY) == 78
    assert read.age_on(date(2027, 3, 14)) == 78 and read.age_on(date(2027, 3, 15)) == 79


@pytest.mark.parametrize("text", [
    CARD + "\r\n",                       # the scanner's line end
    "\ufeff" + CARD,                     # a byte-order mark
    CARD + "|",                          # a trailing separator
    CARD + "|Thông tin thêm|1",          # newer cards' extra fields
    card(old=""),                        # no old ID number
    card(old="012345678901"),            # a 12-digit CMND
    card(sex="nữ"),                      # lower case
    card(sex="Nu?"),                     # garbled by a keyboard scanner: sex unknown
    card(name="Nguy?n V?n Th?"),         # garbled letters are kept as read
    " " + card(birth="15031948 ") + " ",  # spaces around fields
])
def test_cards_vary_and_are_still_read(text: str) -> None:
    read = parse_id_card(text, TODAY)
    assert read.id_number == "001048000000"
    assert read.birth_date == date(1948, 3, 15)


def test_decomposed_vietnamese_is_normalised() -> None:
    import unicodedata

    read = parse_id_card(unicodedata.normalize("NFD", card(sex="Nữ")), TODAY)
    assert read.sex is Sex.FEMALE and read.full_name == "Nguyễn Văn Thử"


def test_a_birth_date_with_only_the_year_is_its_last_day() -> None:
    """The age rule then never grants priority before the person is certainly that age."""
    read = parse_id_card(card(birth="00001952"), TODAY)
    assert (read.birth_date, read.birth_date_exact) == (date(1952, 12, 31), False)
    assert read.age_on(date(2027, 12, 30)) == 74 and read.age_on(date(2027, 12, 31)) == 75
    month_only = parse_id_card(card(birth="00021952"), TODAY)
    assert month_only.birth_date == date(1952, 2, 29)  # 1952 was a leap year
    assert not month_only.birth_date_exact


def test_the_emulators_sample_cards_read() -> None:
    for age in (5, 40, 75, 99):
        birth = date(TODAY.year - age, 1, 2)
        read = parse_id_card(id_card_text(birth, issued=date(2025, 1, 1)), TODAY)
        assert read.birth_date == birth and read.age_on(TODAY) == age
        assert read.id_number.endswith("000000")
    female = parse_id_card(id_card_text(date(2001, 6, 1), female=True,
                                        issued=date(2022, 1, 1)), TODAY)
    assert female.sex is Sex.FEMALE and female.id_number[3] == "3"  # 2000s, female


def test_a_record_never_shows_the_whole_number() -> None:
    read = parse_id_card(CARD, TODAY)
    assert repr(read) == str(read) == "IdCard(0010****0000)"
    assert "Thử" not in repr(read)
    assert mask_id_number("001234561234") == "0012****1234"
    assert mask_id_number("12345") == "*****"


def test_age_on_a_leap_day_birthday() -> None:
    birth = date(1952, 2, 29)
    assert age_on(birth, date(2027, 2, 28)) == 74
    assert age_on(birth, date(2027, 3, 1)) == 75
    assert age_on(birth, date(2028, 2, 29)) == 76


# --- refused, naming the field ----------------------------------------------------------------

@pytest.mark.parametrize(("text", "field"), [
    ("", CardField.TEXT),
    ("001048000000|123456789|Nguyễn Văn Thử", CardField.TEXT),
    (card(id="00104800000"), CardField.ID_NUMBER),        # 11 digits
    (card(id="0010480000000"), CardField.ID_NUMBER),      # 13 digits
    (card(id="00104800000O"), CardField.ID_NUMBER),       # a letter O
    (card(id="００１０４８００００００"), CardField.ID_NUMBER),  # full-width digits
    (card(id="٠٠١٠٤٨٠٠٠٠٠٠"), CardField.ID_NUMBER),       # Arabic-Indic digits
    (card(id="001 48000000"), CardField.ID_NUMBER),
    (card(id=""), CardField.ID_NUMBER),
    (card(old="12345"), CardField.OLD_ID_NUMBER),
    (card(old="12345678X"), CardField.OLD_ID_NUMBER),
    (card(birth="31021948"), CardField.BIRTH_DATE),       # no 31 February
    (card(birth="15131948"), CardField.BIRTH_DATE),       # month 13
    (card(birth="1503194"), CardField.BIRTH_DATE),
    (card(birth="15-03-1948"), CardField.BIRTH_DATE),
    (card(birth="09032027"), CardField.BIRTH_DATE),       # tomorrow
    (card(birth="01011890"), CardField.BIRTH_DATE),       # 137 years ago
    (card(birth="15000000"), CardField.BIRTH_DATE),
    (card(birth="15001948"), CardField.BIRTH_DATE),       # a day without its month
    (card(issued="10052028"), CardField.ISSUE_DATE),      # in the future
    (card(issued="00052021"), CardField.ISSUE_DATE),      # an issue date is always whole
    (card(issued="01011940"), CardField.ISSUE_DATE),      # before the birth
    ("x" * 5000, CardField.TEXT),
])
def test_a_wrong_field_is_named_and_not_repeated(text: str, field: CardField) -> None:
    error = refused(text)
    assert error.field is field
    vietnamese, english = error.message(english=False), error.message(english=True)
    assert vietnamese and english and vietnamese != english
    for value in ("001048000000", "Nguyễn", "123456789", "1948"):
        assert value not in str(error) + vietnamese + english


# --- hypothesis: malformed codes --------------------------------------------------------------

card_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
digits = st.text(alphabet="0123456789", min_size=0, max_size=14)
date_text = st.text(alphabet="0123456789", min_size=8, max_size=8)


def check_accepted(read: IdCard) -> None:
    """What every accepted card satisfies."""
    assert len(read.id_number) == 12 and set(read.id_number) <= set(string.digits)
    assert read.old_id_number == "" or (len(read.old_id_number) in (9, 12)
                                        and read.old_id_number.isascii()
                                        and read.old_id_number.isdigit())
    assert read.birth_date <= TODAY
    assert read.birth_date <= read.issue_date or not read.birth_date_exact
    assert read.issue_date <= TODAY


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(card_text)
def test_any_text_is_a_card_or_a_cccd_error(text: str) -> None:
    try:
        read = parse_id_card(text, TODAY)
    except CccdError as error:
        assert error.field in CardField
        return
    check_accepted(read)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(card_text.map(lambda text: text.replace("|", "")), digits,
                          date_text), min_size=0, max_size=10))
def test_any_fields_joined_are_a_card_or_a_cccd_error(fields: list[str]) -> None:
    """Structured garbage: the right number of fields more often, with digits and dates."""
    try:
        read = parse_id_card("|".join(fields), TODAY)
    except CccdError:
        return
    check_accepted(read)
    assert read.id_number == fields[0].strip()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="|\r\n"),
               max_size=20))
def test_never_a_bad_id_number(number: str) -> None:
    text = card(id=number)
    stripped = number.strip()
    if len(stripped) == 12 and set(stripped) <= set(string.digits):
        assert parse_id_card(text, TODAY).id_number == stripped
    else:
        assert refused(text).field is CardField.ID_NUMBER


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1897, 3, 9), max_value=TODAY), st.booleans())
def test_every_real_birth_date_is_read(birth: date, female: bool) -> None:
    read = parse_id_card(id_card_text(birth, female=female, issued=TODAY), TODAY)
    assert read.birth_date == birth and read.birth_date_exact
    assert read.sex is (Sex.FEMALE if female else Sex.MALE)


@settings(max_examples=200, deadline=None)
@given(date_text)
def test_any_eight_digits_as_a_birth_date(text: str) -> None:
    try:
        read = parse_id_card(card(birth=text, issued="08032027"), TODAY)
    except CccdError as error:
        assert error.field in (CardField.BIRTH_DATE, CardField.ISSUE_DATE)
        return
    assert read.birth_date <= TODAY
    if read.birth_date_exact:
        assert f"{read.birth_date:%d%m%Y}" == text


# --- booking codes and what a scan is ---------------------------------------------------------

def test_booking_codes_typed_or_scanned() -> None:
    assert normalise_code("abcd-efgh") == normalise_code(" ABCD EFGH ") == "ABCDEFGH"
    assert normalise_code("ABCD-EFG") is None           # 7 characters
    assert normalise_code("ABCD-EFGO") is None          # O is not in the alphabet
    assert normalise_code("ABCD-EFG1") is None          # nor 1
    assert normalise_code("ABCDEFGſ") is None          # a long s upper-cases to S
    assert normalise_code("ABCDEFﬀ") is None           # a ligature upper-cases to FF
    assert format_code("ABC") == "ABC" and format_code("ABCDE") == "ABCD-E"
    assert read_scan(booking_qr_text("K7MP-2QXA"), TODAY) == BookingCode("K7MP2QXA")
    assert read_scan("qmsb:k7mp2qxa\r\n", TODAY) == BookingCode("K7MP2QXA")
    assert read_scan("K7MP-2QXA", TODAY).shown == "K7MP-2QXA"  # type: ignore[union-attr]
    assert isinstance(read_scan(CARD, TODAY), IdCard)


@pytest.mark.parametrize(("text", "problem"), [
    ("QMSB:K7MP2QX", ScanProblem.BAD_BOOKING_CODE),
    ("QMSB:", ScanProblem.BAD_BOOKING_CODE),
    ("http://127.0.0.1:8765/t/abc", ScanProblem.UNKNOWN),  # a ticket's QR
    ("8934588012345", ScanProblem.UNKNOWN),                # a product's barcode
    ("", ScanProblem.UNKNOWN),
    ("a|b", ScanProblem.BAD_ID_CARD),
    (card(id="123"), ScanProblem.BAD_ID_CARD),
    ("Q" * 10_000, ScanProblem.UNKNOWN),
])
def test_scans_the_kiosk_cannot_use(text: str, problem: ScanProblem) -> None:
    with pytest.raises(ScanError) as caught:
        read_scan(text, TODAY)
    assert caught.value.problem is problem
    assert (caught.value.card_error is not None) is (problem is ScanProblem.BAD_ID_CARD)


@settings(max_examples=300, deadline=None)
@given(st.one_of(card_text, st.text(alphabet=CODE_ALPHABET + "-| qmsbQMSB:", max_size=20)))
def test_any_scan_is_a_code_a_card_or_a_scan_error(text: str) -> None:
    try:
        read = read_scan(text, TODAY)
    except ScanError as error:
        assert text not in str(error) or len(text) < 3
        return
    if isinstance(read, BookingCode):
        assert len(read.code) == 8 and set(read.code) <= set(CODE_ALPHABET)
    else:
        check_accepted(read)
