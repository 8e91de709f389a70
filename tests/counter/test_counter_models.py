"""The counter screen model without Qt or a server: updates in, state and requests out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from counter.activity_log import describe_request
from counter.models import (
    SHORTCUTS,
    CounterScreenModel,
    NoticeKind,
    Page,
    RatingStage,
    format_duration,
)
from counter.requests import (
    Action,
    ActionRequest,
    LoginRequest,
    PasswordChangeRequest,
    RateRequest,
    request_applied,
    wire_request,
)
from counter.settings import Language
from counter.updates import (
    ActionInterrupted,
    ActionRefused,
    ActionResolved,
    ActionSucceeded,
    ConnectionStatus,
    EventReceived,
    FiguresLoaded,
    LoggedIn,
    LoginRefused,
    Outcome,
    PasswordChanged,
    QueueLoaded,
    RatingSucceeded,
    SessionStarted,
    StatusChanged,
)
from server.protocol.client import EventMessage

ZONE = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=ZONE)


def ticket(number: str, status: str = "waiting", counter: str | None = None,
           priority: str | None = None, issued_minutes_ago: int = 10,
           service: str = "DD-NOP") -> dict[str, Any]:
    issued = NOW - timedelta(minutes=issued_minutes_ago)
    return {"id": f"hcc-test:20261122:{number}", "number": number, "service": service,
            "service_name": "Nộp hồ sơ đất đai", "service_name_en": "Land: submit",
            "priority": priority, "status": status, "counter": counter, "target_counter": None,
            "issued_at": issued.isoformat(),
            "called_at": (NOW - timedelta(minutes=1)).isoformat() if counter else None,
            "finished_at": NOW.isoformat() if status == "done" else None,
            "call_count": 1 if counter else 0, "case_code": None}


def counter(code: str = "1", status: str = "open", officer: str | None = "lan",
            held: dict[str, Any] | None = None, reason: str | None = None) -> dict[str, Any]:
    return {"code": code, "name": f"Quầy {code}", "zone": "T1",
            "services": ["DD-NOP", "DD-TRA"], "status": status, "officer": officer,
            "officer_name": "Nguyễn Thị Lan" if officer else None, "pause_reason": reason,
            "ticket": held}


def snapshot() -> dict[str, Any]:
    return {
        "site": {"code": "hcc-test", "name": "Trung tâm thử", "name_en": "Test centre"},
        "services": [{"code": "DD-NOP", "name": "Nộp hồ sơ đất đai", "name_en": "Land: submit"},
                     {"code": "DD-TRA", "name": "Nhận kết quả", "name_en": "Land: collect"},
                     {"code": "HT", "name": "Đăng ký khai sinh", "name_en": "Birth"}],
        "priority_groups": [{"code": "NCT", "name": "Người cao tuổi", "name_en": "Elderly"}],
        "rating_scale": [{"score": 4, "label": "Rất hài lòng", "label_en": "Very satisfied"},
                         {"score": 3, "label": "Hài lòng", "label_en": "Satisfied"},
                         {"score": 2, "label": "Bình thường", "label_en": "Neutral"},
                         {"score": 1, "label": "Không hài lòng", "label_en": "Dissatisfied"}],
        "rating_window_seconds": 30,
        "counters": [counter("1", "closed", None), counter("2", "open", "minh"),
                     counter("3", "closed", None)],
    }


def logged_in_model(held: dict[str, Any] | None = None) -> CounterScreenModel:
    model = CounterScreenModel(Language.VIETNAMESE, "1")
    model.apply(SessionStarted(snapshot(), 0), NOW)
    model.apply(StatusChanged(ConnectionStatus.ONLINE), NOW)
    request = model.request_login("1", "lan", "secret")
    assert request == LoginRequest("1", "lan", "secret")
    model.apply(LoggedIn(counter(held=held), "lan"), NOW)
    return model


def page_of(model: CounterScreenModel) -> Page:
    return model.page


def test_login_page_until_logged_in_then_work_page() -> None:
    model = CounterScreenModel(Language.VIETNAMESE, "1")
    assert model.page is Page.LOGIN
    model.apply(SessionStarted(snapshot(), 0), NOW)
    assert model.counter_choices() == (("1", "Quầy 1"), ("2", "Quầy 2"), ("3", "Quầy 3"))
    assert model.request_login("1", "lan", "secret") is None  # not connected yet
    assert model.notice is not None and model.notice.kind is NoticeKind.ERROR
    model.apply(StatusChanged(ConnectionStatus.ONLINE), NOW)
    assert model.request_login("1", "", "secret") is None
    assert model.request_login("1", "lan", "secret") is not None
    assert model.request_login("1", "lan", "secret") is None  # one at a time
    model.apply(LoggedIn(counter(), "lan"), NOW)
    assert page_of(model) is Page.WORK
    assert model.pending is None and model.notice is None


def test_wrong_password_is_said_in_vietnamese() -> None:
    model = CounterScreenModel(Language.VIETNAMESE, "1")
    model.apply(StatusChanged(ConnectionStatus.ONLINE), NOW)
    model.request_login("1", "lan", "wrong")
    model.apply(LoginRefused("unauthorized", "user or password is wrong"), NOW)
    assert model.page is Page.LOGIN and model.pending is None
    assert model.notice is not None
    assert model.notice.text == "Sai tên đăng nhập hoặc mật khẩu"
    assert "user or password is wrong" in model.notice.detail


def test_enabled_actions_follow_the_counter_and_ticket() -> None:
    model = logged_in_model()
    assert model.enabled_actions() == {Action.CALL_NEXT, Action.CALL_NUMBER, Action.PAUSE,
                                       Action.LOG_OUT}
    model.apply(EventReceived("ticket.called", 3, ticket("1001", "called", "1")), NOW)
    assert model.enabled_actions() == {Action.CALL_NEXT, Action.CALL_NUMBER, Action.RECALL,
                                       Action.START, Action.NO_SHOW, Action.FINISH,
                                       Action.TRANSFER}
    model.apply(EventReceived("ticket.serving", 4, ticket("1001", "serving", "1")), NOW)
    assert model.enabled_actions() == {Action.CALL_NEXT, Action.CALL_NUMBER, Action.FINISH,
                                       Action.TRANSFER}
    model.apply(EventReceived("ticket.done", 5, ticket("1001", "done", "1")), NOW)
    model.apply(EventReceived("counter.changed", 6, counter(status="paused", reason="Họp")), NOW)
    assert model.enabled_actions() == {Action.RESUME, Action.LOG_OUT}
    assert model.counter_status_text() == "Tạm nghỉ: Họp"


def test_no_action_while_one_is_pending_or_offline() -> None:
    model = logged_in_model()
    first = model.request_action(ActionRequest(Action.CALL_NEXT))
    assert first is not None
    assert model.enabled_actions() == frozenset()
    assert model.request_action(ActionRequest(Action.CALL_NEXT)) is None
    model.apply(ActionRefused(first, "not_found", "nobody is waiting for counter 1 "
                                                  "(không còn ai chờ)"), NOW)
    assert model.notice is not None
    assert model.notice.text == "Không còn công dân nào đang chờ"
    assert Action.CALL_NEXT in model.enabled_actions()
    model.apply(StatusChanged(ConnectionStatus.RECONNECTING), NOW)
    assert model.enabled_actions() == frozenset()
    assert model.request_action(ActionRequest(Action.CALL_NEXT)) is None


def test_reply_updates_the_ticket_in_hand() -> None:
    model = logged_in_model()
    request = model.request_action(ActionRequest(Action.CALL_NEXT))
    assert request is not None
    model.apply(ActionSucceeded(request, {"ticket": ticket("1002", "called", "1",
                                                           priority="NCT")}), NOW)
    panel = model.ticket_panel(NOW)
    assert panel is not None
    assert (panel.number, panel.status, panel.priority) == ("1002", "Đang mời",
                                                            "★ Người cao tuổi")
    assert panel.service == "Nộp hồ sơ đất đai"
    assert panel.waited == "9 phút"  # issued 10 min ago, called 1 min ago


def test_transfer_notice_names_the_target() -> None:
    model = logged_in_model(held=ticket("1001", "serving", "1"))
    targets = model.transfer_targets()
    assert ("DD-NOP", "Nộp hồ sơ đất đai") not in targets.services  # its own service
    assert [code for code, _ in targets.counters] == ["2", "3"]  # open counters first
    request = model.request_action(ActionRequest(Action.TRANSFER, target_counter="2"))
    assert request is not None
    moved = ticket("1001", "transferred", "1")
    model.apply(ActionSucceeded(request, {"ticket": moved}), NOW)
    assert model.counter is not None and model.counter.ticket is None
    assert model.notice is not None and model.notice.text == "Đã chuyển số 1001 sang Quầy 2."


def test_waiting_rows_keep_the_calling_order_with_priority_marks() -> None:
    model = logged_in_model()
    model.apply(QueueLoaded([ticket("1003", priority="NCT", issued_minutes_ago=3),
                             ticket("1001", issued_minutes_ago=12)]), NOW)
    rows = model.waiting_rows(NOW)
    assert [(row.number, row.priority, row.waited) for row in rows] == [
        ("1003", "★ Người cao tuổi", "3 phút"), ("1001", "", "12 phút")]


def test_figures() -> None:
    model = logged_in_model()
    model.apply(FiguresLoaded({"served": 3, "no_show": 1, "average_wait_seconds": 125.0,
                               "average_service_seconds": 3725.0,
                               "ratings": {"4": 2, "1": 1}, "average_score": 3.0}), NOW)
    assert dict(model.figure_rows()) == {
        "Đã phục vụ": "3", "Vắng mặt": "1", "Chờ trung bình": "2 phút",
        "Phục vụ trung bình": "1 giờ 2 phút",
        "Đánh giá": "Rất hài lòng: 2, Không hài lòng: 1", "Điểm trung bình": "3.00"}


def test_rating_prompt_one_rating_within_the_window() -> None:
    model = logged_in_model(held=ticket("1001", "serving", "1"))
    model.apply(EventReceived("ticket.done", 7, ticket("1001", "done", "1")), NOW)
    prompt = model.rating
    assert prompt is not None and prompt.stage is RatingStage.OPEN
    assert prompt.seconds_left(NOW) == 30
    assert model.request_rating(9, NOW) is None  # not on the scale
    request = model.request_rating(4, NOW + timedelta(seconds=5))
    assert request == RateRequest("hcc-test:20261122:1001", 4)
    assert model.request_rating(3, NOW + timedelta(seconds=6)) is None  # one rating only
    model.apply(RatingSucceeded({"ticket_id": request.ticket_id, "score": 4}), NOW)
    assert model.rating is not None and model.rating.stage is RatingStage.THANKED
    model.tick(NOW + timedelta(seconds=10))
    assert model.rating is None


def test_rating_prompt_expires() -> None:
    model = logged_in_model()
    model.apply(EventReceived("ticket.done", 7, ticket("1001", "done", "1")), NOW)
    model.tick(NOW + timedelta(seconds=30))
    assert model.rating is not None and model.rating.stage is RatingStage.EXPIRED
    assert model.request_rating(4, NOW + timedelta(seconds=31)) is None


def test_rating_refused_by_the_server_is_shown_on_the_rating_screen() -> None:
    model = logged_in_model()
    model.apply(EventReceived("ticket.done", 7, ticket("1001", "done", "1")), NOW)
    request = model.request_rating(4, NOW)
    assert request is not None
    model.apply(ActionRefused(request, "conflict", "ticket 1001 has already been rated"), NOW)
    assert model.rating is not None and model.rating.stage is RatingStage.REFUSED
    assert model.rating.message == "Số 1001 đã được đánh giá rồi"


def test_a_rating_from_the_pad_closes_the_prompt() -> None:
    model = logged_in_model()
    model.apply(EventReceived("ticket.done", 7, ticket("1001", "done", "1")), NOW)
    model.apply(EventReceived("rating.received", 8,
                              {"ticket_id": "hcc-test:20261122:1001", "score": 3}), NOW)
    assert model.rating is not None and model.rating.stage is RatingStage.THANKED


def test_interrupted_action_blocks_actions_until_resolved() -> None:
    model = logged_in_model()
    request = model.request_action(ActionRequest(Action.CALL_NEXT))
    assert request is not None
    model.apply(ActionInterrupted(request), NOW)
    model.apply(StatusChanged(ConnectionStatus.RECONNECTING), NOW)
    assert model.enabled_actions() == frozenset()
    model.apply(SessionStarted(snapshot(), 9, reconnected=True), NOW)
    model.apply(LoggedIn(counter(held=ticket("1001", "called", "1")), "lan", reconnected=True),
                NOW)
    model.apply(ActionResolved(request, Outcome.APPLIED), NOW)
    model.apply(StatusChanged(ConnectionStatus.ONLINE), NOW)
    assert model.notice is not None and model.notice.kind is NoticeKind.INFO
    assert "ĐÃ được thực hiện" in model.notice.text and "Gọi tiếp" in model.notice.text
    assert model.counter is not None and model.counter.ticket is not None
    assert model.counter.ticket.number == "1001"
    assert Action.RECALL in model.enabled_actions()


def test_not_applied_interrupted_action_says_so() -> None:
    model = logged_in_model()
    request = model.request_action(ActionRequest(Action.PAUSE, reason="Họp"))
    assert request is not None
    model.apply(ActionInterrupted(request), NOW)
    model.apply(ActionResolved(request, Outcome.NOT_APPLIED), NOW)
    assert model.notice is not None and model.notice.kind is NoticeKind.ERROR
    assert "CHƯA được thực hiện" in model.notice.text and "Tạm nghỉ" in model.notice.text


def test_refused_login_after_reconnecting_returns_to_the_login_page() -> None:
    model = logged_in_model()
    model.apply(LoginRefused("conflict", "counter 1 is serving a ticket for 'minh'; finish it "
                                         "before another officer logs in", reconnected=True),
                NOW)
    assert model.page is Page.LOGIN
    assert model.notice is not None
    assert model.notice.text.startswith("Phiên làm việc đã kết thúc: Quầy 1 đang phục vụ")


def test_another_officer_taking_the_counter_ends_the_session() -> None:
    model = logged_in_model()
    model.apply(EventReceived("counter.changed", 5, counter(officer="minh")), NOW)
    assert model.page is Page.LOGIN
    assert model.notice is not None
    assert model.notice.text == "Một cán bộ khác đã đăng nhập quầy 1"


def test_log_out_returns_to_the_login_page() -> None:
    model = logged_in_model()
    request = model.request_action(ActionRequest(Action.LOG_OUT))
    assert request is not None
    model.apply(ActionSucceeded(request, {"counter": counter(status="closed", officer=None)}),
                NOW)
    assert model.page is Page.LOGIN


def test_english_screen() -> None:
    model = CounterScreenModel(Language.ENGLISH)
    model.apply(StatusChanged(ConnectionStatus.ONLINE), NOW)
    model.request_login("1", "lan", "x")
    model.apply(LoginRefused("unauthorized", "user or password is wrong"), NOW)
    assert model.notice is not None and model.notice.text == "Wrong user name or password"
    assert format_duration(3700, Language.ENGLISH) == "1 h 1 min"
    assert model.connection_text() == "Connected"


def test_every_action_has_a_distinct_shortcut_and_log_out_takes_a_chord() -> None:
    assert set(SHORTCUTS) == set(Action)
    assert len(set(SHORTCUTS.values())) == len(SHORTCUTS)
    assert "+" in SHORTCUTS[Action.LOG_OUT]


def test_request_applied_reads_the_events() -> None:
    def event(name: str, data: dict[str, Any]) -> EventMessage:
        return EventMessage(1, name, "", data)

    called_here = event("ticket.called", ticket("1001", "called", "1"))
    called_there = event("ticket.called", ticket("1002", "called", "2"))
    paused = event("counter.changed", counter(status="paused"))
    assert request_applied(ActionRequest(Action.CALL_NEXT), "1", [called_there, called_here])
    assert not request_applied(ActionRequest(Action.CALL_NEXT), "1", [called_there])
    assert request_applied(ActionRequest(Action.PAUSE), "1", [paused])
    assert not request_applied(ActionRequest(Action.RESUME), "1", [paused])
    rated = event("rating.received", {"ticket_id": "t1", "score": 4})
    assert request_applied(RateRequest("t1", 4), "1", [rated])
    assert not request_applied(LoginRequest("1", "lan", "x"), "1", [called_here])


def test_a_call_made_at_the_counter_by_anyone_counts_for_call_next_but_not_for_call() -> None:
    # The events do not say who called: the keypad's NEXT during the drop is taken for the
    # app's call_next (the counter has its new ticket; calling again would skip a citizen),
    # but it is not the number a "call" asked for.
    by_keypad = EventMessage(7, "ticket.called", "", ticket("1001", "called", "1"))
    assert request_applied(ActionRequest(Action.CALL_NEXT), "1", [by_keypad])
    assert not request_applied(ActionRequest(Action.CALL_NUMBER, number="1002"), "1",
                               [by_keypad])
    assert request_applied(ActionRequest(Action.CALL_NUMBER, number="1001"), "1", [by_keypad])
    letters = EventMessage(8, "ticket.called", "", ticket("A012", "called", "1"))
    assert request_applied(ActionRequest(Action.CALL_NUMBER, number="a012"), "1", [letters])
    assert not request_applied(ActionRequest(Action.CALL_NUMBER, number="A012"), "2",
                               [letters])


NEW_PASSWORD = "mật-khẩu-mới-1"


def test_a_new_password_is_checked_by_the_rule_before_it_is_sent() -> None:
    model = logged_in_model()
    assert model.may_change_password()
    problems = {
        ("", NEW_PASSWORD, NEW_PASSWORD): "Hãy nhập mật khẩu hiện tại",
        ("secret", "ngan", "ngan"): "Mật khẩu mới cần ít nhất 8 ký tự",
        ("secret", "        ", "        "): "Mật khẩu mới không được chỉ gồm dấu cách",
        ("secret-1", "secret-1", "secret-1"): "Mật khẩu mới phải khác mật khẩu hiện tại",
        ("secret", NEW_PASSWORD, "mật-khẩu-mới-2"): "Hai lần nhập mật khẩu mới không giống nhau",
    }
    for fields, problem in problems.items():
        assert model.password_change_problem(*fields) == problem
        assert model.request_password_change(*fields) is None  # nothing is sent
        assert model.pending is None
    assert model.password_change_problem("secret", NEW_PASSWORD, NEW_PASSWORD) is None
    request = model.request_password_change("secret", NEW_PASSWORD, NEW_PASSWORD)
    assert request == PasswordChangeRequest("secret", NEW_PASSWORD)
    assert "secret" not in repr(request) and NEW_PASSWORD not in repr(request)
    assert wire_request(request) == ("change_password", {"current_password": "secret",
                                                         "new_password": NEW_PASSWORD})
    assert describe_request(request) == "password change"
    # One at a time: while it is unanswered, nothing else goes.
    assert model.pending is request and not model.may_change_password()
    assert model.enabled_actions() == frozenset()
    assert model.request_password_change("secret", NEW_PASSWORD, NEW_PASSWORD) is None
    model.apply(PasswordChanged(), NOW)
    assert model.pending is None and model.page is Page.WORK
    assert model.notice is not None and model.notice.kind is NoticeKind.INFO
    assert model.notice.text == "Đã đổi mật khẩu. Lần đăng nhập sau hãy dùng mật khẩu mới."
    assert model.may_change_password()


def test_the_user_name_is_not_a_new_password() -> None:
    model = CounterScreenModel(Language.VIETNAMESE, "1")
    model.apply(StatusChanged(ConnectionStatus.ONLINE), NOW)
    model.request_login("1", "nguyenvana", "secret")
    model.apply(LoggedIn(counter(officer="nguyenvana"), "nguyenvana"), NOW)
    assert model.password_change_problem("secret", "NguyenVanA", "NguyenVanA") == (
        "Mật khẩu mới không được trùng tên đăng nhập")


def test_a_password_change_only_at_work_and_online() -> None:
    model = CounterScreenModel(Language.VIETNAMESE, "1")
    model.apply(StatusChanged(ConnectionStatus.ONLINE), NOW)
    assert not model.may_change_password()  # not logged in
    assert model.request_password_change("secret", NEW_PASSWORD, NEW_PASSWORD) is None
    model = logged_in_model()
    model.apply(StatusChanged(ConnectionStatus.RECONNECTING), NOW)
    assert not model.may_change_password()
    assert model.request_password_change("secret", NEW_PASSWORD, NEW_PASSWORD) is None
    assert model.notice is not None
    assert model.notice.text == "Chưa kết nối được với máy chủ; thao tác chưa được gửi."


def test_a_refused_password_change_says_why_and_keeps_the_officer_at_work() -> None:
    model = logged_in_model()
    refusals = {
        ("unauthorized", "field 'current_password': the password is wrong"):
            "Mật khẩu hiện tại không đúng",
        ("rate_limited", "too many failed sign-ins for 'lan' from this machine; try again in "
                         "4 s"): "Nhập sai mật khẩu nhiều lần; hãy thử lại sau 4 giây",
        ("bad_request", "field 'new_password': must not be the user name"):
            "Mật khẩu mới không được trùng tên đăng nhập",
    }
    for (code, message), text in refusals.items():
        request = model.request_password_change("secret", NEW_PASSWORD, NEW_PASSWORD)
        assert request is not None
        model.apply(ActionRefused(request, code, message), NOW)
        assert model.pending is None and model.page is Page.WORK
        assert model.notice is not None and model.notice.kind is NoticeKind.ERROR
        assert model.notice.text == text
        assert message in model.notice.detail


def test_an_interrupted_password_change_is_told_once_settled() -> None:
    model = logged_in_model()
    request = model.request_password_change("secret", NEW_PASSWORD, NEW_PASSWORD)
    assert request is not None
    model.apply(ActionInterrupted(request), NOW)
    assert not model.may_change_password()
    model.apply(ActionResolved(request, Outcome.APPLIED), NOW)
    assert model.notice is not None and model.notice.kind is NoticeKind.INFO
    assert "«Đổi mật khẩu»" in model.notice.text and "ĐÃ được thực hiện" in model.notice.text
    assert model.may_change_password()


def test_the_password_dialog_in_english() -> None:
    model = logged_in_model()
    model.set_language(Language.ENGLISH)
    assert model.password_change_problem("secret", "short", "short") == (
        "The new password needs at least 8 characters")
    assert model.password_change_problem("secret", NEW_PASSWORD, "other-one") == (
        "The two new passwords are not the same")
    request = model.request_password_change("secret", NEW_PASSWORD, NEW_PASSWORD)
    assert request is not None
    model.apply(ActionRefused(request, "unauthorized",
                              "field 'current_password': the password is wrong"), NOW)
    assert model.notice is not None and model.notice.text == "The current password is wrong"
