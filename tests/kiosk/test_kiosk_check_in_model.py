"""Check-in and scans in the Qt-free models: the keypad, a booking's QR, an ID card's lookup
(none, one, several), the age rule, refusals in both languages, what is kept of an ID card
and for how long, the keystroke timing rule. No Qt, no server; time is a fake clock."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date, time
from typing import Any

import pytest

from hardware.scanner.samples import booking_qr_text, id_card_text
from kiosk.models.booking import (
    Booking,
    BookingDataError,
    Person,
    read_bookings,
    server_sentence,
)
from kiosk.models.catalogue import AgeRule, Catalogue
from kiosk.models.check_in_texts import Refusal, RefusalKind, refusal_lines
from kiosk.models.keystrokes import BurstDetector
from kiosk.models.screens import (
    CHECK_IN_CODE,
    ChoiceKind,
    KioskModel,
    LookUpBookings,
    PendingCheckIn,
    PrintTicket,
    Screen,
    SendCheckIn,
    SendIssue,
)
from kiosk.models.status import ConnectionState, PrinterCondition
from kiosk.models.texts import Language

TODAY = date(2027, 3, 8)
ELDER = id_card_text(date(1950, 1, 2))           # 77 on TODAY
YOUNGER = id_card_text(date(1987, 6, 1), issued=date(2022, 1, 1))


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def screen(model: KioskModel) -> Screen:
    return model.screen


def state(booking: bool = True, age: int | None = 75,
          now: str | None = "2027-03-08T09:00:00+07:00") -> dict[str, Any]:
    site: dict[str, Any] = {"code": "hcc-test", "name": "Trung tâm thử nghiệm",
                            "name_en": "Test centre", "ticket_footer": "", "now": now,
                            "booking": {"enabled": booking, "check_in_early_minutes": 30,
                                        "check_in_late_minutes": 15},
                            "priority_by_age": None if age is None else {"group": "NCT",
                                                                         "age": age}}
    return {
        "site": site,
        "fields": [{"code": "DD", "name": "Đất đai"}, {"code": "TP", "name": "Tư pháp"}],
        "services": [
            {"code": "DD-NOP", "name": "Nộp hồ sơ đất đai", "field": "DD", "kind": "submit",
             "waiting": 1, "eta_minutes": 5, "open_counters": 1},
            {"code": "HT", "name": "Đăng ký khai sinh", "name_en": "Birth registration",
             "field": "TP", "kind": "submit", "waiting": 0, "eta_minutes": 0,
             "open_counters": 1},
        ],
        "priority_groups": [{"code": "NCT", "name": "Người cao tuổi", "name_en": "Elderly"}],
        "counters": [],
    }


def new_model(clock: FakeClock | None = None, **state_options: Any) -> KioskModel:
    keys = (f"key-{number}" for number in itertools.count(1))
    model = KioskModel(clock=clock or FakeClock(), new_request_key=lambda: next(keys),
                       idle_seconds=30, ticket_seconds=10, one_level_max_services=0)
    model.set_catalogue(Catalogue.from_state(state(**state_options)))
    model.set_connection(ConnectionState.ONLINE)
    return model


def wire_ticket(**changes: Any) -> dict[str, Any]:
    ticket: dict[str, Any] = {
        "id": "hcc-test:20270308:1", "number": "A001", "service": "HT",
        "service_name": "Đăng ký khai sinh", "priority": None, "status": "waiting",
        "ahead": 0, "eta_minutes": 0, "issued_at": "2027-03-08T09:01:00+07:00",
        "track_url": "http://127.0.0.1:8765/t/abc"}
    ticket.update(changes)
    return ticket


def booking(code: str = "K7MP2QXA", service: str = "HT") -> Booking:
    return Booking(code, service, "Đăng ký khai sinh", time(9, 0), time(9, 30), "booked")


# --- the snapshot ----------------------------------------------------------------------------

def test_the_snapshot_says_bookings_and_the_age_rule() -> None:
    site = Catalogue.from_state(state()).site
    assert site.booking_enabled and site.priority_by_age == AgeRule("NCT", 75)
    older = state()
    del older["site"]["booking"], older["site"]["priority_by_age"]
    site = Catalogue.from_state(older).site
    assert not site.booking_enabled and site.priority_by_age is None


# --- the keypad ---------------------------------------------------------------------------------

def test_home_offers_check_in_as_its_last_tile_where_the_site_takes_bookings() -> None:
    model = new_model()
    last = model.home_choices()[-1]
    assert (last.kind, last.code, last.title, last.accent, last.enabled) == (
        ChoiceKind.CHECK_IN, CHECK_IN_CODE, "Tôi đã đặt lịch", True, True)
    model.switch_language()
    assert model.home_choices()[-1].title == "I have a booking"
    assert all(choice.kind is not ChoiceKind.CHECK_IN
               for choice in new_model(booking=False).home_choices())


def test_typing_a_code_on_the_keypad_checks_it_in() -> None:
    model = new_model()
    model.open_check_in()
    assert screen(model) is Screen.CHECK_IN and model.typed_code == ""
    for character in "k7mp2qxa":
        model.type_code(character)
    model.type_code("Z")  # a ninth character: ignored
    assert model.typed_code == "K7MP2QXA" and model.code_complete
    model.erase_code()
    assert model.typed_code == "K7MP2QX" and not model.code_complete
    assert model.submit_code() == []
    for character in ("O", "1", "I", "0", "AB", ""):
        model.type_code(character)  # not in the alphabet, or not one character
    assert model.typed_code == "K7MP2QX"
    model.type_code("A")
    (effect,) = model.submit_code()
    assert effect == SendCheckIn(PendingCheckIn("key-1", "K7MP2QXA", None, Language.VIETNAMESE,
                                                typed=True))
    assert screen(model) is Screen.ISSUING
    (printing,) = model.issue_confirmed("key-1", issued())
    assert isinstance(printing, PrintTicket) and screen(model) is Screen.PRINTING


def issued() -> Any:
    from kiosk.models.ticket import IssuedTicket

    return IssuedTicket.from_wire(wire_ticket())


def test_clear_and_back() -> None:
    model = new_model()
    model.open_check_in()
    model.type_code("A")
    model.clear_code()
    assert model.typed_code == ""
    model.back()
    assert screen(model) is Screen.HOME


@pytest.mark.parametrize("condition", ["offline", "printer", "pending", "closed"])
def test_no_check_in_when_a_ticket_could_not_follow(condition: str) -> None:
    model = new_model()
    if condition == "offline":
        model.set_connection(ConnectionState.OFFLINE)
    elif condition == "printer":
        model.set_printer(PrinterCondition.PAPER_OUT)
    elif condition == "pending":
        model.choose_field("TP")
        model.choose_service("HT")
    else:
        closed = state()
        for service in closed["services"]:
            service["open"] = False
        model.set_catalogue(Catalogue.from_state(closed))
    assert not model.can_check_in
    model.open_check_in()
    assert screen(model) is not Screen.CHECK_IN
    assert model.scan(booking_qr_text("K7MP2QXA")) == []


def test_a_refused_typed_code_can_be_typed_again() -> None:
    model = new_model()
    model.open_check_in()
    for character in "K7MP2QXA":
        model.type_code(character)
    model.submit_code()
    model.issue_refused("key-1", "not_found", "no booking K7MP2QXA today")
    assert screen(model) is Screen.REFUSED
    assert model.refusal == Refusal(RefusalKind.CHECK_IN, code="not_found",
                                    message="no booking K7MP2QXA today",
                                    booking_code="K7MP2QXA", typed=True)
    assert refusal_lines(model.refusal, Language.VIETNAMESE) == (
        "Không tìm thấy lịch hẹn",
        "Hôm nay trung tâm không có lịch hẹn mã K7MP-2QXA. Vui lòng kiểm tra lại mã.")
    model.try_again()
    assert screen(model) is Screen.CHECK_IN and model.typed_code == "K7MP2QXA"


@pytest.mark.parametrize(("code", "message", "vietnamese", "english"), [
    ("closed", "check-in opens at 09:15 (nhận lịch hẹn từ 09:15)",
     ("Ngoài giờ nhận lịch hẹn", "Nhận lịch hẹn từ 09:15"),
     ("Outside the check-in time", "Check-in opens at 09:15")),
    ("conflict", "code: this booking was already checked in: ticket A012 (lịch hẹn đã được "
                 "nhận: số A012)",
     ("Lịch hẹn không còn dùng được", "Lịch hẹn đã được nhận: số A012"),
     ("This booking can no longer be used", "This booking was already checked in: ticket A012")),
    ("internal", "database is busy",
     ("Không nhận được lịch hẹn", "Vui lòng báo cán bộ hướng dẫn."),
     ("Could not check in your booking", "Please tell a staff member.")),
])
def test_check_in_refusals_in_both_languages(code: str, message: str,
                                             vietnamese: tuple[str, str],
                                             english: tuple[str, str]) -> None:
    refusal = Refusal(RefusalKind.CHECK_IN, code=code, message=message,
                      booking_code="K7MP2QXA")
    assert refusal_lines(refusal, Language.VIETNAMESE) == vietnamese
    assert refusal_lines(refusal, Language.ENGLISH) == english


def test_server_sentences() -> None:
    assert server_sentence("check-in ended at 09:45 (đã hết giờ nhận lịch hẹn lúc 09:45)",
                           Language.VIETNAMESE) == "Đã hết giờ nhận lịch hẹn lúc 09:45"
    assert server_sentence("plain message", Language.VIETNAMESE) == "plain message"
    assert server_sentence("", Language.ENGLISH) == ""


# --- scans --------------------------------------------------------------------------------------

def test_a_booking_qr_scanned_anywhere_checks_in() -> None:
    for start in ("home", "procedures", "check_in", "ticket", "refused"):
        model = new_model()
        if start == "procedures":
            model.choose_field("DD")
        elif start == "check_in":
            model.open_check_in()
        elif start in ("ticket", "refused"):
            model.choose_field("TP")
            model.choose_service("HT")
            if start == "ticket":
                model.issue_confirmed("key-1", issued())
                model.printed("hcc-test:20270308:1")
            else:
                model.issue_refused("key-1", "closed")
        effects = model.scan(booking_qr_text("K7MP-2QXA") + "\r\n")
        assert [type(effect) for effect in effects] == [SendCheckIn], start
        pending = model.pending
        assert isinstance(pending, PendingCheckIn) and pending.code == "K7MP2QXA"
        assert not pending.typed and screen(model) is Screen.ISSUING


def test_scans_are_ignored_while_a_press_is_answered_or_printed() -> None:
    model = new_model()
    model.choose_field("TP")
    model.choose_service("HT")
    assert model.scan(booking_qr_text("K7MP2QXA")) == []
    model.issue_confirmed("key-1", issued())
    assert screen(model) is Screen.PRINTING
    assert model.scan(booking_qr_text("K7MP2QXA")) == []


@pytest.mark.parametrize(("text", "title"), [
    ("http://example.org/t/abc", "Không dùng được mã này"),
    ("QMSB:K7MP", "Mã QR lịch hẹn không đúng"),
    (ELDER.replace("|02011950|", "|31021950|"), "Không đọc được thẻ căn cước"),
])
def test_an_unusable_scan_says_what_is_wrong(text: str, title: str) -> None:
    model = new_model()
    assert model.scan(text) == []
    assert screen(model) is Screen.REFUSED and model.refusal is not None
    lines = refusal_lines(model.refusal, Language.VIETNAMESE)
    assert lines is not None and lines[0] == title
    if "thẻ" in title:
        assert lines[1].startswith("Ngày sinh không phải ngày có thật.")
        english = refusal_lines(model.refusal, Language.ENGLISH)
        assert english is not None
        assert english[1].startswith("The date of birth is not a real date.")


def test_a_booking_qr_where_the_site_takes_none() -> None:
    model = new_model(booking=False)
    model.scan(booking_qr_text("K7MP2QXA"))
    assert model.refusal == Refusal(RefusalKind.BOOKING_DISABLED)


# --- ID cards -----------------------------------------------------------------------------------

def test_an_id_card_is_looked_up_and_only_its_birth_date_and_masked_number_kept() -> None:
    model = new_model()
    (lookup,) = model.scan(ELDER)
    assert lookup == LookUpBookings("key-1", "001050000000")
    assert "001050000000" not in repr(lookup) and "0010****0000" in repr(lookup)
    assert screen(model) is Screen.LOOKING_UP
    assert model.person == Person(date(1950, 1, 2), "0010****0000")
    kept = " ".join(repr(value) for value in vars(model).values())
    assert "001050000000" not in kept and "Thử" not in kept


def test_no_booking_goes_to_the_menus_with_the_age_rule() -> None:
    model = new_model()
    model.scan(ELDER)
    assert model.bookings_found("key-other", []) == []  # not this lookup
    assert screen(model) is Screen.LOOKING_UP
    assert model.bookings_found("key-1", []) == []
    assert screen(model) is Screen.HOME
    assert model.person_notice() == (
        "Đã đọc thẻ căn cước 0010****0000. Không có lịch hẹn hôm nay, vui lòng chọn thủ tục.",
        "Ưu tiên: Người cao tuổi (từ 75 tuổi)")
    model.switch_language()
    assert model.person_notice()[1] == "Priority: Elderly (75 and over)"
    model.choose_field("TP")
    (effect,) = model.choose_service("HT")
    assert isinstance(effect, SendIssue) and effect.pending.birth_date == date(1950, 1, 2)
    assert effect.pending.priority is None  # the server applies the rule


def test_the_age_line_says_where_the_procedures_do_not_all_give_the_priority() -> None:
    model = new_model()
    catalogue = model.catalogue
    assert catalogue is not None
    # Land submissions take no priority group here (a per-procedure setting).
    land = dataclasses.replace(catalogue.services[0], priority_groups=())
    model.set_catalogue(dataclasses.replace(catalogue,
                                            services=(land, *catalogue.services[1:])))
    model.scan(ELDER)
    model.bookings_found("key-1", [])
    assert model.person_notice()[1] == \
        "Ưu tiên: Người cao tuổi (từ 75 tuổi), ở các thủ tục có ưu tiên này"
    model.choose_field("DD")  # only the land procedure: no priority to promise
    assert len(model.person_notice()) == 1
    model.back()
    model.choose_field("TP")  # every procedure of it gives it
    assert model.person_notice()[1] == "Ưu tiên: Người cao tuổi (từ 75 tuổi)"
    model.switch_language()
    assert model.person_notice()[1] == "Priority: Elderly (75 and over)"


def test_someone_younger_gets_no_priority_but_the_server_still_decides() -> None:
    model = new_model()
    model.scan(YOUNGER)
    model.bookings_found("key-1", [])
    assert model.person_notice() == (
        "Đã đọc thẻ căn cước 0010****0000. Không có lịch hẹn hôm nay, vui lòng chọn thủ tục.",)
    model.choose_field("TP")
    (effect,) = model.choose_service("HT")
    assert isinstance(effect, SendIssue) and effect.pending.birth_date == date(1987, 6, 1)


def test_the_age_counts_on_the_servers_today_moved_on_by_the_kiosks_clock() -> None:
    clock = FakeClock()
    birthday = id_card_text(date(1952, 3, 9), issued=date(2022, 1, 1))  # 75 tomorrow
    model = new_model(clock)
    model.scan(birthday)
    model.bookings_found("key-1", [])
    assert len(model.person_notice()) == 1
    clock.now += 15 * 3600  # 00:00 on 9 March at the site
    model.touch()
    assert model.server_today == date(2027, 3, 9)
    assert model.person_notice()[1] == "Ưu tiên: Người cao tuổi (từ 75 tuổi)"


def test_without_an_age_rule_the_birth_date_is_not_sent() -> None:
    model = new_model(age=None)
    model.scan(ELDER)
    model.bookings_found("key-1", [])
    model.choose_field("TP")
    (effect,) = model.choose_service("HT")
    assert isinstance(effect, SendIssue) and effect.pending.birth_date is None


def test_one_booking_is_checked_in_at_once_with_the_birth_date() -> None:
    model = new_model()
    model.scan(ELDER)
    (effect,) = model.bookings_found("key-1", [booking()])
    assert effect == SendCheckIn(PendingCheckIn("key-2", "K7MP2QXA", date(1950, 1, 2),
                                                Language.VIETNAMESE))
    assert screen(model) is Screen.ISSUING


def test_several_bookings_are_offered() -> None:
    model = new_model()
    model.scan(ELDER)
    assert model.bookings_found("key-1", [booking(), booking("ABCD2345", "DD-NOP")]) == []
    assert screen(model) is Screen.BOOKINGS
    assert [(choice.title, choice.detail) for choice in model.booking_choices()] == [
        ("Đăng ký khai sinh", "Hẹn lúc 09:00–09:30 · Mã K7MP-2QXA"),
        ("Nộp hồ sơ đất đai", "Hẹn lúc 09:00–09:30 · Mã ABCD-2345")]
    assert model.choose_booking("NOTLISTED") == []
    (effect,) = model.choose_booking("ABCD2345")
    assert isinstance(effect, SendCheckIn) and effect.pending.code == "ABCD2345"


def test_a_failed_lookup_says_so() -> None:
    model = new_model()
    model.scan(ELDER)
    model.bookings_failed("key-1", "rate_limited")
    assert screen(model) is Screen.REFUSED and model.refusal is not None
    assert refusal_lines(model.refusal, Language.VIETNAMESE) == (
        "Máy đang bận", "Vui lòng thử lại sau ít phút.")


def test_an_id_card_where_the_site_takes_no_bookings() -> None:
    with_rule = new_model(booking=False)
    assert with_rule.scan(ELDER) == []
    assert screen(with_rule) is Screen.HOME and len(with_rule.person_notice()) == 2
    neither = new_model(booking=False, age=None)
    neither.scan(ELDER)
    assert neither.refusal == Refusal(RefusalKind.CARD_NOT_USED) and neither.person is None


def test_the_card_is_forgotten_when_the_citizen_is_done_or_leaves() -> None:
    clock = FakeClock()
    model = new_model(clock)
    model.scan(ELDER)
    model.bookings_found("key-1", [])
    model.choose_field("TP")
    model.back()
    assert model.person is not None  # the same citizen, still choosing
    clock.now += 30
    assert model.tick() and model.person is None and model.person_notice() == ()
    model.scan(ELDER)
    model.bookings_found("key-2", [])
    model.choose_field("TP")
    model.choose_service("HT")
    model.issue_confirmed("key-3", issued())
    model.printed("hcc-test:20270308:1")
    model.finish()
    assert model.person is None


def test_a_server_without_its_time_cannot_date_a_card() -> None:
    model = new_model(now=None)
    assert model.scan(ELDER) == [] and screen(model) is Screen.HOME


def test_bookings_from_the_wire() -> None:
    read = read_bookings([{"code": "K7MP-2QXA", "service": "HT", "service_name": "Khai sinh",
                           "slot_start": "2027-03-08T09:00:00+07:00",
                           "slot_end": "2027-03-08T09:30:00+07:00", "status": "booked"},
                          {"code": "ABCD2345", "service": "HT", "service_name": "Khai sinh",
                           "slot_start": "14:00", "slot_end": None, "status": "booked"}])
    assert [item.slot_text for item in read] == ["09:00–09:30", "14:00"]
    assert (read[0].code, read[0].shown_code) == ("K7MP2QXA", "K7MP-2QXA")
    for wrong in ({"code": "X"}, "text", {"code": "K", "service": "HT", "service_name": "a",
                                          "slot_start": "noon"}):
        with pytest.raises(BookingDataError):
            read_bookings([wrong])
    with pytest.raises(BookingDataError):
        read_bookings({"bookings": []})


# --- the keystroke timing rule ----------------------------------------------------------------

def keys(detector: BurstDetector, text: str, start_ms: float, gap_ms: float) -> float:
    """Type ``text`` one key every ``gap_ms`` from ``start_ms``; returns the next key's time."""
    at = start_ms
    for character in text:
        detector.character(character, at)
        at += gap_ms
    return at


def test_a_scanners_burst_is_a_scan_and_a_persons_typing_is_not() -> None:
    detector = BurstDetector(max_gap_ms=40, min_length=8)
    at = keys(detector, "QMSB:K7MP2QXA", 1000, 4)
    assert detector.end(at) == "QMSB:K7MP2QXA"
    at = keys(detector, "QMSB:K7MP2QXA", 5000, 120)  # a person
    assert detector.end(at) is None
    at = keys(detector, "K7MP", 9000, 4)  # too short
    assert detector.end(at) is None


def test_stray_keys_before_a_burst_do_not_spoil_it() -> None:
    detector = BurstDetector()
    keys(detector, "abc", 0, 200)
    at = keys(detector, "QMSB:K7MP2QXA", 1000, 5)
    assert detector.end(at) == "QMSB:K7MP2QXA"


def test_a_pause_inside_a_burst_or_before_enter_breaks_it() -> None:
    detector = BurstDetector(max_gap_ms=40)
    at = keys(detector, "QMSB:K7M", 0, 5)
    at = keys(detector, "P2QXA", at + 100, 5)  # starts over from "P"
    assert detector.end(at) is None
    at = keys(detector, "QMSB:K7MP2QXA", 1000, 5)
    assert detector.end(at + 200) is None


def test_a_clock_going_backwards_starts_over() -> None:
    detector = BurstDetector()
    keys(detector, "QMSB:K7MP", 2**32 - 20, 5)
    at = keys(detector, "2QXA", 3, 5)  # a wrapped 32-bit event clock
    assert detector.end(at) is None


def test_detector_settings_are_checked() -> None:
    for wrong in ({"max_gap_ms": 0}, {"min_length": 0}):
        with pytest.raises(ValueError):
            BurstDetector(**wrong)  # type: ignore[arg-type]
