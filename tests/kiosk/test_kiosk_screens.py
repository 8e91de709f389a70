"""The Qt-free kiosk models: the menu from a snapshot, the screen state machine, the texts and
the ticket content. No Qt, no server, no printer; time is a fake clock."""

from __future__ import annotations

import copy
import itertools
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hardware.printer import Language as TicketLanguage
from hardware.printer.layout import ticket_text
from kiosk.errors import CatalogueError, TicketDataError
from kiosk.models.catalogue import Catalogue, ServiceKind
from kiosk.models.screens import (
    ChoiceKind,
    KioskModel,
    PendingIssue,
    PrintTicket,
    Screen,
    SendIssue,
)
from kiosk.models.status import ConnectionState, PrinterCondition
from kiosk.models.texts import Language, ahead_text, printer_message, refusal_message, wait_line
from kiosk.models.ticket import IssuedTicket, ticket_content
from server.config import SiteSettings, load_settings

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def screen(model: KioskModel) -> Screen:
    """The model's screen (a call, so type checkers do not narrow it between steps)."""
    return model.screen


def small_state() -> dict[str, Any]:
    """A snapshot like the test site's (tests/support/servers.py), with queues."""
    return {
        "site": {"code": "hcc-test", "name": "Trung tâm thử nghiệm", "name_en": "Test centre",
                 "ticket_footer": "Xin cảm ơn!", "timezone": "Asia/Ho_Chi_Minh"},
        "fields": [{"code": "DD", "name": "Đất đai", "name_en": "Land"},
                   {"code": "TP", "name": "Tư pháp - Hộ tịch", "name_en": ""},
                   {"code": "XX", "name": "Không có thủ tục", "name_en": ""}],
        "services": [
            {"code": "DD-TRA", "name": "Nhận kết quả đất đai", "name_en": "Collect: land",
             "field": "DD", "kind": "collect", "waiting": 2, "eta_minutes": 8,
             "open_counters": 1},
            {"code": "DD-NOP", "name": "Nộp hồ sơ đất đai", "name_en": "", "field": "DD",
             "kind": "submit", "waiting": 5, "eta_minutes": 25, "open_counters": 1},
            {"code": "HT", "name": "Đăng ký khai sinh", "name_en": "", "field": "TP",
             "kind": "other", "waiting": 0, "eta_minutes": None, "open_counters": 0},
        ],
        "priority_groups": [{"code": "NCT", "name": "Người cao tuổi", "name_en": "Elderly"}],
        "counters": [
            {"code": "1", "name": "Quầy 1", "services": ["DD-NOP", "DD-TRA"], "status": "open"},
            {"code": "2", "name": "Quầy 2", "services": ["HT", "DD-TRA"], "status": "closed"},
            {"code": "3", "name": "Quầy 3", "services": ["HT"], "status": "closed"},
        ],
    }


def demo_state(site: SiteSettings) -> dict[str, Any]:
    """The snapshot the server gives for a configured site (queues empty)."""
    return {
        "site": {"code": site.code, "name": site.name_vi, "name_en": site.name_en,
                 "ticket_footer": site.ticket_footer},
        "fields": [{"code": item.code, "name": item.name_vi, "name_en": item.name_en}
                   for item in site.fields],
        "services": [{"code": item.code, "name": item.name_vi, "name_en": item.name_en,
                      "field": item.field, "kind": item.kind.value, "waiting": 0,
                      "eta_minutes": None, "open_counters": 0} for item in site.services],
        "priority_groups": [{"code": item.code, "name": item.name_vi, "name_en": item.name_en}
                            for item in site.priority_groups],
        "counters": [{"code": item.code, "name": item.name, "services": list(item.services),
                      "status": "closed"} for item in site.counters],
    }


def wire_ticket(**changes: Any) -> dict[str, Any]:
    ticket: dict[str, Any] = {
        "id": "hcc-test:20261122:1001", "number": "1001", "service": "DD-NOP",
        "service_name": "Nộp hồ sơ đất đai", "service_name_en": "", "priority": None,
        "status": "waiting", "ahead": 5, "eta_minutes": 25,
        "issued_at": "2026-11-22T08:15:00+07:00", "track": "k3v9q2ma",
        "track_url": "http://127.0.0.1:8765/t/k3v9q2ma",
    }
    ticket.update(changes)
    return ticket


def new_model(clock: FakeClock, state: dict[str, Any] | None = None,
              one_level_max_services: int = 0) -> KioskModel:
    keys = (f"key-{number}" for number in itertools.count(1))
    model = KioskModel(clock=clock, new_request_key=lambda: next(keys), idle_seconds=30,
                       ticket_seconds=10, one_level_max_services=one_level_max_services)
    model.set_catalogue(Catalogue.from_state(state or small_state()))
    model.set_connection(ConnectionState.ONLINE)
    return model


# --- the menu ----------------------------------------------------------------------------------


def test_catalogue_orders_kinds_and_drops_empty_fields() -> None:
    catalogue = Catalogue.from_state(small_state())
    assert [field.code for field in catalogue.fields] == ["DD", "TP"]
    assert [service.code for service in catalogue.services_of("DD")] == ["DD-NOP", "DD-TRA"]
    assert catalogue.splits_kinds(catalogue.services_of("DD"))
    assert not catalogue.splits_kinds(catalogue.services_of("TP"))
    wait = catalogue.field_wait("DD")
    assert (wait.waiting, wait.eta_low, wait.eta_high) == (7, 8, 25)
    assert catalogue.counter_names("DD-TRA") == ("Quầy 1",)  # the open one
    assert catalogue.counter_names("HT") == ("Quầy 2", "Quầy 3")  # none open: all
    assert catalogue.service("HT") is not None and catalogue.service("nope") is None
    assert catalogue.services_of("TP")[0].kind is ServiceKind.OTHER


@pytest.mark.parametrize(("change", "message"), [
    (lambda state: state.pop("services"), "state.services: missing"),
    (lambda state: state["services"][1].update(waiting=-1),
     "state.services[1].waiting: expected a whole number >= 0, got -1"),
    (lambda state: state["services"][0].update(kind="fetch"), "state.services[0].kind"),
    (lambda state: state["services"][2].update(field="ZZ"),
     "state.services[2].field: no field 'ZZ' in state.fields"),
    (lambda state: state["site"].update(name=""), "state.site.name: expected non-empty text"),
])
def test_catalogue_errors_name_the_key(change: Any, message: str) -> None:
    state = copy.deepcopy(small_state())
    change(state)
    with pytest.raises(CatalogueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Catalogue.from_state(state)


def test_home_lists_fields_with_their_queues_then_the_field_its_services() -> None:
    model = new_model(FakeClock())
    assert not model.one_level
    choices = model.home_choices()
    assert [(choice.kind, choice.code, choice.title, choice.detail) for choice in choices] == [
        (ChoiceKind.FIELD, "DD", "Đất đai", "7 người chờ · 8–25 phút"),
        (ChoiceKind.FIELD, "TP", "Tư pháp - Hộ tịch", "Không có người chờ"),
    ]
    model.choose_field("DD")
    assert screen(model) is Screen.PROCEDURES
    services = model.procedure_choices()
    assert [(choice.code, choice.badge, choice.detail, choice.offers_priority)
            for choice in services] == [
        ("DD-NOP", "NỘP HỒ SƠ", "5 người chờ · khoảng 25 phút", True),
        ("DD-TRA", "NHẬN KẾT QUẢ", "2 người chờ · khoảng 8 phút", True),
    ]
    model.choose_field("TP")  # not on HOME: ignored
    assert model.field_code == "DD"


def test_few_services_make_one_level() -> None:
    model = new_model(FakeClock(), one_level_max_services=8)
    assert model.one_level
    assert [choice.code for choice in model.home_choices()] == ["DD-NOP", "DD-TRA", "HT"]
    model.choose_field("DD")
    assert screen(model) is Screen.HOME
    effects = model.choose_service("HT")
    assert [type(effect) for effect in effects] == [SendIssue]


def test_every_ticket_of_the_demo_is_at_most_three_touches_from_home() -> None:
    site = load_settings(None).sites[0]
    clock = FakeClock()
    model = new_model(clock, demo_state(site), one_level_max_services=8)
    catalogue = model.catalogue
    assert catalogue is not None and len(catalogue.services) == 44
    groups = [None, *(group.code for group in catalogue.priority_groups)]
    for service in catalogue.services:
        for group in groups:
            model = new_model(clock, demo_state(site), one_level_max_services=8)
            touches = 1
            model.choose_field(service.field)
            if group is None:
                touches += 1
                effects = model.choose_service(service.code)
            else:
                touches += 2
                model.ask_priority(service.code)
                effects = model.choose_priority(group)
            assert touches <= 3
            assert [effect.pending.service for effect in effects
                    if isinstance(effect, SendIssue)] == [service.code]
            assert isinstance(model.pending, PendingIssue) and model.pending.priority == group


# --- one press, one number, one print ------------------------------------------------------------


def test_a_press_makes_one_key_and_prints_only_the_confirmed_ticket() -> None:
    model = new_model(FakeClock())
    model.choose_field("DD")
    effects = model.choose_service("DD-NOP")
    assert isinstance(model.pending, PendingIssue) and effects == [SendIssue(model.pending)]
    assert model.pending.request_key == "key-1"
    assert screen(model) is Screen.ISSUING and not model.can_issue
    assert model.choose_service("DD-NOP") == []  # a second press while waiting does nothing

    ticket = IssuedTicket.from_wire(wire_ticket())
    assert model.issue_confirmed("key-2", ticket) == []  # not the pending press
    assert screen(model) is Screen.ISSUING
    assert model.issue_confirmed("key-1", ticket) == [PrintTicket(ticket, Language.VIETNAMESE)]
    assert screen(model) is Screen.PRINTING and model.pending is None
    assert model.issue_confirmed("key-1", ticket) == []  # a repeated reply prints nothing
    model.printed(ticket.ticket_id)
    assert screen(model) is Screen.TICKET


def test_failed_print_keeps_the_number_and_reprints_it_without_a_new_issue() -> None:
    model = new_model(FakeClock())
    model.choose_field("DD")
    model.choose_service("DD-NOP")
    ticket = IssuedTicket.from_wire(wire_ticket())
    model.issue_confirmed("key-1", ticket)
    model.print_failed(ticket.ticket_id, PrinterCondition.PAPER_OUT)
    assert screen(model) is Screen.PRINT_FAULT
    assert model.printer_fault_message == "Máy in hết giấy. Vui lòng báo cán bộ hướng dẫn."
    assert not model.reprint_enabled and model.reprint() == []
    model.finish()
    assert screen(model) is Screen.PRINT_FAULT  # the number stays until printed
    model.set_printer(PrinterCondition.OK)
    assert model.reprint_enabled
    assert model.reprint() == [PrintTicket(ticket, Language.VIETNAMESE)]
    assert screen(model) is Screen.PRINTING
    model.printed(ticket.ticket_id)
    assert screen(model) is Screen.TICKET


def test_a_printer_that_cannot_report_may_always_be_retried() -> None:
    model = new_model(FakeClock())
    model.choose_field("DD")
    model.choose_service("DD-NOP")
    ticket = IssuedTicket.from_wire(wire_ticket())
    model.issue_confirmed("key-1", ticket)
    model.set_printer(PrinterCondition.OFFLINE, reports_status=False)
    model.print_failed(ticket.ticket_id, PrinterCondition.OFFLINE)
    assert model.reprint_enabled


def test_refusal_shows_a_plain_message_and_goes_home() -> None:
    clock = FakeClock()
    model = new_model(clock)
    model.choose_field("DD")
    model.choose_service("DD-NOP")
    model.issue_refused("key-9", "closed")
    assert screen(model) is Screen.ISSUING
    model.issue_refused("key-1", "closed")
    assert screen(model) is Screen.REFUSED and model.pending is None
    assert refusal_message("closed", Language.VIETNAMESE).startswith("Hiện không cấp số")
    clock.advance(30)
    assert model.tick() and screen(model) is Screen.HOME


def test_no_issuing_while_offline_or_printer_faulted() -> None:
    model = new_model(FakeClock())
    model.set_connection(ConnectionState.OFFLINE)
    assert not model.can_issue
    assert model.unavailable_reason == "Mất kết nối máy chủ, vui lòng chờ"
    assert all(not choice.enabled for choice in model.home_choices())
    model.choose_field("DD")
    assert screen(model) is Screen.HOME
    model.set_connection(ConnectionState.ONLINE)
    model.set_printer(PrinterCondition.COVER_OPEN)
    assert model.unavailable_reason == "Nắp máy in đang mở. Vui lòng báo cán bộ hướng dẫn."
    model.set_printer(PrinterCondition.PAPER_NEAR_END)
    assert model.can_issue and model.unavailable_reason is None


def test_a_vanished_field_goes_home() -> None:
    model = new_model(FakeClock())
    model.choose_field("TP")
    state = small_state()
    state["services"] = state["services"][:2]
    model.set_catalogue(Catalogue.from_state(state))
    assert screen(model) is Screen.HOME


# --- time and language ---------------------------------------------------------------------------


def test_idle_menus_go_home_in_the_default_language() -> None:
    clock = FakeClock()
    model = new_model(clock)
    model.switch_language()
    model.choose_field("DD")
    model.ask_priority("DD-NOP")
    assert screen(model) is Screen.PRIORITY
    clock.advance(29.9)
    assert not model.tick()
    model.touch()
    clock.advance(29.9)
    assert not model.tick()
    clock.advance(0.1)
    assert model.tick()
    assert screen(model) is Screen.HOME and model.language is Language.VIETNAMESE


def test_idle_home_returns_to_vietnamese() -> None:
    clock = FakeClock()
    model = new_model(clock)
    model.switch_language()
    clock.advance(30)
    assert model.tick() and model.language is Language.VIETNAMESE
    assert not model.tick()


def test_ticket_screen_times_out_but_issuing_and_faults_do_not() -> None:
    clock = FakeClock()
    model = new_model(clock)
    model.choose_field("DD")
    model.choose_service("DD-NOP")
    clock.advance(600)
    assert not model.tick() and screen(model) is Screen.ISSUING
    ticket = IssuedTicket.from_wire(wire_ticket())
    model.issue_confirmed("key-1", ticket)
    model.print_failed(ticket.ticket_id, PrinterCondition.PAPER_OUT)
    clock.advance(600)
    assert not model.tick() and screen(model) is Screen.PRINT_FAULT
    model.set_printer(PrinterCondition.OK)
    model.reprint()
    model.printed(ticket.ticket_id)
    clock.advance(9.9)
    assert not model.tick()
    clock.advance(0.1)
    assert model.tick() and screen(model) is Screen.HOME


def test_english_uses_english_names_with_vietnamese_fallback() -> None:
    model = new_model(FakeClock())
    model.switch_language()
    assert [choice.title for choice in model.home_choices()] == ["Land", "Tư pháp - Hộ tịch"]
    assert model.home_choices()[0].detail == "7 waiting · 8–25 min"
    model.choose_field("DD")
    assert [(choice.title, choice.badge) for choice in model.procedure_choices()] == [
        ("Nộp hồ sơ đất đai", "SUBMIT"), ("Collect: land", "COLLECT RESULTS")]
    model.ask_priority("DD-TRA")
    assert [choice.title for choice in model.priority_choices()] == ["Elderly"]
    effects = model.choose_priority("NCT")
    assert model.pending is not None and model.pending.language is Language.ENGLISH
    assert [type(effect) for effect in effects] == [SendIssue]


# --- texts and the ticket ------------------------------------------------------------------------


@pytest.mark.parametrize(("waiting", "low", "high", "expected"), [
    (0, None, None, "Không có người chờ"),
    (0, 0, 0, "Không có người chờ"),
    (1, 0, 0, "1 người chờ · dưới 1 phút"),
    (3, 12, 12, "3 người chờ · khoảng 12 phút"),
    (9, 5, 40, "9 người chờ · 5–40 phút"),
    (4, None, None, "4 người chờ"),
])
def test_wait_line(waiting: int, low: int | None, high: int | None, expected: str) -> None:
    assert wait_line(waiting, low, high, Language.VIETNAMESE) == expected


def test_ahead_and_printer_texts() -> None:
    assert ahead_text(0, Language.VIETNAMESE) == "Không có người chờ trước bạn"
    assert ahead_text(3, Language.ENGLISH) == "3 people are waiting ahead of you"
    assert printer_message(PrinterCondition.OK, Language.VIETNAMESE) is None
    assert printer_message(PrinterCondition.PAPER_NEAR_END, Language.VIETNAMESE) is None
    assert printer_message(PrinterCondition.OFFLINE, Language.VIETNAMESE) == \
        "Máy in không phản hồi. Vui lòng báo cán bộ hướng dẫn."


def test_ticket_content_from_the_server_ticket() -> None:
    catalogue = Catalogue.from_state(small_state())
    ticket = IssuedTicket.from_wire(wire_ticket(service="DD-TRA", priority="NCT",
                                                service_name="Nhận kết quả đất đai",
                                                service_name_en="Collect: land"))
    content = ticket_content(ticket, catalogue, Language.VIETNAMESE)
    assert content.centre_name == "Trung tâm thử nghiệm"
    assert content.service_name == "Nhận kết quả đất đai"
    assert (content.number, content.people_ahead, content.eta_minutes) == ("1001", 5, 25)
    assert content.issued_at == datetime(2026, 11, 22, 8, 15, tzinfo=ZONE)
    assert content.status_url == "http://127.0.0.1:8765/t/k3v9q2ma"
    assert content.counters == ("Quầy 1",)
    assert content.footer == "Xin cảm ơn!"
    assert content.priority_label == "Ưu tiên: Người cao tuổi"
    english = ticket_content(ticket, catalogue, Language.ENGLISH)
    assert (english.language, english.centre_name, english.service_name,
            english.priority_label) == (TicketLanguage.ENGLISH, "Test centre", "Collect: land",
                                        "Priority: Elderly")


def test_no_counter_open_is_shown_and_printed_instead_of_a_count() -> None:
    # Issue 12: with no open counter serving it the server says ``ahead_known: false``.
    catalogue = Catalogue.from_state(small_state())
    ticket = IssuedTicket.from_wire(wire_ticket(ahead=1, ahead_known=False, eta_minutes=None))
    assert ticket.ahead is None
    assert ahead_text(ticket.ahead, Language.VIETNAMESE) == "Chưa có quầy mở cho thủ tục này"
    assert ahead_text(ticket.ahead, Language.ENGLISH) == "No counter open for this procedure yet"
    for language, lines in [
        (Language.VIETNAMESE, ("Chưa có quầy mở cho thủ tục này",
                               "Thời gian chờ dự kiến: chưa xác định")),
        (Language.ENGLISH, ("No counter open for this procedure yet",
                            "Estimated wait: not yet known")),
    ]:
        content = ticket_content(ticket, catalogue, language)
        assert content.people_ahead is None
        assert ticket_text(content).details[:2] == lines
    # A server older than ``ahead_known`` sends the count alone: it is shown as before.
    assert IssuedTicket.from_wire(wire_ticket(ahead=1)).ahead == 1
    assert IssuedTicket.from_wire(wire_ticket(ahead=1, ahead_known=True)).ahead == 1


@pytest.mark.parametrize(("change", "message"), [
    ({"number": ""}, "ticket.number"),
    ({"ahead": -1}, "ticket.ahead"),
    ({"ahead_known": "no"}, "ticket.ahead_known"),
    ({"issued_at": "2026-11-22T08:15:00"}, "ticket.issued_at: has no time zone"),
    ({"issued_at": "yesterday"}, "ticket.issued_at"),
])
def test_unreadable_tickets_name_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(TicketDataError, match=message):
        IssuedTicket.from_wire(wire_ticket(**change))


def test_a_non_ascii_tracking_url_cannot_be_printed() -> None:
    ticket = IssuedTicket.from_wire(wire_ticket(track_url="http://hcc/vé/1"))
    with pytest.raises(TicketDataError, match="cannot be printed"):
        ticket_content(ticket, Catalogue.from_state(small_state()), Language.VIETNAMESE)


# --- opening hours -------------------------------------------------------------------------------


def hours_state(land: str | None, collect: str | None, births: str | None) -> dict[str, Any]:
    """The small snapshot at Monday 01/02/2027 12:00 with each service's ``reopens_at``
    (None: open); the site's next change is the first of them."""
    state = small_state()
    reopenings = {"DD-NOP": land, "DD-TRA": collect, "HT": births}
    for service in state["services"]:
        reopens = reopenings[service["code"]]
        service.update(open=reopens is None, reopens_at=reopens,
                       closes_at="2027-02-01T17:00:00+07:00" if reopens is None else None)
    changes = [item for item in reopenings.values() if item] or ["2027-02-01T17:00:00+07:00"]
    state["site"].update(now="2027-02-01T12:00:00+07:00", next_change=min(changes))
    return state


LUNCH = "2027-02-01T13:30:00+07:00"
TUESDAY = "2027-02-02T07:30:00+07:00"


def test_a_closed_service_is_a_disabled_choice_saying_when_it_reopens() -> None:
    model = new_model(FakeClock(), hours_state(TUESDAY, None, LUNCH))
    home = {choice.code: choice for choice in model.home_choices()}
    assert home["DD"].enabled and home["DD"].detail == "2 người chờ · khoảng 8 phút"
    assert not home["TP"].enabled and home["TP"].detail == "Mở lại lúc 13:30"
    model.choose_field("TP")
    assert screen(model) is Screen.HOME  # a closed field does not open
    model.choose_field("DD")
    choices = {choice.code: choice for choice in model.procedure_choices()}
    assert not choices["DD-NOP"].enabled
    assert choices["DD-NOP"].detail == "Mở lại lúc 07:30 thứ Ba 02/02"
    assert choices["DD-TRA"].enabled
    assert model.choose_service("DD-NOP") == []
    model.ask_priority("DD-NOP")
    assert screen(model) is Screen.PROCEDURES
    model.switch_language()
    choices = {choice.code: choice for choice in model.procedure_choices()}
    assert choices["DD-NOP"].detail == "Reopens on Tuesday 02/02 at 07:30"
    model.back()
    assert {choice.code: choice.detail for choice in model.home_choices()}["TP"] == (
        "Reopens at 13:30")


def test_a_closed_service_without_a_reopening_says_it_is_not_issuing() -> None:
    model = new_model(FakeClock(), hours_state(None, None, None))
    state = hours_state(None, None, None)
    state["services"][2].update(open=False, reopens_at=None, closes_at=None)
    model.set_catalogue(Catalogue.from_state(state))
    assert {choice.code: choice.detail for choice in model.home_choices()}["TP"] == (
        "Hiện không cấp số")


def test_when_nothing_is_open_home_says_the_centre_is_closed() -> None:
    model = new_model(FakeClock(), hours_state(TUESDAY, LUNCH, LUNCH))
    assert model.site_closed
    assert model.closed_notice() == (
        "Hiện ngoài giờ cấp số thứ tự", "Mở lại lúc 13:30. Kính mời Quý khách quay lại sau.")
    model.switch_language()
    assert model.closed_notice() == (
        "Numbers are not being issued now", "Reopens at 13:30. Please come back then.")
    state = hours_state(TUESDAY, TUESDAY, TUESDAY)
    model.set_catalogue(Catalogue.from_state(state))
    assert model.closed_notice() == (
        "Numbers are not being issued now",
        "Reopens on Tuesday 02/02 at 07:30. Please come back then.")


def test_menus_go_home_when_the_centre_closes_and_a_closed_service_leaves_priority() -> None:
    model = new_model(FakeClock(), hours_state(None, None, None))
    model.choose_field("DD")
    model.ask_priority("DD-NOP")
    assert screen(model) is Screen.PRIORITY
    model.set_catalogue(Catalogue.from_state(hours_state(TUESDAY, None, None)))
    assert screen(model) is Screen.PROCEDURES and model.service_code is None
    model.set_catalogue(Catalogue.from_state(hours_state(TUESDAY, LUNCH, LUNCH)))
    assert screen(model) is Screen.HOME


def test_a_fresh_snapshot_is_due_at_the_next_change_on_the_kiosk_s_own_clock() -> None:
    clock = FakeClock()
    model = new_model(clock, hours_state(TUESDAY, None, LUNCH))
    # The server said 12:00 and the next change is 13:30: due in 90 minutes, whatever the
    # kiosk's own wall clock says.
    clock.advance(90 * 60 - 1)
    assert not model.refresh_due()
    clock.advance(1)
    assert model.refresh_due()
    assert not model.refresh_due()  # once
    model.set_catalogue(Catalogue.from_state(small_state()))  # an older server: no times
    clock.advance(10**6)
    assert not model.refresh_due()


def test_a_server_without_hours_reads_as_always_open() -> None:
    catalogue = Catalogue.from_state(small_state())
    assert all(service.open and service.reopens_at is None for service in catalogue.services)
    assert not catalogue.closed and catalogue.site.next_change is None


@pytest.mark.parametrize(("change", "message"), [
    (lambda state: state["services"][0].update(open="yes"),
     "state.services[0].open: expected true or false"),
    (lambda state: state["services"][0].update(open=False, reopens_at="13:30"),
     "state.services[0].reopens_at: expected a time with its offset"),
    (lambda state: state["site"].update(next_change="2027-02-01T13:30:00"),
     "state.site.next_change: expected a time with its offset"),
])
def test_bad_hours_name_the_key(change: Any, message: str) -> None:
    state = hours_state(None, None, None)
    change(state)
    with pytest.raises(CatalogueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Catalogue.from_state(state)
