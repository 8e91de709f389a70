"""The citizens' booking pages over HTTP on a real server: the way from a centre to a
procedure to a time and a person; a CCCD booking and a phone's one-time code; every bad
field refused beside itself with nothing stored, in Vietnamese and in English; the limits'
messages; our own origin, size and per-address limits; the booking's page only with its
key, cancelled from it; "find my booking"; and a slot's capacity under 50 citizens posting
at once (SQLite here, PostgreSQL when the suite has one)."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from dataclasses import replace
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.booking import CCCD, MORNING, OTHER_CCCD, PHONE, at, booking_config
from support.clock import ManualClock
from support.databases import fresh_postgres_database
from support.servers import SITE
from support.web import Answer, WebClient

from server.app.serve import RunningServer, start_server
from server.booking.slots import open_slots
from server.booking.sms import LogSender
from server.config import Settings, parse_settings

SLOT = "2026-11-23T10:00:00+07:00"
CHOOSE = f"/dat-lich/{SITE}/HT"


@pytest.fixture
def settings() -> Settings:
    return parse_settings(booking_config())


def rows(database: Path) -> list[dict[str, Any]]:
    connection = sqlite3.connect(database)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute("SELECT * FROM bookings ORDER BY id")]
    finally:
        connection.close()


def header(answer: Answer, name: str) -> str:
    return next(value for key, value in answer.headers.items() if key.lower() == name)


def error_beside(body: str, field: str) -> str:
    found = re.search(rf'id="field-{field}".*?<p class="field-error" id="{field}-error">'
                      rf"([^<]*)</p>", body, re.S)
    assert found, (field, body[:4000])
    return unescape(str(found.group(1)))


def note(body: str) -> str:
    found = re.search(r'<p class="note" id="form-note" role="alert">([^<]*)</p>', body)
    assert found, body[:4000]
    return unescape(found.group(1))


async def post(client: WebClient, path: str = CHOOSE, **fields: str) -> Answer:
    form = {"lang": "vi", "when": SLOT, "by": "cccd", "cccd": CCCD, **fields}
    return await client.post(path, form, follow=False)


async def booked_page(client: WebClient, **fields: str) -> tuple[str, Answer]:
    """Book and follow to the booking's page; its address and the page."""
    answer = await post(client, **fields)
    assert answer.status == 303, answer.body[:3000]
    location = header(answer, "location")
    assert re.fullmatch(r"/dat-lich/ma/[A-Z2-9]{8}\?k=[0-9a-f]{16}&done=1", location), location
    return location, await client.get(location)


async def test_from_the_centre_to_a_booked_visit_with_an_id_card(
    server: RunningServer, database_path: Path
) -> None:
    citizen = WebClient(server.http_url)
    # One centre takes bookings: straight to its procedures.
    home = await citizen.get("/dat-lich", follow=False)
    assert (home.status, header(home, "location")) == (303, f"/dat-lich/{SITE}")
    procedures = await citizen.get(f"/dat-lich/{SITE}")
    assert "Tư pháp - Hộ tịch" in procedures.body and f'href="{CHOOSE}"' in procedures.body
    choose = await citizen.get(CHOOSE)
    assert choose.status == 200
    assert "Lấy số ngay" in choose.body and "Đang có 0 người chờ; chưa có quầy mở" in choose.body
    assert f'value="{SLOT}"' in choose.body and "còn 3<" in choose.body
    location, page = await booked_page(citizen)
    assert page.status == 200
    assert "Đặt lịch thành công!" in page.body
    code = location.split("/")[3].split("?")[0]
    assert f"{code[:4]}-{code[4:]}" in page.body
    assert "<svg" in page.body and "Nhận số tại kiosk" in page.body
    assert "10:00–10:30" in page.body and "từ 09:30 đến 10:15" in page.body
    [row] = rows(database_path)
    assert (row["status"], row["kind"], row["phone"], row["language"]) == (
        "booked", "slot", None, "vi")
    # The slot has a place fewer.
    assert "còn 2<" in (await citizen.get(CHOOSE)).body
    # Without the key, or with another, the page is nobody's.
    assert (await citizen.get(location.split("?")[0])).status == 404
    assert (await citizen.get(location.replace("k=", "k=0"))).status == 404


async def test_a_number_now_then_its_live_status_page(server: RunningServer) -> None:
    citizen = WebClient(server.http_url)
    location, page = await booked_page(citizen, when="now")
    assert "Đã lấy số thành công!" in page.body
    number = re.search(r'id="ticket-number">([^<]+)<', page.body)
    assert number and number.group(1) == "A001"
    follow = re.search(r'id="follow" href="([^"]+)"', page.body)
    assert follow
    status = await citizen.get(unescape(follow.group(1)).replace(server.service.server.public_url,
                                                                   ""))
    assert status.status == 200 and "A001" in status.body
    # It can be cancelled from the booking's page while it waits.
    cancel = await citizen.post(location.split("?")[0] + "/huy",
                                {"k": location.split("k=")[1].split("&")[0]}, follow=False)
    assert cancel.status == 303
    ticket = next(iter(server.service.sites[SITE].committed.tickets.values()))
    assert ticket.status.value == "cancelled" and ticket.remote


async def test_outside_the_hours_the_page_says_when_numbers_can_be_taken_again(
        server: RunningServer, server_clock: ManualClock) -> None:
    config = booking_config()
    config["sites"][0]["opening_hours"] = {"monday": "07:30-11:30, 13:30-17:00",
                                           "tuesday": "07:30-11:30"}
    await server.service.configuration.change(
        {"sites": config["sites"], "accounts": []}, "test", "hours")
    citizen = WebClient(server.http_url)

    def closed_line(body: str) -> str:
        found = re.search(r'<p class="hint" id="now-closed">([^<]*)</p>', body)
        assert found, body[:3000]
        assert 'id="choice-now"' not in body
        return unescape(found.group(1))

    server_clock.now = at(12)  # the lunch break
    assert closed_line((await citizen.get(CHOOSE)).body) == (
        "Hiện không lấy số từ xa được (ngoài giờ nhận); lấy số lại lúc 13:30.")
    assert closed_line((await citizen.get(CHOOSE + "?lang=en")).body) == (
        "Numbers cannot be taken remotely now (outside the hours); they can again at 13:30.")
    server_clock.now = at(12, days=1)  # Tuesday afternoon: next Monday morning
    assert closed_line((await citizen.get(CHOOSE + "?lang=vi")).body) == (
        "Hiện không lấy số từ xa được (ngoài giờ nhận); lấy số lại lúc 07:30 thứ Hai 30/11.")
    # A number asked for all the same is refused, the reopening said beside the choice.
    answer = await post(citizen, when="now")
    assert answer.status == 409
    assert "lấy số lại lúc 07:30 thứ Hai 30/11" in answer.body
    server_clock.now = at(14)
    assert 'id="choice-now"' in (await citizen.get(CHOOSE)).body


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"when": ""}, "when", "Thời gian: vui lòng chọn lấy số ngay hoặc một khung giờ."),
    ({"when": "tomorrow"}, "when", "Thời gian: lựa chọn không hợp lệ, vui lòng chọn lại."),
    ({"when": "2026-11-23T10:00:00"}, "when", "Thời gian: lựa chọn không hợp lệ"),
    ({"when": "2026-11-23T10:10:00+07:00"}, "when", "Thời gian: khung giờ này không còn đặt"),
    ({"when": "2026-11-23T07:30:00+07:00"}, "when", "Thời gian: khung giờ này không còn đặt"),
    ({"when": "2026-12-23T10:00:00+07:00"}, "when", "Thời gian: khung giờ này không còn đặt"),
    ({"by": ""}, "by", "Thông tin người đặt: vui lòng chọn số điện thoại hoặc số căn cước."),
    ({"cccd": ""}, "cccd", "Số căn cước công dân: vui lòng nhập 12 chữ số."),
    ({"cccd": "12345"}, "cccd", "Số căn cước công dân: gồm đúng 12 chữ số."),
    ({"cccd": "003051012345"}, "cccd", "Số căn cước công dân: 3 số đầu không phải mã tỉnh"),
    ({"cccd": "001551012345"}, "cccd", "Số căn cước công dân: chữ số thứ 4"),
    ({"cccd": "001299012345"}, "cccd", "Số căn cước công dân: năm sinh (chữ số thứ 5 và 6)"),
    ({"by": "phone", "phone": ""}, "phone", "Số điện thoại di động: vui lòng nhập số"),
    ({"by": "phone", "phone": "0243 822 1234"}, "phone",
     "Số điện thoại di động: là số máy bàn"),
    ({"by": "phone", "phone": "091234"}, "phone", "Số điện thoại di động: số di động gồm 10"),
])
async def test_every_bad_field_is_refused_beside_itself_and_nothing_is_stored(
    server: RunningServer, database_path: Path, fields: dict[str, str], field: str,
    message: str
) -> None:
    answer = await post(WebClient(server.http_url), **fields)
    assert answer.status in (400, 409), answer.status
    assert error_beside(answer.body, field).startswith(message)
    assert rows(database_path) == []
    sender = server.service.bookings.sender
    assert isinstance(sender, LogSender) and sender.sent == []


async def test_bad_fields_in_english(server: RunningServer, database_path: Path) -> None:
    answer = await post(WebClient(server.http_url), path=CHOOSE + "?lang=en", lang="en",
                        when="", cccd="0010510")
    assert answer.status == 400
    assert error_beside(answer.body, "when") == "When: please choose a number now or a time."
    assert error_beside(answer.body, "cccd") == "ID card number: exactly 12 digits."
    assert note(answer.body) == "Not booked yet: please correct the marked fields."
    assert rows(database_path) == []


async def test_a_phone_is_proved_by_a_one_time_code(
    server: RunningServer, database_path: Path
) -> None:
    citizen = WebClient(server.http_url)
    sender = server.service.bookings.sender
    assert isinstance(sender, LogSender)
    asked = await post(citizen, by="phone", phone="091 234 5678")
    assert asked.status == 200 and "091****678" in asked.body
    assert rows(database_path) == []
    [(phone, text)] = sender.sent
    code = re.search(r"\b(\d{6})\b", text)
    assert phone == PHONE and code
    confirm = f"{CHOOSE}/xac-nhan"
    fields = {"by": "phone", "phone": PHONE}
    wrong = await post(citizen, confirm, otp="000000" if code.group(1) != "000000" else "1",
                       **fields)
    assert wrong.status == 400
    assert error_beside(wrong.body, "otp").startswith("Mã xác nhận: không đúng")
    empty = await post(citizen, confirm, otp="", **fields)
    assert error_beside(empty.body, "otp").startswith("Mã xác nhận: vui lòng nhập")
    assert rows(database_path) == []
    done = await post(citizen, confirm, otp=code.group(1), **fields)
    assert done.status == 303
    [row] = rows(database_path)
    assert (row["identity_kind"], row["phone"]) == ("phone", PHONE)
    page = await citizen.get(header(done, "location"))
    assert "Tin nhắn nhắc lịch sẽ được gửi khoảng 60 phút trước giờ hẹn." in page.body
    # A code works once; a second code within the minute is refused with the wait.
    again = await post(citizen, confirm, otp=code.group(1), **fields)
    assert again.status == 400
    resend = await post(citizen, by="phone", phone=PHONE)
    assert resend.status == 429 and "vui lòng chờ" in error_beside(resend.body, "phone")


async def test_the_limits_are_said_plainly(server: RunningServer, database_path: Path) -> None:
    citizen = WebClient(server.http_url)
    await booked_page(citizen)
    same_field = await post(citizen, when="2026-11-23T11:00:00+07:00")
    assert same_field.status == 409
    assert note(same_field.body) == ("Mỗi người được đặt tối đa 1 lượt mỗi ngày cho lĩnh vực "
                                     "Tư pháp - Hộ tịch; quý khách đã đặt đủ cho ngày "
                                     "23/11/2026.")
    await booked_page(citizen, path=f"/dat-lich/{SITE}/DD-NOP")
    third = await post(citizen, path=f"/dat-lich/{SITE}/DD-TRA")
    assert note(third.body) == ("Mỗi người được đặt tối đa 2 lượt mỗi ngày; quý khách đã đủ "
                                "2 lượt cho ngày 23/11/2026.")
    for index in range(2):
        await booked_page(citizen, cccd=f"07909000000{index}")
    full = await post(citizen, cccd="079090000009")
    assert full.status == 409
    assert error_beside(full.body, "when") == ("Thời gian: khung giờ này vừa hết chỗ, vui "
                                               "lòng chọn khung giờ khác.")
    assert "hết chỗ" in (await citizen.get(CHOOSE)).body
    english = await post(citizen, path=f"/dat-lich/{SITE}/DD-TRA?lang=en", lang="en")
    assert note(english.body) == "One person may book at most 2 a day; you already have 2 " \
                                 "for 23/11/2026."
    assert len(rows(database_path)) == 4


@pytest.mark.parametrize("headers", [
    {"Origin": "https://example.com"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}])
async def test_a_form_from_another_site_is_refused(
    server: RunningServer, database_path: Path, headers: dict[str, str]
) -> None:
    answer = await WebClient(server.http_url).post(
        CHOOSE, {"when": SLOT, "by": "cccd", "cccd": CCCD}, follow=False, headers=headers)
    assert answer.status == 403
    assert "Biểu mẫu chỉ được gửi từ trang của trung tâm." in answer.body
    assert rows(database_path) == []


async def test_large_forms_and_an_address_booking_too_often_are_refused(
    server: RunningServer, database_path: Path, server_clock: ManualClock
) -> None:
    citizen = WebClient(server.http_url)
    assert (await post(citizen, cccd="1" * 5000)).status == 413
    site = server.service.sites[SITE]
    site.follow(replace(site.settings, booking=replace(site.settings.booking,
                                                       per_address_per_hour=2)))
    await booked_page(citizen)
    await booked_page(citizen, cccd=OTHER_CCCD)
    third = await post(citizen, cccd="079090000001")
    assert third.status == 429
    assert note(third.body) == ("Đã có nhiều lượt đặt từ thiết bị này trong thời gian ngắn. "
                                "Vui lòng thử lại sau 30 phút.")
    assert len(rows(database_path)) == 2
    server_clock.now = MORNING + timedelta(minutes=30)
    await booked_page(citizen, cccd="079090000001")


async def test_a_booking_is_found_with_its_code_and_number_and_cancelled(
    server: RunningServer, database_path: Path
) -> None:
    citizen = WebClient(server.http_url)
    location, _ = await booked_page(citizen)
    code = location.split("/")[3].split("?")[0]
    stranger = WebClient(server.http_url)
    for identity in (OTHER_CCCD, PHONE):
        missed = await stranger.post("/dat-lich/tra-cuu", {"code": code, "identity": identity},
                                     follow=False)
        assert missed.status == 404
        assert note(missed.body).startswith("Không tìm thấy lịch hẹn.")
    bad = await stranger.post("/dat-lich/tra-cuu", {"code": "ABC", "identity": "12"},
                              follow=False)
    assert bad.status == 400
    assert error_beside(bad.body, "code").startswith("Mã lịch hẹn: gồm 8 chữ cái")
    assert error_beside(bad.body, "identity").startswith("Số điện thoại hoặc số căn cước")
    found = await stranger.post("/dat-lich/tra-cuu",
                                {"code": f"{code[:4].lower()}-{code[4:]}", "identity": CCCD},
                                follow=False)
    assert found.status == 303 and header(found, "location") == location.replace("&done=1", "")
    # Cancelled from its page: only with its key.
    key = location.split("k=")[1].split("&")[0]
    wrong = await stranger.post(f"/dat-lich/ma/{code}/huy", {"k": "0" * 16}, follow=False)
    assert wrong.status == 404 and rows(database_path)[0]["status"] == "booked"
    cancelled = await stranger.post(f"/dat-lich/ma/{code}/huy", {"k": key})
    assert cancelled.status == 200 and "Đã hủy." in cancelled.body
    assert rows(database_path)[0]["status"] == "cancelled"
    again = await stranger.post(f"/dat-lich/ma/{code}/huy", {"k": key}, follow=False)
    assert again.status == 409 and "không còn hủy được" in again.body


# --- capacity under concurrency --------------------------------------------------------------


async def fifty_at_once(http_url: str) -> list[int]:
    """50 citizens (50 CCCD numbers, 50 connections) posting the same slot at once."""
    async with httpx.AsyncClient(base_url=http_url, timeout=60,
                                 limits=httpx.Limits(max_connections=60)) as client:
        async def one(index: int) -> int:
            answer = await client.post(CHOOSE, data={
                "when": SLOT, "by": "cccd", "cccd": f"0790900{index:05d}", "lang": "vi"})
            return answer.status_code

        return await asyncio.gather(*(one(index) for index in range(50)))


@pytest.fixture
def roomy() -> Settings:
    return parse_settings(booking_config(capacity=5, per_address_per_hour=1000))


async def test_fifty_at_once_never_overbook_a_slot_on_sqlite(
    roomy: Settings, database_path: Path
) -> None:
    running = await start_server(roomy, host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{database_path}",
                                 clock=ManualClock(MORNING))
    try:
        statuses = await fifty_at_once(running.http_url)
    finally:
        await running.stop()
    assert sorted(statuses) == [303] * 5 + [409] * 45
    assert [row["status"] for row in rows(database_path)] == ["booked"] * 5


async def test_fifty_at_once_never_overbook_a_slot_on_postgresql(roomy: Settings) -> None:
    with fresh_postgres_database() as url:
        running = await start_server(roomy, host="127.0.0.1", port=0, database_url=url,
                                     clock=ManualClock(MORNING))
        try:
            statuses = await fifty_at_once(running.http_url)
            site = running.service.sites[SITE].settings
            held = await running.service.bookings.places(site, "HT", [
                slot for slot in open_slots(site, "HT", at(10).date(), MORNING)
                if slot.start.isoformat() == SLOT])
        finally:
            await running.stop()
    assert sorted(statuses) == [303] * 5 + [409] * 45
    assert [item.left for item in held] == [0]


async def test_unknown_centres_procedures_and_codes_are_not_found(
    server: RunningServer, database_path: Path
) -> None:
    citizen = WebClient(server.http_url)
    for path in ("/dat-lich/xa-khac", "/dat-lich/xa-khac/HT", f"/dat-lich/{SITE}/KHAC",
                 "/dat-lich/ma/ABCD2345?k=0123456789abcdef", "/dat-lich/ma/%3Cscript%3E",
                 "/dat-lich/ma/" + "A" * 500, f"/dat-lich/{SITE}/%3Cb%3Ex%3C%2Fb%3E"):
        answer = await citizen.get(path)
        assert answer.status == 404, path
        assert "<script>" not in answer.body and "<b>x</b>" not in answer.body
    posted = await post(citizen, path="/dat-lich/xa-khac/HT")
    assert posted.status == 404
    # A day that is not bookable is not shown; the page falls back to one that is.
    page = await citizen.get(f"{CHOOSE}?day=2030-01-01")
    assert page.status == 200 and 'class="chosen" aria-current="date">Hôm nay 23/11<' in page.body
    assert rows(database_path) == []


def test_every_word_is_in_both_languages() -> None:
    from server.booking.texts import BOOKING_TEXTS
    from server.web.texts import Language

    assert set(BOOKING_TEXTS[Language.VIETNAMESE]) == set(BOOKING_TEXTS[Language.ENGLISH])
