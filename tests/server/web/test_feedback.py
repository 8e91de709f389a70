"""Citizens' feedback over HTTP on a real server: sent and followed with its code, every bad
field refused beside itself with nothing stored, the ticket checked against the site's
recent tickets, the per-address limit, a foreign origin, wrong codes; the managers' inbox
(state, answer, another site's feedback out of reach), the CSV export read back, the QR
poster, and contacts erased after ``feedback_contact_days`` and nothing else."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from support.clock import ManualClock
from support.servers import SITE
from support.web import OTHER_SITE, Answer, WebClient, form_token

from server.app.serve import RunningServer
from server.feedback.model import Category, Submission

TEXT = "Cán bộ quầy 2 hướng dẫn rất tận tình, nhưng phải chờ hơn một giờ."


def rows(database: Path, query: str = "SELECT * FROM feedback ORDER BY id") -> list[Any]:
    connection = sqlite3.connect(database)
    connection.row_factory = sqlite3.Row
    try:
        return list(connection.execute(query))
    finally:
        connection.close()


def header(answer: Answer, name: str) -> str:
    return next(value for key, value in answer.headers.items() if key.lower() == name)


def error_beside(body: str, field: str) -> str:
    """The message shown under ``field`` of the citizens' form."""
    found = re.search(rf'id="field-{field}".*?<p class="field-error" id="{field}-error">'
                      rf"([^<]*)</p>", body, re.S)
    assert found, (field, body[:3000])
    return unescape(str(found.group(1)))


async def send(client: WebClient, fields: dict[str, str] | None = None, follow: bool = False,
               headers: dict[str, str] | None = None, **more: str) -> Answer:
    form = {"site": SITE, "site_fixed": "1", "category": "waiting", "text": TEXT,
            "lang": "vi", **(fields or {}), **more}
    return await client.post("/gop-y", form, follow=follow, headers=headers)


async def sent_code(client: WebClient, **fields: str) -> str:
    answer = await send(client, fields)
    assert answer.status == 303, answer.body[:2000]
    location = header(answer, "location")
    found = re.fullmatch(r"/gop-y/([A-Z2-9]{5}-[A-Z2-9]{5})\?sent=1", location)
    assert found, location
    return found.group(1)


async def test_feedback_is_sent_and_then_followed_with_its_code(
    server: RunningServer, database_path: Path
) -> None:
    citizen = WebClient(server.http_url)
    form = await citizen.get(f"/gop-y?site={SITE}")
    assert form.status == 200
    assert "Trung tâm Phục vụ hành chính công thử nghiệm" in form.body
    assert 'name="site" value="hcc-test"' in form.body and "<select" not in form.body
    for name in ("Thái độ phục vụ", "Thời gian chờ", "Cơ sở vật chất", "Thủ tục hành chính",
                 "Khác"):
        assert name in form.body
    assert "<script" not in form.body

    code = await sent_code(citizen, contact="0912 345 678", category="attitude")
    page = await citizen.get(f"/gop-y/{code}?sent=1")
    assert page.status == 200 and page.headers.get("cache-control") == "no-store"
    assert "Cảm ơn quý khách đã góp ý!" in page.body and code in page.body
    assert f'id="reference-link">{server.http_url}/gop-y/{code}<' in page.body
    assert TEXT in page.body and "Mới tiếp nhận" in page.body and "Thái độ phục vụ" in page.body
    assert "0912345678" not in page.body  # the contact is the centre's, not the page's

    [row] = rows(database_path)
    assert (row["site"], row["category"], row["text"], row["contact"], row["state"]) == (
        SITE, "attitude", TEXT, "0912345678", "new")
    assert code.replace("-", "") not in str(dict(row))  # only its keyed hash is kept

    # The code works typed loosely, and in English.
    again = await citizen.get(f"/gop-y/{code.lower().replace('-', '')}?lang=en")
    assert again.status == 200 and ">New<" in again.body and "Staff attitude" in again.body
    looked_up = await citizen.get(f"/gop-y/tra-cuu?code={code.lower()}", follow=False)
    assert looked_up.status == 303 and header(looked_up, "location") == f"/gop-y/{code}"


async def test_without_a_site_the_citizen_chooses_one(server: RunningServer) -> None:
    citizen = WebClient(server.http_url)
    form = await citizen.get("/gop-y")
    assert "<select" in form.body and "Bộ phận Một cửa xã thử nghiệm" in form.body
    english = await citizen.get("/gop-y?lang=en")
    assert "Test commune" in english.body and "Your feedback is about" in english.body


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"site": "", "site_fixed": ""}, "site", "Trung tâm: vui lòng chọn trung tâm."),
    ({"site": "khong-co", "site_fixed": ""}, "site", "Trung tâm: không có trung tâm này"),
    ({"category": ""}, "category", "Góp ý về: vui lòng chọn một mục."),
    ({"category": "hoi-lo"}, "category", "Góp ý về: không có mục này"),
    ({"text": "  "}, "text", "Nội dung góp ý: vui lòng nhập nội dung."),
    ({"text": "a" * 2001}, "text", "Nội dung góp ý: dài 2001 ký tự, tối đa 2000 ký tự."),
    ({"text": "bell\x07"}, "text", "Nội dung góp ý: có ký tự không hợp lệ."),
    ({"contact": "091234"}, "contact", "Số điện thoại hoặc email: chưa đúng"),
    ({"contact": "ten@mien"}, "contact", "Số điện thoại hoặc email: chưa đúng"),
    ({"ticket": "10/01"}, "ticket", "Số phiếu: chỉ gồm chữ cái và chữ số"),
    ({"ticket": "1999"}, "ticket",
     "Số phiếu: trung tâm không cấp phiếu số 1999 trong 7 ngày gần đây."),
])
async def test_every_bad_field_is_refused_beside_itself_and_nothing_is_stored(
    server: RunningServer, database_path: Path, fields: dict[str, str], field: str,
    message: str
) -> None:
    citizen = WebClient(server.http_url)
    answer = await send(citizen, fields)
    assert answer.status == 400
    assert error_beside(answer.body, field).startswith(message)
    assert "Chưa gửi được: vui lòng sửa các mục được đánh dấu." in answer.body
    # What was typed is kept, to be corrected rather than typed again.
    if field != "text":
        assert TEXT in answer.body
    assert rows(database_path) == []


async def test_bad_fields_are_refused_in_english_when_switched(
    server: RunningServer, database_path: Path
) -> None:
    citizen = WebClient(server.http_url)
    answer = await citizen.post("/gop-y?lang=en", {
        "site": SITE, "site_fixed": "1", "category": "", "text": "", "contact": "x@y",
        "lang": "en"}, follow=False)
    assert answer.status == 400
    assert error_beside(answer.body, "category") == "Your feedback is about: please choose one."
    assert error_beside(answer.body, "text") == "Your feedback: please write something."
    assert error_beside(answer.body, "contact").startswith("Phone or e-mail: not valid")
    assert rows(database_path) == []


async def test_a_ticket_is_one_this_site_issued_in_the_last_days(
    server: RunningServer, database_path: Path, connect: Any, server_clock: ManualClock
) -> None:
    kiosk = await connect("kiosk")
    issued = (await kiosk.request("issue", service="HT", request_key="gop-y-1"))["ticket"]
    assert issued["number"] == "A001"
    citizen = WebClient(server.http_url)

    # The ticket's own page links to the form, the ticket filled in.
    status = await citizen.get(f"/t/{issued['track']}")
    found = re.search(r'<p class="feedback"><a href="([^"]+)"', status.body)
    assert found
    link = unescape(found.group(1))
    assert link == f"/gop-y?site={SITE}&t={issued['track']}"
    form = await citizen.get(link)
    assert 'id="ticket"' in form.body and 'value="A001"' in form.body
    await sent_code(citizen, ticket="A001", t=issued["track"])
    await sent_code(citizen, ticket=" a001 ")  # typed by hand, in lower case
    assert [(row["ticket"], row["ticket_id"]) for row in rows(database_path)] == [
        ("A001", issued["id"]), ("A001", issued["id"])]

    # Not the other site's ticket; not one from more than a week ago.
    answer = await send(citizen, site=OTHER_SITE, ticket="A001")
    assert answer.status == 400 and "không cấp phiếu số A001" in error_beside(answer.body,
                                                                             "ticket")
    server_clock.now += timedelta(days=6)
    await sent_code(citizen, ticket="A001")
    server_clock.now += timedelta(days=1)
    answer = await send(citizen, ticket="A001")
    assert answer.status == 400 and "7 ngày gần đây" in error_beside(answer.body, "ticket")
    assert len(rows(database_path)) == 3


async def test_an_address_may_send_five_then_one_every_six_minutes(
    server: RunningServer, database_path: Path, server_clock: ManualClock
) -> None:
    citizen = WebClient(server.http_url)
    # A form sent back for a correction does not count.
    assert (await send(citizen, text="")).status == 400
    for index in range(5):
        await sent_code(citizen, text=f"Góp ý số {index}")
    answer = await send(citizen, text="Góp ý thứ sáu")
    assert answer.status == 429
    assert ("Đã có nhiều góp ý được gửi liên tiếp từ thiết bị này. Vui lòng thử lại sau 6 phút."
            in answer.body)
    assert "Góp ý thứ sáu" in answer.body  # kept for later
    assert len(rows(database_path)) == 5
    server_clock.now += timedelta(minutes=6)
    await sent_code(citizen, text="Góp ý thứ sáu")
    assert (await send(citizen, text="Góp ý thứ bảy")).status == 429
    assert len(rows(database_path)) == 6


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
])
async def test_a_form_from_another_site_is_refused(
    server: RunningServer, database_path: Path, headers: dict[str, str]
) -> None:
    answer = await send(WebClient(server.http_url), headers=headers)
    assert answer.status == 403
    assert "Biểu mẫu chỉ được gửi từ trang của trung tâm." in answer.body
    assert rows(database_path) == []


async def test_a_large_or_badly_encoded_form_is_refused(
    server: RunningServer, database_path: Path
) -> None:
    citizen = WebClient(server.http_url)
    assert (await send(citizen, text="ả" * 9000)).status == 413
    bad = await citizen.post("/gop-y", {}, headers={"Content-Type":
                                                    "application/x-www-form-urlencoded"})
    assert bad.status == 400  # empty: every field missing, said beside each
    assert rows(database_path) == []


async def test_a_code_opens_its_own_feedback_only(server: RunningServer) -> None:
    first = WebClient(server.http_url)
    second = WebClient(server.http_url)
    mine = await sent_code(first, text="Góp ý của người thứ nhất")
    theirs = await sent_code(second, text="Góp ý của người thứ hai", category="facilities")
    page = await second.get(f"/gop-y/{mine}")
    assert page.status == 200
    assert "Góp ý của người thứ nhất" in page.body and "người thứ hai" not in page.body
    page = await first.get(f"/gop-y/{theirs}")
    assert "Góp ý của người thứ hai" in page.body and "người thứ nhất" not in page.body
    # A code one character off, a made-up one, a malformed one: not found, nothing shown.
    last = mine[-1]
    near = mine[:-1] + ("A" if last != "A" else "B")
    for wrong in (near, "ABCDE-23456", "not-a-code", "A" * 60):
        answer = await first.get(f"/gop-y/{wrong}")
        assert answer.status == 404, wrong
        assert "Không tìm thấy góp ý với mã tra cứu này." in answer.body
        assert "người thứ" not in answer.body
    # There is no listing.
    assert "người thứ" not in (await first.get("/gop-y/")).body
    looked_up = await first.get("/gop-y/tra-cuu?code=12", follow=False)
    assert looked_up.status == 400 and "Mã tra cứu: gồm 10 chữ cái và chữ số" in looked_up.body


# --- managers ------------------------------------------------------------------------------


async def manager(server: RunningServer, user: str = "giamdoc") -> WebClient:
    client = WebClient(server.http_url)
    answer = await client.sign_in(user=user)
    assert answer.status == 200, answer.body[:300]
    return client


def revision_of(body: str) -> str:
    found = re.search(r'name="revision" value="(\d+)"', body)
    assert found, body[:2000]
    return found.group(1)


def item_ids(body: str) -> list[int]:
    return [int(value) for value in re.findall(r'<tr data-id="(\d+)"', body)]


async def test_a_manager_answers_and_the_citizen_sees_it(
    server: RunningServer, database_path: Path
) -> None:
    citizen = WebClient(server.http_url)
    code = await sent_code(citizen, contact="ten.cong.dan@example.vn")
    director = await manager(server)

    dashboard = await director.get(f"/manage/site/{SITE}")
    count = re.search(r'id="feedback-count" href="([^"]+)">([^<]*)<', dashboard.body)
    assert count and count.group(2) == "1 góp ý mới"
    inbox = await director.get(unescape(count.group(1)))
    assert inbox.status == 200 and len(item_ids(inbox.body)) == 1
    [item_id] = item_ids(inbox.body)

    item = await director.get(f"/manage/feedback/{item_id}")
    assert TEXT in item.body and "ten.cong.dan@example.vn" in item.body
    csrf = form_token(item.body)
    revision = revision_of(item.body)

    # Answered with no answer: refused beside the field.
    refused = await director.post(f"/manage/feedback/{item_id}", {
        "csrf": csrf, "revision": revision, "state": "answered", "answer": ""})
    assert refused.status == 400
    assert "Trả lời: cần nhập nội dung trả lời" in unescape(refused.body)
    # Without the CSRF token: refused.
    forged = await director.post(f"/manage/feedback/{item_id}", {
        "revision": revision, "state": "in_progress", "answer": ""})
    assert forged.status == 403

    moved = await director.post(f"/manage/feedback/{item_id}", {
        "csrf": csrf, "revision": revision, "state": "in_progress", "answer": ""})
    assert moved.status == 200 and "saved=1" in moved.url and 'id="saved"' in moved.body
    assert "Đang xử lý" in (await citizen.get(f"/gop-y/{code}")).body

    # The page drawn before that change is stale now: its save is not taken.
    stale = await director.post(f"/manage/feedback/{item_id}", {
        "csrf": csrf, "revision": revision, "state": "answered", "answer": "Cũ"})
    assert stale.status == 409 and "vừa được người khác cập nhật" in stale.body

    fresh = await director.get(f"/manage/feedback/{item_id}")
    revision = revision_of(fresh.body)
    reply = "Trung tâm đã bổ sung 2 quầy tiếp nhận buổi sáng. Xin cảm ơn quý khách."
    done = await director.post(f"/manage/feedback/{item_id}", {
        "csrf": csrf, "revision": revision, "state": "answered", "answer": reply})
    assert done.status == 200 and "saved=1" in done.url

    seen = await citizen.get(f"/gop-y/{code}")
    assert "Đã trả lời" in seen.body and reply in seen.body
    [row] = rows(database_path)
    assert (row["state"], row["answer"], row["answered_by"], row["revision"]) == (
        "answered", reply, "giamdoc", 3)

    # Filters: no new one left; answered lists it.
    assert item_ids((await director.get("/manage/feedback?state=new")).body) == []
    assert item_ids((await director.get("/manage/feedback?state=answered")).body) == [item_id]
    dashboard = await director.get(f"/manage/site/{SITE}")
    assert "0 góp ý mới" in dashboard.body


async def test_another_sites_feedback_is_out_of_a_managers_reach(
    server: RunningServer, database_path: Path
) -> None:
    citizen = WebClient(server.http_url)
    await sent_code(citizen, site=OTHER_SITE, text="Góp ý cho xã")
    await sent_code(citizen, text="Góp ý cho trung tâm")
    theirs, mine = (row["id"] for row in rows(database_path))

    director = await manager(server)  # giamdoc: the test centre only
    inbox = await director.get("/manage/feedback")
    assert item_ids(inbox.body) == [mine] and "Góp ý cho xã" not in inbox.body
    assert (await director.get(f"/manage/feedback?site={OTHER_SITE}")).status == 404
    page = await director.get(f"/manage/feedback/{theirs}")
    assert page.status == 404 and "Góp ý cho xã" not in page.body
    csrf = form_token(inbox.body)
    answer = await director.post(f"/manage/feedback/{theirs}", {
        "csrf": csrf, "revision": "1", "state": "answered", "answer": "Không phải việc tôi"})
    assert answer.status == 404
    assert rows(database_path)[0]["state"] == "new"
    for path in ("/manage/feedback/99999", "/manage/feedback/abc"):
        assert (await director.get(path)).status == 404
    export = await director.get(f"/manage/feedback/export?site={OTHER_SITE}")
    assert export.status == 404

    province = await manager(server, "tinh")
    inbox = await province.get("/manage/feedback")
    assert sorted(item_ids(inbox.body)) == [theirs, mine]
    assert (await province.get(f"/manage/feedback/{theirs}")).status == 200
    assert item_ids((await province.get(f"/manage/feedback?site={OTHER_SITE}")).body) == [theirs]
    # Signed out: off to sign in.
    outsider = await WebClient(server.http_url).get("/manage/feedback", follow=False)
    assert outsider.status == 303 and "/manage/sign-in" in header(outsider, "location")


async def test_the_inbox_is_newest_first_and_paginated(
    server: RunningServer, database_path: Path, server_clock: ManualClock
) -> None:
    desk = server.service.feedback
    for index in range(30):
        server_clock.now += timedelta(minutes=1)
        await desk.submit(Submission(SITE, Category.OTHER, f"Góp ý {index}", None, None, "vi"),
                          None)
    director = await manager(server)
    first = await director.get("/manage/feedback")
    ids = [row["id"] for row in rows(database_path)]
    assert item_ids(first.body) == ids[::-1][:25]
    assert "Trang 1/2 · 30 góp ý" in first.body
    second = await director.get("/manage/feedback?page=2")
    assert item_ids(second.body) == ids[::-1][25:]
    assert (await director.get("/manage/feedback?page=x")).status == 200


async def test_the_export_is_a_csv_of_the_days_asked_for(
    server: RunningServer, database_path: Path, server_clock: ManualClock
) -> None:
    citizen = WebClient(server.http_url)
    await sent_code(citizen, text="=HYPERLINK(\"http://evil.example\")", contact="0912345678")
    server_clock.now += timedelta(days=1)
    await sent_code(citizen, text="Dòng một\nDòng hai", category="facilities", ticket="")
    director = await manager(server)
    day_one = "2026-11-23"
    answer = await director.get(f"/manage/feedback/export?from={day_one}&to=2026-11-24")
    assert answer.status == 200
    assert header(answer, "content-type") == "text/csv; charset=utf-8"
    assert "gop-y-nhieu-trung-tam-20261123-20261124.csv" in header(answer,
                                                                  "content-disposition")
    body = answer.body
    assert body.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(body[1:])))
    assert table[0][:7] == ["Số", "Mã trung tâm", "Trung tâm", "Ngày gửi", "Giờ gửi",
                            "Góp ý về", "Nội dung"]
    assert not any("0912345678" in cell for row in table for cell in row)  # no contact
    assert [row[3:7] for row in table[1:]] == [
        ["23/11/2026", "08:00", "Thời gian chờ", "'=HYPERLINK(\"http://evil.example\")"],
        ["24/11/2026", "08:00", "Cơ sở vật chất", "Dòng một\nDòng hai"]]
    assert table[1][9] == "Mới tiếp nhận"

    one_day = await director.get(f"/manage/feedback/export?site={SITE}&from={day_one}"
                                 f"&to={day_one}")
    assert len(list(csv.reader(io.StringIO(one_day.body[1:])))) == 2
    # The reports page of those days offers the same file beside the report's own.
    report = await director.get(f"/manage/reports?site={SITE}&from={day_one}&to={day_one}"
                                "&by=service")
    link = re.search(r'id="download-feedback" href="([^"]+)"', report.body)
    assert link is not None, report.body[-2000:]
    from_report = await director.get(unescape(link.group(1)))
    assert from_report.status == 200 and from_report.body == one_day.body

    for query, field, words in (
        ("from=23/11/2026&to=2026-11-24", "from", "'23/11/2026' không phải ngày"),
        ("from=2026-11-24&to=2026-11-23", "to", "phải từ ngày 2026-11-24 trở đi"),
        ("from=2025-01-01&to=2026-11-23", "to", "tối đa 366 ngày"),
    ):
        refused = await director.get(f"/manage/feedback/export?{query}")
        assert refused.status == 400, query
        found = re.search(rf'data-field="{field}">.*?<span class="error"[^>]*>([^<]*)<',
                          refused.body, re.S)
        assert found and words in unescape(found.group(1)), (query, refused.body[-3000:])


async def test_the_poster_is_for_the_sites_administrators(server: RunningServer) -> None:
    admin = await manager(server, "quantri")
    poster = await admin.get(f"/admin/site/{SITE}/feedback-poster")
    assert poster.status == 200
    address = f"/gop-y?site={SITE}"
    assert re.search(rf'id="poster-url">http://127\.0\.0\.1:\d+{re.escape(address)}<',
                     poster.body)
    assert "<svg" in poster.body and "GÓP Ý, PHẢN ÁNH, KIẾN NGHỊ" in poster.body
    assert "Quét mã QR bằng điện thoại" in poster.body and "Scan the QR code" in poster.body
    assert "style=" not in poster.body
    assert "default-src 'self'" in header(poster, "content-security-policy")
    director = await manager(server)  # a manager, not an administrator
    assert (await director.get(f"/admin/site/{SITE}/feedback-poster")).status == 404
    assert (await admin.get(f"/admin/site/{OTHER_SITE}/feedback-poster")).status == 404


async def test_contacts_are_erased_after_their_days_and_nothing_else(
    server: RunningServer, database_path: Path, server_clock: ManualClock
) -> None:
    assert server.service.server.feedback_contact_days == 90
    citizen = WebClient(server.http_url)
    started = server_clock.now
    await sent_code(citizen, text="Cũ", contact="0912345678")
    server_clock.now = started + timedelta(days=50)
    await sent_code(citizen, text="Giữa", contact="ten@example.vn")
    server_clock.now = started + timedelta(days=80)
    await sent_code(citizen, text="Mới, không liên hệ")
    director = await manager(server)
    answered = rows(database_path)[0]["id"]
    item = await director.get(f"/manage/feedback/{answered}")
    await director.post(f"/manage/feedback/{answered}", {
        "csrf": form_token(item.body), "revision": "1", "state": "answered",
        "answer": "Đã xử lý."})
    before = [dict(row) for row in rows(database_path)]

    server_clock.now = started + timedelta(days=90, seconds=-1)
    await server.service.purge_old_events()
    assert [dict(row) for row in rows(database_path)] == before  # not yet: 90 days to the second

    server_clock.now = started + timedelta(days=100)
    await server.service.purge_old_events()
    after = [dict(row) for row in rows(database_path)]
    assert after[0]["contact"] is None and after[0]["contact_erased_at"] is not None
    assert {key: value for key, value in after[0].items()
            if key not in ("contact", "contact_erased_at")} == {
        key: value for key, value in before[0].items()
        if key not in ("contact", "contact_erased_at")}
    assert after[1:] == before[1:]  # 50 days old: kept; no contact: untouched

    # The manager is told it is gone (signed in again: the session ended meanwhile).
    director = await manager(server)
    item = await director.get(f"/manage/feedback/{answered}")
    assert "Thông tin liên hệ đã được xóa theo thời hạn lưu giữ." in item.body
