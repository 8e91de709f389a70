"""Signing in to the managers' pages: the right password and only it, slowed guessing, CSRF
on every form, idle expiry, and a manager of one site never sees another's."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from support.clock import ManualClock
from support.servers import SITE
from support.web import MANAGER_PASSWORD, OTHER_SITE, WebClient, form_token

from server.app.serve import RunningServer
from server.web.sessions import SESSION_COOKIE


async def test_signing_in_leads_to_the_managers_site_and_out_again(
    server: RunningServer
) -> None:
    client = WebClient(server.http_url)
    first = await client.get("/manage/site/" + SITE)
    assert first.url.endswith(f"/manage/sign-in?next=/manage/site/{SITE}")
    assert "Đăng nhập trang quản lý" in first.body
    answer = await client.sign_in(next_page=f"/manage/site/{SITE}")
    assert (answer.status, answer.url) == (200, f"{server.http_url}/manage/site/{SITE}")
    assert "Trung tâm Phục vụ hành chính công thử nghiệm" in answer.body
    session_cookie = next(item for item in client.cookies if item.name == SESSION_COOKIE)
    assert session_cookie.has_nonstandard_attr("HttpOnly")
    # A manager of one site is taken straight to it.
    home = await client.get("/manage")
    assert home.url.endswith(f"/manage/site/{SITE}")
    signed_out = await client.post("/manage/sign-out", {"csrf": form_token(home.body)})
    assert signed_out.url.endswith("/manage/sign-in")
    again = await client.get(f"/manage/site/{SITE}")
    assert "/manage/sign-in" in again.url


async def test_the_sign_in_answers_the_session_cookie_with_its_flags(
    server: RunningServer
) -> None:
    client = WebClient(server.http_url)
    form = await client.get("/manage/sign-in")
    answer = await client.post("/manage/sign-in", {
        "csrf": form_token(form.body), "user": "giamdoc", "password": MANAGER_PASSWORD},
        follow=False)
    assert answer.status == 303
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here; over TLS it is set


@pytest.mark.parametrize(("user", "password"), [
    ("giamdoc", "sai-mat-khau"), ("nobody", MANAGER_PASSWORD), ("", ""),
    ("giamdoc", MANAGER_PASSWORD + "x"), ("x" * 500, "y" * 5000)])
async def test_a_wrong_password_is_refused(server: RunningServer, user: str,
                                           password: str) -> None:
    client = WebClient(server.http_url)
    answer = await client.sign_in(user=user, password=password)
    assert answer.status in (401, 413)
    assert client.cookie(SESSION_COOKIE) is None


async def test_guessing_is_slowed_and_logged(server: RunningServer,
                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    client = WebClient(server.http_url)
    statuses = [(await client.sign_in(password=f"doan-{attempt}")).status
                for attempt in range(5)]
    assert statuses[:4] == [401] * 4
    assert statuses[4] == 429
    slowed = await client.sign_in()  # even the right password, while slowed
    assert slowed.status == 429 and "thử lại sau" in slowed.body
    assert sum("failed web sign-in of 'giamdoc' from 127.0.0.1" in record.getMessage()
               for record in caplog.records) == 4


async def test_every_form_needs_its_csrf_token(server: RunningServer) -> None:
    client = WebClient(server.http_url)
    await client.get("/manage/sign-in")  # the form's cookie, but no token sent back
    no_token = await client.post("/manage/sign-in", {"user": "giamdoc",
                                                     "password": MANAGER_PASSWORD})
    assert no_token.status == 403 and client.cookie(SESSION_COOKIE) is None
    other = WebClient(server.http_url)  # a token from another visitor's form
    stolen = form_token((await other.get("/manage/sign-in")).body)
    assert (await client.post("/manage/sign-in", {"csrf": stolen, "user": "giamdoc",
                                                  "password": MANAGER_PASSWORD})).status == 403
    await client.sign_in()
    refused = await client.post("/manage/sign-out", {"csrf": "not-the-token"})
    assert refused.status == 403
    assert (await client.get(f"/manage/site/{SITE}")).url.endswith(f"/manage/site/{SITE}")
    foreign = await client.post("/manage/sign-out", {"csrf": "x"},
                                headers={"Origin": "http://evil.example"})
    assert foreign.status == 403


async def test_an_idle_session_expires(server: RunningServer,
                                       server_clock: ManualClock) -> None:
    client = WebClient(server.http_url)
    await client.sign_in()
    server_clock.now += timedelta(minutes=20)
    assert (await client.get(f"/manage/site/{SITE}")).url.endswith(f"/manage/site/{SITE}")
    server_clock.now += timedelta(minutes=31)
    expired = await client.get(f"/manage/site/{SITE}")
    assert "/manage/sign-in" in expired.url
    assert "Phiên làm việc đã hết hạn" in expired.body
    live = await client.get(f"/manage/site/{SITE}/live")
    assert live.status == 401


async def test_a_manager_never_sees_another_sites_pages(server: RunningServer) -> None:
    client = WebClient(server.http_url)
    await client.sign_in()
    for path in (f"/manage/site/{OTHER_SITE}", f"/manage/site/{OTHER_SITE}/live",
                 "/manage/site/no-such-site"):
        answer = await client.get(path)
        assert answer.status == 404, path
        assert "Bộ phận Một cửa xã" not in answer.body
    # The province view lists only the manager's own site.
    province = await client.get("/manage/province")
    assert SITE in province.body and OTHER_SITE not in province.body


async def test_the_province_account_sees_every_site_sorted(server: RunningServer,
                                                           connect: Any) -> None:
    kiosk = await connect("kiosk")
    await kiosk.request("issue", service="HT", request_key="one")
    client = WebClient(server.http_url)
    await client.sign_in(user="tinh")
    home = await client.get("/manage")
    assert home.url.endswith("/manage/province")
    by_waiting = await client.get("/manage/province?sort=waiting&order=desc")
    assert by_waiting.body.index(f'data-site="{SITE}"') < by_waiting.body.index(
        f'data-site="{OTHER_SITE}"')
    ascending = await client.get("/manage/province?sort=waiting&order=asc")
    assert ascending.body.index(f'data-site="{OTHER_SITE}"') < ascending.body.index(
        f'data-site="{SITE}"')
    assert (await client.get(f"/manage/site/{OTHER_SITE}")).status == 200
    # A column that does not exist sorts by site, as the page does by default.
    assert (await client.get("/manage/province?sort=%3Cscript%3E")).status == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "/somewhere-else", "/manage/sign-in"])
async def test_signing_in_never_leads_off_the_managers_pages(server: RunningServer,
                                                             target: str) -> None:
    client = WebClient(server.http_url)
    answer = await client.sign_in(next_page=target)
    assert answer.url.startswith(server.http_url + "/manage/")
    assert answer.url.endswith(f"/manage/site/{SITE}")


async def test_an_administrator_sent_to_sign_in_comes_back_to_the_page_asked_for(
        server: RunningServer) -> None:
    client = WebClient(server.http_url)
    first = await client.get(f"/admin/site/{SITE}/services")
    assert first.url.endswith(f"/manage/sign-in?next=/admin/site/{SITE}/services")
    answer = await client.sign_in(user="quantri", next_page=f"/admin/site/{SITE}/services")
    assert answer.status == 200
    assert answer.url == f"{server.http_url}/admin/site/{SITE}/services"
