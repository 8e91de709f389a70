"""Enrolment codes over HTTP: made by an administrator of the site on a device's page (CSRF,
role and site checked), shown once with a QR code, and ``POST /enrol`` giving the device its
settings once; wrong, used, replaced and expired codes refused with a clear message, guessing
slowed per address, nothing of a code or token in the log."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
from support.clock import ManualClock
from support.servers import KIOSK_TOKEN, SITE
from support.web import OTHER_SITE, WebClient, form_token

from server.app.enrolment import ALPHABET, normalized_code
from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient


async def signed_in(server: RunningServer, user: str = "quantri") -> WebClient:
    client = WebClient(server.http_url)
    answer = await client.sign_in(user=user, next_page="/admin")
    assert answer.status == 200, answer.body[:300]
    return client


async def make_code(client: WebClient, site: str = SITE, device: str = "kiosk") -> str:
    page = await client.get(f"/admin/site/{SITE}/devices")
    answer = await client.post(f"/admin/site/{site}/tokens/{device}/enrol",
                               {"csrf": form_token(page.body)})
    assert answer.status == 200, answer.body[:500]
    found = re.search(r'<code id="enrol-code">([A-Z0-9-]+)</code>', answer.body)
    assert found, answer.body[:1000]
    return found.group(1)


def _post_json(url: str, body: bytes, content_type: str) -> tuple[int, dict[str, Any],
                                                                   dict[str, str]]:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return (response.status, json.loads(response.read()),
                    {key.lower(): value for key, value in response.headers.items()})
    except urllib.error.HTTPError as error:
        return (error.code, json.loads(error.read()),
                {key.lower(): value for key, value in error.headers.items()})


async def enrol(server: RunningServer, code: str, content_type: str = "application/json"
                ) -> tuple[int, dict[str, Any], dict[str, str]]:
    body = json.dumps({"code": code}).encode()
    return await asyncio.to_thread(_post_json, f"{server.http_url}/enrol", body, content_type)


async def test_a_code_gives_the_device_its_settings_once(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    client = await signed_in(server)
    code = await make_code(client)
    assert re.fullmatch(rf"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}", code)
    # Typed any way: lower case, without the dash, with spaces.
    status, settings, headers = await enrol(server, f" {code.lower().replace('-', ' ')} ")
    assert status == 200, settings
    assert settings == {"server": server.ws_url, "site": SITE, "role": "kiosk",
                        "token": KIOSK_TOKEN, "name": "kiosk", "profile": {}}
    assert headers["cache-control"] == "no-store"
    # The settings work: the token connects.
    async with ProtocolClient(settings["server"], settings["role"], settings["token"],
                              None) as device:
        assert device.hello_result["site"] == SITE
        assert device.hello_result["device"] == {"name": "kiosk", "profile": {}}
    # Once only.
    status, refused, _ = await enrol(server, code)
    assert status == 403
    assert refused["error"]["code"] == "used"
    assert "already used" in refused["error"]["message"]
    logged = caplog.text
    assert "enrolled from 127.0.0.1" in logged
    assert KIOSK_TOKEN not in logged and code not in logged and code.replace("-", "") \
        not in logged


async def test_the_code_page_shows_the_code_once_with_a_qr_code(server: RunningServer) -> None:
    client = await signed_in(server)
    page = await client.get(f"/admin/site/{SITE}/devices")
    answer = await client.post(f"/admin/site/{SITE}/tokens/kiosk/enrol",
                               {"csrf": form_token(page.body)})
    assert answer.status == 200
    assert "<svg" in answer.body and 'class="qr"' in answer.body
    assert "style=" not in answer.body  # the CSP allows no inline style
    code = re.search(r'<code id="enrol-code">([A-Z0-9-]+)</code>', answer.body)
    assert code
    assert f"{server.http_url}/enrol?code={code.group(1)}" in answer.body
    assert f"qms kiosk --enrol {code.group(1)} --server {server.http_url}" in answer.body
    # Nowhere else: the device list does not show it.
    listing = await client.get(f"/admin/site/{SITE}/devices")
    assert code.group(1) not in listing.body
    # What the QR opens tells how to use it, and uses nothing.
    opened = await client.get(f"/enrol?code={code.group(1)}")
    assert opened.status == 200 and f"--enrol {code.group(1)}" in opened.body
    status, _, _ = await enrol(server, code.group(1))
    assert status == 200


async def test_only_an_administrator_of_the_site_makes_codes(server: RunningServer) -> None:
    manager = await signed_in(server, "giamdoc")  # sees the site, does not administer it
    page = await manager.get("/manage")
    answer = await manager.post(f"/admin/site/{SITE}/tokens/kiosk/enrol",
                                {"csrf": form_token(page.body)})
    assert answer.status == 404
    assert (await manager.get(f"/admin/site/{SITE}/devices")).status == 404
    admin = await signed_in(server)  # quantri administers SITE only
    page = await admin.get(f"/admin/site/{SITE}/devices")
    answer = await admin.post(f"/admin/site/{OTHER_SITE}/tokens/kiosk/enrol",
                              {"csrf": form_token(page.body)})
    assert answer.status == 404
    # The province's account administers every site.
    province = await signed_in(server, "tinh")
    assert await make_code(province, OTHER_SITE)
    # No CSRF token, a wrong one, or a post from another site's page: refused.
    answer = await admin.post(f"/admin/site/{SITE}/tokens/kiosk/enrol", {})
    assert answer.status == 403
    answer = await admin.post(f"/admin/site/{SITE}/tokens/kiosk/enrol", {"csrf": "x" * 40})
    assert answer.status == 403
    answer = await admin.post(f"/admin/site/{SITE}/tokens/kiosk/enrol",
                              {"csrf": form_token(page.body)},
                              headers={"Origin": "http://elsewhere.example"})
    assert answer.status == 403
    # A device that does not exist.
    answer = await admin.post(f"/admin/site/{SITE}/tokens/nobody/enrol",
                              {"csrf": form_token(page.body)})
    assert answer.status == 404
    # Signed out: to the sign-in page.
    stranger = WebClient(server.http_url)
    answer = await stranger.post(f"/admin/site/{SITE}/tokens/kiosk/enrol",
                                 {"csrf": form_token(page.body)}, follow=False)
    assert answer.status == 303


async def test_wrong_replaced_and_expired_codes_are_refused(
    server: RunningServer, server_clock: ManualClock
) -> None:
    client = await signed_in(server)
    status, refused, _ = await enrol(server, "not a code")
    assert (status, refused["error"]["code"]) == (400, "malformed")
    status, refused, _ = await enrol(server, "ABCD-EFGH")
    assert (status, refused["error"]["code"]) == (403, "unknown")
    assert "no such enrolment code" in refused["error"]["message"]
    first = await make_code(client)
    second = await make_code(client)
    status, refused, _ = await enrol(server, first)
    assert (status, refused["error"]["code"]) == (403, "replaced")
    server_clock.now += timedelta(hours=24, seconds=1)
    status, refused, _ = await enrol(server, second)
    assert (status, refused["error"]["code"]) == (403, "expired")
    assert "expired" in refused["error"]["message"]
    # Not JSON: refused before anything is read.
    status, refused, _ = await enrol(server, "ABCD-EFGH", content_type="text/plain")
    assert status == 415


async def test_a_code_for_a_removed_device_enrols_nothing(server: RunningServer) -> None:
    client = await signed_in(server)
    code = await make_code(client, device="display")
    page = await client.get(f"/admin/site/{SITE}/tokens/display")
    answer = await client.post(f"/admin/site/{SITE}/tokens/display/delete",
                               {"csrf": form_token(page.body), "confirmed": "1",
                                "back": "devices"})
    assert answer.status == 200 and f"/admin/site/{SITE}/devices?saved=" in answer.url, \
        answer.url
    status, refused, _ = await enrol(server, code)
    assert (status, refused["error"]["code"]) == (403, "removed")


async def test_guessing_is_slowed_per_address(server: RunningServer,
                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    client = await signed_in(server)
    code = await make_code(client)
    guesses = [f"{letter * 4}-{letter * 4}" for letter in ALPHABET[:12]]
    statuses = []
    for guess in guesses:
        status, answer, headers = await enrol(server, guess)
        statuses.append(status)
        if status == 429:
            assert answer["error"]["code"] == "slowed"
            assert int(headers["retry-after"]) >= 1
            break
    assert statuses[:3] == [403, 403, 403]
    assert statuses[-1] == 429, statuses
    # While slowed even the right code is refused unchecked (and stays good).
    status, answer, _ = await enrol(server, code)
    assert status == 429
    assert "refused an enrolment from 127.0.0.1: unknown" in caplog.text


def test_typed_codes_are_normalized() -> None:
    assert normalized_code("abcd-2345") == "ABCD2345"
    assert normalized_code(" AB CD 23 45 ") == "ABCD2345"
    for wrong in ("ABCD-234", "ABCD-23456", "ABCD-O123", "ABCD-1234", "ÀBCD-2345", ""):
        assert normalized_code(wrong) is None
