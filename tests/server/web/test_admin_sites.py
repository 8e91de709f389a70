"""Centres added and removed from the administration pages, over HTTP and real connections:
a province account adds one (code, names, time zone) and it runs at once with its defaults,
a kiosk joining with a token made for it and taking a number; bad input is shown beside its
field; removing one is refused while it has tickets today or devices connected (saying
which), then asks first with the consequences (accounts of that site only go too), and stops
the site cleanly: its connections closed saying why, its tokens refused. Only a province
account adds or removes a centre."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from support.servers import SITE
from support.web import MANAGER_HASH, OTHER_SITE, Answer, WebClient, form_token, two_sites

from server.app.serve import RunningServer
from server.config import Settings, parse_settings
from server.protocol.client import ProtocolClient, RequestFailed

NEW = "ubnd-xa-tan-lap"


@pytest.fixture
def settings() -> Settings:
    """The two sites; the manager sees both, and the commune has an administrator of its
    own."""
    config = two_sites()
    config["accounts"][0]["sites"].append(OTHER_SITE)
    config["accounts"].append({"user": "canbo-xa", "full_name": "Đỗ Văn Xã",
                               "password_hash": MANAGER_HASH, "role": "admin",
                               "sites": [OTHER_SITE]})
    return parse_settings(config)


async def signed_in(server: RunningServer, user: str = "tinh") -> WebClient:
    client = WebClient(server.http_url)
    assert (await client.sign_in(user=user, next_page="/admin")).status == 200
    return client


async def add_site(client: WebClient, **fields: str) -> Answer:
    page = await client.get("/admin/sites/new")
    assert page.status == 200, page.body[:500]
    return await client.post("/admin/sites/new", {
        "csrf": form_token(page.body), "code": NEW, "name_vi": "UBND xã Tân Lập",
        "name_en": "Tan Lap commune", "timezone": "Asia/Ho_Chi_Minh", **fields})


def beside(body: str, field: str) -> str:
    found = re.search(rf'data-field="{field}">.*?<span class="error"[^>]*>([^<]*)<', body,
                      re.S)
    assert found, (field, body[:3000])
    return unescape(found.group(1))


def refusals(body: str) -> list[str]:
    """The reasons a removal was refused, as the site's page lists them."""
    return [unescape(text) for text in
            re.findall(r'<p class="impact refused">([^<]*)</p>', body)]


async def make_token(client: WebClient, code: str) -> str:
    page = await client.get(f"/admin/site/{code}/tokens/new")
    made = await client.post(f"/admin/site/{code}/tokens/new", {
        "csrf": form_token(page.body), "name": "ki-ốt sảnh", "role": "kiosk"})
    token = re.search(r'<code id="made-token">([^<]+)</code>', made.body)
    assert token, made.body[:2000]
    return token.group(1)


async def remove(client: WebClient, code: str, confirmed: bool = False) -> Answer:
    page = await client.get(f"/admin/site/{code}")
    fields = {"csrf": form_token(page.body)}
    if confirmed:
        fields["confirmed"] = "1"
    return await client.post(f"/admin/site/{code}/remove-site", fields)


async def test_a_new_centre_runs_at_once_and_a_kiosk_takes_a_number(
        server: RunningServer) -> None:
    client = await signed_in(server)
    home = await client.get("/admin")
    assert 'id="add-site" href="/admin/sites/new"' in home.body
    added = await add_site(client)
    assert added.status == 200 and added.url.endswith(f"/admin/site/{NEW}?added=2"), (
        added.url, added.body[:2000])
    assert "Đã thêm trung tâm, phiên bản 2 đang có hiệu lực" in added.body
    runtime = server.service.sites[NEW]
    site = runtime.settings
    assert (site.name_vi, site.name_en, site.timezone.key) == (
        "UBND xã Tân Lập", "Tan Lap commune", "Asia/Ho_Chi_Minh")
    assert [service.code for service in site.services] == ["CHUNG"]
    assert site.tokens == ()
    # Listed for the province, saved as a version with its comment.
    assert f'data-site="{NEW}"' in (await client.get("/admin")).body
    assert server.service.configuration.document["sites"][-1]["code"] == NEW

    token = await make_token(client, NEW)
    async with ProtocolClient(server.ws_url, "kiosk", token, NEW) as kiosk:
        state = (await kiosk.request("snapshot"))["state"]
        assert state["site"]["name"] == "UBND xã Tân Lập"
        assert [item["code"] for item in state["services"]] == ["CHUNG"]
        assert state["services"][0]["open"]  # Monday 08:00: office hours
        ticket = (await kiosk.request("issue", service="CHUNG", request_key="a"))["ticket"]
        assert ticket["number"] == "A001"
        # The other centres never see it.
        other = ProtocolClient(server.ws_url, "kiosk", token, SITE)
        with pytest.raises(RequestFailed) as refused:
            await other.connect()
        assert refused.value.code == "unauthorized"
        await other.close()


@pytest.mark.parametrize(("fields", "field", "reason"), [
    ({"code": ""}, "code", "bắt buộc"),
    ({"code": "CÓ DẤU"}, "code", "không phải là mã hợp lệ"),
    ({"code": OTHER_SITE}, "code", f"mã '{OTHER_SITE}' bị trùng"),
    ({"name_vi": ""}, "name_vi", "bắt buộc"),
    ({"timezone": "Asia/Hanoi-ish"}, "timezone", "Asia/Hanoi-ish"),
])
async def test_bad_input_is_shown_beside_its_field_and_nothing_is_added(
        server: RunningServer, fields: dict[str, str], field: str, reason: str) -> None:
    client = await signed_in(server)
    answer = await add_site(client, **fields)
    assert answer.status == 400
    assert reason in beside(answer.body, field)
    assert server.service.configuration.version == 1
    assert NEW not in server.service.sites


async def test_only_a_province_account_adds_or_removes_a_centre(
        server: RunningServer) -> None:
    client = await signed_in(server, "quantri")  # administers SITE only
    assert (await client.get("/admin/sites/new")).status == 403
    page = await client.get(f"/admin/site/{SITE}")
    assert "remove-site" not in page.body and "add-site" not in page.body
    answer = await client.post(f"/admin/site/{SITE}/remove-site",
                               {"csrf": form_token(page.body), "confirmed": "1"})
    assert answer.status == 403
    assert "Chỉ tài khoản cấp tỉnh thêm hoặc gỡ bỏ được trung tâm." in answer.body
    assert SITE in server.service.sites
    # Signed out: sent to sign in, nothing done.
    anonymous = WebClient(server.http_url)
    answer = await anonymous.post(f"/admin/site/{SITE}/remove-site", {"confirmed": "1"},
                                  follow=False)
    assert answer.status in (303, 403)
    assert SITE in server.service.sites


async def test_a_centre_in_use_is_refused_then_removed_after_confirming(
        server: RunningServer, connect: Any) -> None:
    client = await signed_in(server)
    # The managers' live page of the site, open while it goes.
    sessions = server.service.web_sessions
    watcher = ProtocolClient(server.ws_url, "manager",
                             sessions.socket_ticket(sessions.start("tinh")), OTHER_SITE)
    await watcher.connect()
    kiosk = await connect("kiosk", token="xa-kiosk-token-0001", site=OTHER_SITE)
    refused = await remove(client, OTHER_SITE, confirmed=True)
    assert refused.status == 409
    assert refusals(refused.body) == [
        f"Thiết bị của trung tâm {OTHER_SITE} đang kết nối (kiosk): thu hồi mã thiết bị (Mã "
        "thiết bị) hoặc tắt thiết bị trước."]
    await kiosk.close()
    # A centre with a ticket today cannot go either (its kiosk gone home).
    other_kiosk = await connect("kiosk")
    await other_kiosk.request("issue", service="HT", request_key="x")
    await other_kiosk.close()
    refused = await remove(client, SITE, confirmed=True)
    assert refused.status == 409
    assert refusals(refused.body) == [
        f"Trung tâm {SITE} đang có phiếu hoặc quầy mở hôm nay; gỡ bỏ sau khi kết thúc ngày."]
    assert {SITE, OTHER_SITE} <= set(server.service.sites)
    assert server.service.configuration.version == 1
    # With nobody connected and no ticket: confirmed first, saying what goes.
    first = await remove(client, OTHER_SITE)
    assert first.status == 200 and "Xác nhận thay đổi" in first.body
    impacts = [unescape(text) for text in
               re.findall(r'<li data-key="[^"]*">([^<]*)</li>', first.body)]
    assert len(impacts) == 2, impacts
    assert impacts[0].startswith(f"Trung tâm {OTHER_SITE} bị gỡ khỏi cấu hình: không thiết "
                                 "bị nào kết nối được nữa (1 mã thiết bị hết hiệu lực)")
    assert impacts[1] == "Tài khoản chỉ dùng cho trung tâm này bị xóa: canbo-xa (admin)."
    assert server.service.sites.get(OTHER_SITE) is not None
    confirmed = await client.post(f"/admin/site/{OTHER_SITE}/remove-site",
                                  {"csrf": form_token(first.body), "confirmed": "1"})
    assert confirmed.status == 200 and confirmed.url.endswith(f"/admin?removed={OTHER_SITE}")
    assert f"Đã gỡ bỏ trung tâm {OTHER_SITE}." in confirmed.body
    assert OTHER_SITE not in server.service.sites
    assert OTHER_SITE not in server.service.site_settings
    await watcher.closed.wait()
    assert (watcher.close_code, watcher.close_reason) == (
        1008, f"site '{OTHER_SITE}' was removed from the configuration")
    again = ProtocolClient(server.ws_url, "kiosk", "xa-kiosk-token-0001", OTHER_SITE)
    with pytest.raises(RequestFailed) as gone:
        await again.connect()
    assert gone.value.code == "unauthorized"
    await again.close()
    # Accounts lose the site; the one of that site only is gone. SITE is untouched.
    assert SITE in server.service.sites
    accounts = server.service.accounts
    assert accounts["giamdoc"].sites == (SITE,)
    assert "canbo-xa" not in accounts
    # The last centre cannot go: the configuration needs one.
    last = await remove(client, SITE, confirmed=True)
    assert last.status == 400
    assert refusals(last.body) == ["sites: cần ít nhất một trung tâm"]
    assert SITE in server.service.sites
