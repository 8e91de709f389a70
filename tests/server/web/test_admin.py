"""The administration pages over HTTP: a change applied live (clients told, nothing
restarted), bad input shown beside its field, a change that would break today's queue
refused, one that changes what devices see confirmed first, a revoked token closing its
connection, the history, and who may administer what."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from support.servers import KIOSK_TOKEN, PASSWORD, SITE
from support.web import OTHER_SITE, WebClient, form_token

from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient, RequestFailed


async def admin(server: RunningServer, user: str = "quantri") -> WebClient:
    client = WebClient(server.http_url)
    answer = await client.sign_in(user=user, next_page="/admin")
    assert answer.status == 200, answer.body[:300]
    return client


async def post_form(client: WebClient, path: str, fields: dict[str, str]) -> Any:
    page = await client.get(path)
    assert page.status == 200, (path, page.status)
    return await client.post(path, {"csrf": form_token(page.body), **fields})


async def test_a_new_service_reaches_a_running_kiosk_without_a_restart(
    server: RunningServer, connect: Any
) -> None:
    kiosk = await connect("kiosk", subscribe=["config."])
    client = await admin(server)
    saved = await post_form(client, f"/admin/site/{SITE}/services/new", {
        "code": "CT", "name_vi": "Chứng thực bản sao", "field": "TP", "numbers": "C###",
        "served_by": "2, 3", "comment": "thêm thủ tục chứng thực"})
    assert saved.status == 200 and "saved=2" in saved.url, saved.body[:500]
    changed = await kiosk.next_event("config.changed")
    assert changed.data == {"version": 2}
    state = (await kiosk.request("snapshot"))["state"]
    assert "CT" in {service["code"] for service in state["services"]}
    counters = {counter["code"]: counter["services"] for counter in state["counters"]}
    assert counters["2"][-1] == "CT" and counters["3"][-1] == "CT"
    assert "CT" not in counters["1"]
    ticket = await kiosk.request("issue", service="CT", request_key="after-change")
    assert ticket["ticket"]["number"] == "C001"


async def test_bad_input_is_shown_beside_its_field(server: RunningServer) -> None:
    client = await admin(server)
    answer = await post_form(client, f"/admin/site/{SITE}/services/new", {
        "code": "CÓ DẤU", "name_vi": "", "field": "TP", "numbers": "C###", "served_by": "3"})
    assert answer.status == 400
    for field, words in (("code", "không phải là mã hợp lệ"), ("name_vi", "bắt buộc")):
        found = re.search(rf'data-field="{field}">.*?<span class="error"[^>]*>([^<]*)<',
                          answer.body, re.S)
        assert found, (field, answer.body[:2000])
        assert words in found.group(1)
    # Nothing was saved: still version 1.
    assert "saved=" not in answer.url


async def test_removing_a_service_people_wait_for_is_refused(
    server: RunningServer, connect: Any
) -> None:
    kiosk = await connect("kiosk")
    await kiosk.request("issue", service="DD-TRA", request_key="waiting")
    client = await admin(server)
    page = await client.get(f"/admin/site/{SITE}/services/DD-TRA")
    answer = await client.post(f"/admin/site/{SITE}/services/DD-TRA/delete",
                               {"csrf": form_token(page.body)})
    assert answer.status == 409
    assert "Còn 1 người đang chờ thủ tục DD-TRA" in answer.body
    # A service that is some counter's only one cannot go either: the rules say which.
    page = await client.get(f"/admin/site/{SITE}/services/HT")
    answer = await client.post(f"/admin/site/{SITE}/services/HT/delete",
                               {"csrf": form_token(page.body)})
    assert answer.status == 400
    assert "sites[0].counters[2].services: một quầy phải phục vụ ít nhất một thủ tục" in (
        answer.body)


async def test_a_revoked_token_is_confirmed_then_its_device_is_cut_off(
    server: RunningServer
) -> None:
    kiosk = ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE)
    await kiosk.connect()
    client = await admin(server)
    page = await client.get(f"/admin/site/{SITE}/tokens/kiosk")
    first = await client.post(f"/admin/site/{SITE}/tokens/kiosk/delete",
                              {"csrf": form_token(page.body)})
    assert first.status == 200 and "Xác nhận thay đổi" in first.body
    assert "sẽ bị ngắt và không kết nối lại được" in first.body
    confirmed = await client.post(f"/admin/site/{SITE}/tokens/kiosk/delete",
                                  {"csrf": form_token(first.body), "confirmed": "1"})
    assert "saved=2" in confirmed.url
    await kiosk.closed.wait()
    assert kiosk.close_code == 1008
    again = ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE)
    with pytest.raises(RequestFailed) as refused:
        await again.connect()
    assert refused.value.code == "unauthorized"
    await again.close()


async def test_a_new_token_is_shown_once_and_works(server: RunningServer) -> None:
    client = await admin(server)
    answer = await post_form(client, f"/admin/site/{SITE}/tokens/new",
                             {"name": "ki-ốt tầng 2", "role": "kiosk"})
    assert answer.status == 200
    made = re.search(r'<code id="made-token">([^<]+)</code>', answer.body)
    assert made, answer.body[:1000]
    async with ProtocolClient(server.ws_url, "kiosk", made.group(1), SITE) as kiosk:
        assert kiosk.hello_result["role"] == "kiosk"
    listing = await client.get(f"/admin/site/{SITE}/tokens")
    assert made.group(1) not in listing.body


async def test_history_shows_who_changed_what_and_a_version_can_be_compared(
    server: RunningServer
) -> None:
    client = await admin(server)
    await post_form(client, f"/admin/site/{SITE}/site", {
        "name_vi": "Trung tâm Phục vụ hành chính công thử nghiệm", "notice": "Nghỉ Tết từ 15/2",
        "comment": "thông báo nghỉ Tết"})
    history = await client.get("/admin/history")
    assert re.search(r'data-version="2">.*?quantri.*?thông báo nghỉ Tết', history.body, re.S)
    version = await client.get("/admin/history/2")
    assert "Nghỉ Tết từ 15/2" in version.body and "+" in version.body


async def test_only_administrators_of_a_site_change_it(server: RunningServer) -> None:
    manager = await admin(server, user="giamdoc")
    assert (await manager.get(f"/admin/site/{SITE}")).status == 404
    administrator = await admin(server)
    assert (await administrator.get(f"/admin/site/{OTHER_SITE}")).status == 404
    page = await administrator.get(f"/admin/site/{SITE}/site")
    no_token = await administrator.post(f"/admin/site/{SITE}/site", {"notice": "x"})
    assert no_token.status == 403
    assert form_token(page.body)


async def test_an_officer_disabled_in_the_pages_cannot_log_in(server: RunningServer,
                                                             connect: Any) -> None:
    client = await admin(server)
    form = await client.get(f"/admin/site/{SITE}/officers/new")
    assert 'name="active" type="checkbox" value="1" checked' in form.body  # new: active
    page = await client.get(f"/admin/site/{SITE}/officers/lan")
    assert 'name="active" type="checkbox" value="1" checked' in page.body
    # The box left unticked: the form sends no 'active'.
    saved = await client.post(f"/admin/site/{SITE}/officers/lan", {
        "csrf": form_token(page.body), "full_name": "Trần Thị Lan", "counters": "1, 2"})
    assert saved.status == 200 and "saved=2" in saved.url, saved.body[:500]
    row = re.search(r'<tr data-item="lan">(.*?)</tr>', saved.body, re.S)
    assert row and "Không" in row.group(1)
    officer = await connect("counter")
    with pytest.raises(RequestFailed) as refused:
        await officer.request("login", counter="1", user="lan", password=PASSWORD)
    assert "disabled" in refused.value.message


async def test_a_device_profile_is_kept_with_its_token(server: RunningServer) -> None:
    client = await admin(server)
    page = await client.get(f"/admin/site/{SITE}/tokens/kiosk")
    saved = await client.post(f"/admin/site/{SITE}/tokens/kiosk", {
        "csrf": form_token(page.body), "zone": "T1", "printer": "tcp://192.168.1.50:9100",
        "paper_width": "58", "language": "en"})
    assert "saved=2" in saved.url, saved.body[:800]
    token = next(item for item in server.service.site_settings[SITE].tokens
                 if item.name == "kiosk")
    assert token.profile() == {"zone": "T1", "printer": "tcp://192.168.1.50:9100",
                               "paper_width": 58, "language": "en"}
    wrong = await client.post(f"/admin/site/{SITE}/tokens/kiosk", {
        "csrf": form_token(page.body), "paper_width": "70", "voice": "giong-nam"})
    assert wrong.status == 400
    assert "phải là 58 hoặc 80 (đang là 70)" in wrong.body
    english = await client.get(f"/admin/site/{SITE}/tokens/kiosk?lang=en")
    wrong = await client.post(f"/admin/site/{SITE}/tokens/kiosk", {
        "csrf": form_token(english.body), "paper_width": "70"})
    assert "must be 58 or 80, got 70" in wrong.body


async def test_a_password_reset_by_the_administrator_holds_to_the_one_rule(
        server: RunningServer, connect: Any) -> None:
    client = await admin(server)
    page = await client.get(f"/admin/site/{SITE}/officers/lan")
    weak = await client.post(f"/admin/site/{SITE}/officers/lan", {
        "csrf": form_token(page.body), "full_name": "Trần Thị Lan", "active": "1",
        "password_hash": "LAN     "})
    assert weak.status == 400
    assert "không được trùng tên đăng nhập" in weak.body
    reset = await client.post(f"/admin/site/{SITE}/officers/lan", {
        "csrf": form_token(page.body), "full_name": "Trần Thị Lan", "active": "1",
        "password_hash": "mat-khau-moi-2026"})
    assert "saved=2" in reset.url, reset.body[:500]
    officer = await connect("counter")
    with pytest.raises(RequestFailed):
        await officer.request("login", counter="1", user="lan", password=PASSWORD)
    reply = await officer.request("login", counter="1", user="lan",
                                  password="mat-khau-moi-2026")
    assert reply["counter"]["officer"] == "lan"


# --- opening hours ---------------------------------------------------------------------------

WORKING_DAY = "07:30-11:30, 13:30-17:00"
HOURS_FORM = {
    **dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), WORKING_DAY),
    "saturday": "07:30-11:30", "sunday": "",
    "closed": "2027-01-01\r\n2027-02-04..2027-02-10\r\n\r\n2027-04-30",
    "exceptions": "2027-02-20: 07:30-11:30, 13:30-17:00\r\n2027-04-29: nghỉ"}


def field_error(body: str, field: str) -> str:
    found = re.search(rf'data-field="{field}">.*?<span class="error"[^>]*>([^<]*)<', body, re.S)
    assert found, (field, body[:3000])
    return html.unescape(found.group(1))


async def test_opening_hours_are_set_on_their_own_page_and_reach_the_kiosk(
        server: RunningServer, connect: Any) -> None:
    kiosk = await connect("kiosk")
    assert kiosk.hello_result["state"]["site"]["next_change"] is None  # no hours: any time
    client = await admin(server)
    home = await client.get(f"/admin/site/{SITE}")
    assert 'data-section="opening-hours"' in home.body and "Giờ làm việc" in home.body
    saved = await post_form(client, f"/admin/site/{SITE}/opening-hours",
                            {**HOURS_FORM, "comment": "giờ làm việc 2027"})
    assert saved.status == 200 and "saved=2" in saved.url, saved.body[:800]
    site = next(item for item in server.service.configuration.document["sites"]
                if item["code"] == SITE)
    assert site["opening_hours"] == {
        **dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), WORKING_DAY),
        "saturday": "07:30-11:30",
        "closed": ["2027-01-01", "2027-02-04..2027-02-10", "2027-04-30"],
        "exceptions": [{"date": "2027-02-20", "hours": WORKING_DAY},
                       {"date": "2027-04-29", "hours": ""}]}
    # The form reads them back as typed (a day without sessions as 'nghỉ').
    page = await client.get(f"/admin/site/{SITE}/opening-hours")
    assert "2027-01-01\n2027-02-04..2027-02-10\n2027-04-30</textarea>" in page.body
    assert "2027-02-20: 07:30-11:30, 13:30-17:00\n2027-04-29: nghỉ</textarea>" in page.body
    # Monday 08:00 (the server's clock): open until the lunch break.
    state = (await kiosk.request("snapshot"))["state"]
    assert state["site"]["open"] is True
    assert state["site"]["closes_at"] == "2026-11-23T11:30:00+07:00"
    # Every input emptied: no hours again, numbers at any time.
    emptied = await post_form(client, f"/admin/site/{SITE}/opening-hours",
                              dict.fromkeys(HOURS_FORM, ""))
    assert "saved=3" in emptied.url, emptied.body[:800]
    site = next(item for item in server.service.configuration.document["sites"]
                if item["code"] == SITE)
    assert "opening_hours" not in site


async def test_wrong_hours_are_shown_beside_their_inputs(server: RunningServer) -> None:
    client = await admin(server)
    answer = await post_form(client, f"/admin/site/{SITE}/opening-hours", {
        **HOURS_FORM, "monday": "07:30-11:30, 11:00-17:00", "closed": "2027-02-10..2027-02-04",
        "exceptions": "2027-02-20: 07:30-11:30\n2027-02-20: nghỉ"})
    assert answer.status == 400
    assert "07:30-11:30" in answer.body  # what was typed stays
    assert "trùng với buổi 07:30-11:30" in field_error(answer.body, "monday")
    assert "ngày kết thúc trước ngày bắt đầu" in field_error(answer.body, "closed")
    english = await client.get(f"/admin/site/{SITE}/opening-hours?lang=en")
    answer = await client.post(f"/admin/site/{SITE}/opening-hours", {
        "csrf": form_token(english.body), **HOURS_FORM,
        "exceptions": "2027-02-20: 07:30-11:30\n2027-02-20: nghỉ"})
    assert "date '2027-02-20' appears twice" in field_error(answer.body, "exceptions")
    answer = await client.post(f"/admin/site/{SITE}/opening-hours", {
        "csrf": form_token(english.body), **HOURS_FORM, "friday": "8h-17h"})
    assert "is not a session like '07:30-11:30'" in field_error(answer.body, "friday")
    # The older single window and the hours both: said above the form.
    site_page = await client.get(f"/admin/site/{SITE}/site")
    await client.post(f"/admin/site/{SITE}/site", {
        "csrf": form_token(site_page.body), "name_vi": "Trung tâm thử nghiệm",
        "timezone": "Asia/Ho_Chi_Minh", "issue_hours": "07:00-17:00"})
    answer = await client.post(f"/admin/site/{SITE}/opening-hours", {
        "csrf": form_token(english.body), **HOURS_FORM})
    assert answer.status == 400
    assert "sites[0].opening_hours: give either issue_hours or opening_hours" in html.unescape(
        answer.body)


async def test_a_service_keeps_hours_of_its_own(server: RunningServer, connect: Any) -> None:
    client = await admin(server)
    page = await client.get(f"/admin/site/{SITE}/services/DD-NOP")
    assert "Giờ riêng: Thứ Hai" in page.body and "theo giờ của trung tâm" in page.body
    fields = {"name_vi": "Nộp hồ sơ đất đai", "field": "DD", "kind": "submit",
              "number_group": "dat-dai", "served_by": "1"}
    saved = await client.post(f"/admin/site/{SITE}/services/DD-NOP", {
        "csrf": form_token(page.body), **fields, "monday": "07:30-11:30",
        "sunday": "nghỉ", "closed": "2026-11-24"})
    assert "saved=2" in saved.url, saved.body[:800]
    service = server.service.site_settings[SITE].service("DD-NOP")
    assert service is not None and service.opening_hours is not None
    assert service.opening_hours.week[6] == () and service.opening_hours.week[2] is None
    page = await client.get(f"/admin/site/{SITE}/services/DD-NOP")
    assert 'name="sunday" value="nghỉ"' in page.body
    assert 'name="monday" value="07:30-11:30"' in page.body
    # Monday 08:00: open until 11:30; the other services have no hours.
    kiosk = await connect("kiosk")
    services = {item["code"]: item for item in kiosk.hello_result["state"]["services"]}
    assert services["DD-NOP"]["closes_at"] == "2026-11-23T11:30:00+07:00"
    assert services["HT"]["closes_at"] is None
    wrong = await client.post(f"/admin/site/{SITE}/services/DD-NOP", {
        "csrf": form_token(page.body), **fields, "tuesday": "11:30-07:30"})
    assert "giờ đóng phải sau giờ mở" in field_error(wrong.body, "tuesday")


# --- priority policy -------------------------------------------------------------------------


async def test_the_priority_policy_changes_the_calling_order_live(
        server: RunningServer, connect: Any) -> None:
    kiosk = await connect("kiosk")
    officer = await connect("admin")
    await officer.request("login", counter="3")
    for press, priority in enumerate([None, None, "NCT", "NCT", None]):
        await kiosk.request("issue", service="HT", priority=priority, request_key=f"p{press}")
    client = await admin(server)
    home = await client.get(f"/admin/site/{SITE}")
    assert 'data-section="priority-policy"' in home.body and "Cách gọi ưu tiên" in home.body
    # The test site's file has no table: the form shows the defaults, strict (1 : 2).
    page = await client.get(f"/admin/site/{SITE}/priority-policy")
    assert '<option value="strict" selected>' in page.body
    assert 'name="priority" value="1"' in page.body and 'name="normal" value="2"' in page.body
    saved = await client.post(f"/admin/site/{SITE}/priority-policy", {
        "csrf": form_token(page.body), "kind": "interleave", "priority": "1", "normal": "1"})
    assert "saved=2" in saved.url, saved.body[:800]
    site = next(item for item in server.service.configuration.document["sites"]
                if item["code"] == SITE)
    assert site["priority_policy"] == {"kind": "interleave", "priority": 1, "normal": 1}
    # Applied at once to the queue of the day: one priority, one ordinary, in turn.
    called = [(await officer.request("call_next", as_counter="3"))["ticket"]["number"]
              for _ in range(5)]
    assert called == ["A003", "A001", "A004", "A002", "A005"]
    page = await client.get(f"/admin/site/{SITE}/priority-policy")
    assert '<option value="interleave" selected>' in page.body
    assert 'name="normal" value="1"' in page.body


async def test_a_wrong_priority_policy_is_shown_beside_its_inputs(server: RunningServer) -> None:
    client = await admin(server)
    answer = await post_form(client, f"/admin/site/{SITE}/priority-policy",
                             {"kind": "interleave", "priority": "0", "normal": "hai"})
    assert answer.status == 400
    assert field_error(answer.body, "priority") == "phải từ 1 trở lên (đang là 0)"
    assert "hai" in field_error(answer.body, "normal")
    assert server.service.configuration.version == 1  # nothing saved
    english = await client.get(f"/admin/site/{SITE}/priority-policy?lang=en")
    answer = await client.post(f"/admin/site/{SITE}/priority-policy", {
        "csrf": form_token(english.body), "kind": "sometimes", "priority": "1", "normal": "2"})
    assert answer.status == 400
    assert "sometimes" in field_error(answer.body, "kind")


async def test_an_emptied_list_says_so_and_how_to_add(server: RunningServer) -> None:
    client = await admin(server)
    page = await client.get(f"/admin/site/{SITE}/priority-groups/NCT")
    removed = await client.post(f"/admin/site/{SITE}/priority-groups/NCT/delete",
                                {"csrf": form_token(page.body)})
    assert "saved=2" in removed.url, removed.body[:800]
    assert 'data-item="NCT"' not in removed.body
    assert "Chưa có mục nào: bấm “Thêm mới” để tạo mục đầu tiên." in removed.body
    english = await client.get(f"/admin/site/{SITE}/priority-groups?lang=en")
    assert "Nothing here yet: “Add” makes the first." in english.body
