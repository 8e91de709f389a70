"""The audit log of the web pages over HTTP on a real server: a configuration change with each
changed path before and after, a device token added and revoked and an officer's password
set without the secret, sign-ins (a failed one with its address), a feedback answer with who
answered, a report downloaded; then the page and its CSV: who may read which site's entries,
filters checked beside their field, the CSV read back, and no password or token anywhere."""

from __future__ import annotations

import asyncio
import csv
import http.client
import io
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

from support.audit import audit_rows, audit_text
from support.servers import ADMIN_TOKEN, KIOSK_TOKEN, PASSWORD, SITE
from support.web import MANAGER_HASH, MANAGER_PASSWORD, OTHER_SITE, WebClient, form_token

from server.app.serve import RunningServer
from server.audit.model import UNKNOWN_USER, Action, Actor, ActorKind, AuditEntry, Channel
from server.audit.redaction import CHANGED, HIDDEN
from server.protocol.client import ProtocolClient

OFFICER_PASSWORD = "mat-khau-can-bo-9"


async def signed_in(server: RunningServer, user: str) -> WebClient:
    client = WebClient(server.http_url)
    answer = await client.sign_in(user=user)
    assert answer.status == 200, answer.body[:300]
    return client


async def post_form(client: WebClient, path: str, fields: dict[str, str],
                    form_page: str | None = None) -> Any:
    page = await client.get(form_page or path)
    assert page.status == 200, (path, page.status)
    return await client.post(path, {"csrf": form_token(page.body), **fields})


def sign_in_from(server: RunningServer, address: str, user: str, password: str) -> int:
    """A sign-in from ``address`` (any 127.x is this host); its answer's status."""
    parsed = urllib.parse.urlsplit(server.http_url)
    assert parsed.hostname is not None and parsed.port is not None
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10,
                                            source_address=(address, 0))
    try:
        connection.request("GET", "/manage/sign-in")
        answer = connection.getresponse()
        page = answer.read().decode()
        cookie = answer.getheader("set-cookie", "").split(";")[0]
        body = urllib.parse.urlencode({"csrf": form_token(page), "next": "/manage",
                                       "user": user, "password": password})
        connection.request("POST", "/manage/sign-in", body, {
            "content-type": "application/x-www-form-urlencoded", "cookie": cookie,
            "origin": server.service.server.public_url})
        return connection.getresponse().status
    finally:
        connection.close()


async def test_a_configuration_change_records_each_path_before_and_after(
    server: RunningServer, database_path: Path
) -> None:
    client = await signed_in(server, "quantri")
    saved = await post_form(client, f"/admin/site/{SITE}/site", {
        "name_vi": "Trung tâm Phục vụ hành chính công thử nghiệm", "name_en": "Test centre",
        "notice": "Nghỉ Tết từ 15/2", "timezone": "Asia/Ho_Chi_Minh"})
    assert "saved=2" in saved.url, saved.body[:500]
    [row] = audit_rows(database_path, "config.change")
    assert (row["actor_kind"], row["actor"], row["channel"], row["address"], row["site"],
            row["target"], row["outcome"]) == (
        "administrator", "quantri", "web", "127.0.0.1", SITE, f"{SITE}/site", "ok")
    before, after = json.loads(row["before"]), json.loads(row["after"])
    path = f"sites/{SITE}/notice"
    assert (before[path], after[path]) == ("", "Nghỉ Tết từ 15/2")
    assert (before["version"], after["version"]) == (1, 2)
    # Only what changed: the name and the time zone, given as they were, are not there.
    assert f"sites/{SITE}/name_vi" not in before and f"sites/{SITE}/timezone" not in after

    # A new device token: recorded as added, the token itself nowhere.
    made = await post_form(client, f"/admin/site/{SITE}/tokens/new",
                           {"name": "ki-ot tang 2", "role": "kiosk"})
    token = re.search(r'<code id="made-token">([^<]+)</code>', made.body)
    assert token, made.body[:1000]
    [added] = audit_rows(database_path, "device.add")
    assert added["target"] == f"{SITE}/tokens/ki-ot tang 2"
    assert json.loads(added["after"])[f"sites/{SITE}/tokens/ki-ot tang 2"]["token"] == HIDDEN
    # Revoked, confirmed: the old token hidden, whoever revoked it recorded.
    page = await client.get(f"/admin/site/{SITE}/tokens/kiosk")
    ask = await client.post(f"/admin/site/{SITE}/tokens/kiosk/delete",
                            {"csrf": form_token(page.body)})
    revoked = await client.post(f"/admin/site/{SITE}/tokens/kiosk/delete",
                                {"csrf": form_token(ask.body), "confirmed": "1"})
    assert "saved=4" in revoked.url
    [revoke] = audit_rows(database_path, "device.revoke")
    before = json.loads(revoke["before"])[f"sites/{SITE}/tokens/kiosk"]
    assert before == {"name": "kiosk", "role": "kiosk", "token": HIDDEN}
    assert json.loads(revoke["after"])[f"sites/{SITE}/tokens/kiosk"] is None
    # An officer's password set by the administrator: said changed, never kept.
    await post_form(client, f"/admin/site/{SITE}/officers/minh", {
        "user": "minh", "full_name": "Trần Văn Minh", "password_hash": OFFICER_PASSWORD,
        "active": "1"})
    officer = audit_rows(database_path, "config.change")[-1]
    key = f"sites/{SITE}/officers/minh/password_hash"
    assert (json.loads(officer["before"])[key], json.loads(officer["after"])[key]) == (
        HIDDEN, CHANGED)

    text = audit_text(database_path)
    for secret in (token.group(1), KIOSK_TOKEN, OFFICER_PASSWORD, PASSWORD, MANAGER_HASH,
                   MANAGER_PASSWORD):
        assert secret not in text, secret


async def test_sign_ins_are_recorded_with_the_address_and_a_failed_one_refused(
    server: RunningServer, database_path: Path
) -> None:
    assert await asyncio.to_thread(sign_in_from, server, "127.0.0.7", "giamdoc",
                                   "sai-mat-khau") == 401
    # A phone number typed as a user name is no account's: not kept.
    assert await asyncio.to_thread(sign_in_from, server, "127.0.0.7", "0912345678",
                                   MANAGER_PASSWORD) == 401
    assert await asyncio.to_thread(sign_in_from, server, "127.0.0.8", "giamdoc",
                                   MANAGER_PASSWORD) == 303
    director = await signed_in(server, "giamdoc")
    page = await director.get("/manage/reports")
    await director.post("/manage/sign-out", {"csrf": form_token(page.body)})
    rows = [(row["action"], row["outcome"], row["actor_kind"], row["actor"], row["address"],
             row["error"], row["site"]) for row in audit_rows(database_path)]
    assert rows == [
        ("sign_in.failed", "refused", "manager", "giamdoc", "127.0.0.7", "unauthorized", None),
        ("sign_in.failed", "refused", "manager", UNKNOWN_USER, "127.0.0.7", "unauthorized",
         None),
        ("sign_in.ok", "ok", "manager", "giamdoc", "127.0.0.8", None, None),
        ("sign_in.ok", "ok", "manager", "giamdoc", "127.0.0.1", None, None),
        ("sign_out", "ok", "manager", "giamdoc", "127.0.0.1", None, None)]
    text = audit_text(database_path)
    assert "sai-mat-khau" not in text and "0912345678" not in text
    assert MANAGER_PASSWORD not in text


async def test_a_feedback_answer_records_who_answered_and_what(
    server: RunningServer, database_path: Path
) -> None:
    citizen = WebClient(server.http_url)
    sent = await citizen.post("/gop-y", {"site": SITE, "site_fixed": "1",
                                         "category": "waiting", "text": "Chờ lâu quá.",
                                         "contact": "0912345678", "lang": "vi"}, follow=False)
    assert sent.status == 303, sent.body[:500]
    director = await signed_in(server, "giamdoc")
    [item_id] = re.findall(r'<tr data-id="(\d+)"', (await director.get("/manage/feedback")).body)
    page = await director.get(f"/manage/feedback/{item_id}")
    revision = re.search(r'name="revision" value="(\d+)"', page.body)
    assert revision
    reply = "Đã bổ sung quầy; cần gì xin gọi 0987 654 321."
    done = await director.post(f"/manage/feedback/{item_id}", {
        "csrf": form_token(page.body), "revision": revision.group(1), "state": "answered",
        "answer": reply})
    assert "saved=1" in done.url
    [row] = audit_rows(database_path, "feedback.answer")
    assert (row["actor_kind"], row["actor"], row["address"], row["site"], row["target"]) == (
        "manager", "giamdoc", "127.0.0.1", SITE, f"feedback/{item_id}")
    assert json.loads(row["before"]) == {"answer": None, "state": "new"}
    assert json.loads(row["after"]) == {
        "answer": "Đã bổ sung quầy; cần gì xin gọi *******321.", "state": "answered"}
    # The citizen's contact is never in the log; nor the full number in the answer.
    text = audit_text(database_path)
    assert "0912345678" not in text and "0987 654 321" not in text


async def entries_at_both_sites(server: RunningServer) -> None:
    """An administrator's cancellation at each site, and a province sign-in (no site)."""
    for site in (SITE, OTHER_SITE):
        async with ProtocolClient(server.ws_url, "admin", ADMIN_TOKEN, site) as admin:
            ticket = (await admin.request("issue", service="HT",
                                          request_key=f"{site}-1"))["ticket"]
            await admin.request("cancel", ticket_id=ticket["id"])


def csv_of(body: str) -> list[dict[str, str]]:
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


async def test_the_page_shows_each_administrator_their_sites_entries_only(
    server: RunningServer, database_path: Path
) -> None:
    await entries_at_both_sites(server)
    province = await signed_in(server, "tinh")  # a sign-in: an entry of no site
    mine = await signed_in(server, "quantri")
    theirs = await signed_in(server, "quantrixa")
    manager = await signed_in(server, "giamdoc")

    assert (await manager.get("/manage/audit")).status == 403
    assert (await manager.get("/manage/audit/export")).status == 403
    page = await mine.get("/manage/audit")
    assert page.status == 200
    shown = re.findall(r'<tr data-id="\d+" data-action="([^"]+)"', page.body)
    assert shown == ["ticket.cancel", "ticket.issue"]
    assert OTHER_SITE not in page.body.split('id="audit-list"')[1]
    assert (await mine.get(f"/manage/audit?site={OTHER_SITE}")).status == 404
    assert (await mine.get(f"/manage/audit/export?site={OTHER_SITE}")).status == 404
    other = await theirs.get("/manage/audit")
    assert re.findall(r'data-action="([^"]+)"', other.body) == ["ticket.cancel",
                                                               "ticket.issue"]
    assert f"<td>{SITE}</td>" not in other.body and f"<td>{OTHER_SITE}</td>" in other.body
    assert (await theirs.get(f"/manage/audit?site={SITE}")).status == 404

    everything = await province.get("/manage/audit")
    actions = re.findall(r'data-action="([^"]+)"', everything.body)
    assert sorted(actions) == sorted(["ticket.issue", "ticket.cancel"] * 2
                                     + ["sign_in.ok"] * 4)

    downloaded = await mine.get("/manage/audit/export")
    assert downloaded.status == 200
    assert "attachment" in downloaded.headers.get("content-disposition", "")
    lines = csv_of(downloaded.body)
    assert [(line["Mã trung tâm"], line["Mã hành động"], line["Kết quả"]) for line in lines] \
        == [(SITE, "ticket.issue", "thành công"), (SITE, "ticket.cancel", "thành công")]
    first = lines[0]
    assert first["Người thực hiện (loại)"] == "Quản trị" and first["Kênh"] == "admin"
    assert first["Địa chỉ IP"] == "127.0.0.1" and first["Hành động"].startswith("Cấp số")
    assert json.loads(first["Sau"])["status"] == "waiting"
    # The download itself is recorded, with the filters it used.
    [exported] = audit_rows(database_path, "audit.export")
    assert (exported["actor"], exported["target"]) == (
        "quantri", "nhat-ky-tat-ca-20261117-20261123.csv")
    for secret in (ADMIN_TOKEN, KIOSK_TOKEN, MANAGER_PASSWORD, MANAGER_HASH):
        assert secret not in downloaded.body and secret not in audit_text(database_path)

    # Filters: an actor, an action family, a site.
    by_actor = csv_of((await province.get("/manage/audit/export?actor=QUANTRIX")).body)
    assert [line["Người thực hiện"] for line in by_actor] == ["quantrixa"]
    by_family = csv_of((await province.get(
        f"/manage/audit/export?action=ticket&site={OTHER_SITE}")).body)
    assert [line["Mã hành động"] for line in by_family] == ["ticket.issue", "ticket.cancel"]


async def test_bad_filters_are_said_beside_their_field_and_nothing_is_read(
    server: RunningServer
) -> None:
    client = await signed_in(server, "tinh")
    wrong_day = await client.get("/manage/audit?from=2026-13-01")
    assert wrong_day.status == 400
    assert re.search(r'data-field="from">.*?class="error"[^>]*>[^<]*không phải là ngày',
                     wrong_day.body, re.S)
    backwards = await client.get("/manage/audit?from=2026-11-20&to=2026-11-01&lang=en")
    assert backwards.status == 400 and "The last day must be 20/11/2026 or later" in (
        backwards.body)
    too_long = await client.get("/manage/audit/export?from=2025-01-01&to=2026-11-01&lang=vi")
    assert too_long.status == 400 and "tối đa 366 ngày" in too_long.body
    unknown = await client.get("/manage/audit?action=ticket.explode")
    assert unknown.status == 400 and "ticket.explode" in unknown.body
    long_actor = await client.get("/manage/audit?actor=" + "x" * 65)
    assert long_actor.status == 400
    outsider = await WebClient(server.http_url).get("/manage/audit", follow=False)
    assert outsider.status == 303


async def test_the_daily_purge_deletes_only_entries_past_the_retention(
    server: RunningServer, database_path: Path
) -> None:
    service = server.service
    assert service.server.audit_retention_days == 365
    now = service.clock()
    actor = Actor(ActorKind.SYSTEM, "test", Channel.SERVER)
    for days in (400, 366, 364, 1):
        assert await service.audit.record(AuditEntry(now - timedelta(days=days), SITE, actor,
                                                     Action.CONFIG_CHANGE.value,
                                                     f"{days} days ago"))
    await service.purge_old_events()
    assert [row["target"] for row in audit_rows(database_path)] == ["364 days ago",
                                                                   "1 days ago"]


async def test_a_report_download_records_who_and_which_report(
    server: RunningServer, database_path: Path
) -> None:
    director = await signed_in(server, "giamdoc")
    answer = await director.get(f"/manage/reports/download?site={SITE}&from=2026-11-01"
                                "&to=2026-11-23&by=service&format=csv")
    assert answer.status == 200, answer.body[:300]
    [row] = audit_rows(database_path, "report.download")
    assert (row["actor"], row["site"], row["target"]) == (
        "giamdoc", SITE, f"bao-cao-service-{SITE}-20261101-20261123.csv")
    assert json.loads(row["after"]) == {"by": "service", "format": "csv",
                                        "from": "2026-11-01", "sites": [SITE],
                                        "to": "2026-11-23"}


def post_json(url: str, body: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


async def test_an_enrolment_code_and_its_use_are_recorded_but_never_the_code(
    server: RunningServer, database_path: Path
) -> None:
    client = await signed_in(server, "quantri")
    page = await client.get(f"/admin/site/{SITE}/devices")
    made = await client.post(f"/admin/site/{SITE}/tokens/kiosk/enrol",
                             {"csrf": form_token(page.body)})
    code = re.search(r'<code id="enrol-code">([A-Z0-9-]+)</code>', made.body)
    assert code, made.body[:1000]
    url = f"{server.http_url}/enrol"
    assert await asyncio.to_thread(post_json, url, {"code": "ABCD-EFGH"}) == 403
    assert await asyncio.to_thread(post_json, url, {"code": code.group(1)}) == 200
    made_row, refused, used = [row for row in audit_rows(database_path)
                               if row["action"].startswith("device.enrol")]
    assert (made_row["action"], made_row["actor"], made_row["target"], made_row["site"]) == (
        "device.enrol_code", "quantri", f"{SITE}/tokens/kiosk", SITE)
    assert (refused["action"], refused["outcome"], refused["error"], refused["channel"]) == (
        "device.enrol", "refused", "unknown", "web")
    assert (used["action"], used["actor_kind"], used["actor"], used["channel"],
            used["address"], used["site"]) == (
        "device.enrol", "device", "kiosk", "kiosk", "127.0.0.1", SITE)
    text = audit_text(database_path)
    for secret in (code.group(1), code.group(1).replace("-", ""), "ABCD-EFGH", KIOSK_TOKEN):
        assert secret not in text, secret
