"""The page behind the QR code on a ticket, and rating from it."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from server.app.serve import RunningServer


def _fetch(url: str, data: bytes | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


async def test_status_page_follows_the_ticket_and_takes_one_rating(
    server: RunningServer, connect: Any
) -> None:
    kiosk = await connect("kiosk")
    admin = await connect("admin")
    await admin.request("login", counter="3")
    await kiosk.request("issue", service="HT", request_key="first")
    ticket = (await kiosk.request("issue", service="HT", request_key="mine"))["ticket"]
    page_url = ticket["track_url"]  # what the QR on the ticket holds
    key = parse_qs(urlsplit(page_url).query)["k"][0]
    rate_url = f"{server.http_url}/t/{ticket['track']}/rate"

    status, page = await asyncio.to_thread(_fetch, page_url)
    assert status == 200
    assert "A002" in page and "Đăng ký khai sinh" in page
    assert "Đang chờ đến lượt" in page
    assert "<dt>Số người trước bạn / Ahead</dt><dd id='ahead'>1</dd>" in page
    assert 'http-equiv="refresh"' in page

    await admin.request("call_next")
    await admin.request("call_next")
    status, page = await asyncio.to_thread(_fetch, page_url)
    assert "Mời quý khách đến quầy" in page and "Quầy 3" in page

    await admin.request("finish")
    status, page = await asyncio.to_thread(_fetch, page_url)
    assert "Đã hoàn thành" in page and 'name="score" value="4"' in page
    assert f'name="k" value="{key}"' in page
    assert 'http-equiv="refresh"' not in page  # never reload under a citizen choosing

    status, page = await asyncio.to_thread(_fetch, rate_url, f"k={key}&score=4".encode())
    assert status == 200 and "Cảm ơn quý khách đã đánh giá: Rất hài lòng" in page
    rating = await admin.request("snapshot")
    assert rating["seq"] > 0
    status, page = await asyncio.to_thread(_fetch, rate_url, f"k={key}&score=1".encode())
    assert status == 409 and "already been rated" in page
    status, page = await asyncio.to_thread(_fetch, rate_url, f"k={key}&score=abc".encode())
    assert status == 400


async def test_unknown_tracking_code_gives_a_plain_not_found_page(
    server: RunningServer
) -> None:
    status, page = await asyncio.to_thread(_fetch, f"{server.http_url}/t/zzzzzzzz")
    assert status == 404 and "Không tìm thấy phiếu" in page


async def test_a_process_serving_no_site_says_not_found_too(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With several processes one may serve no site at a given moment; its status page used
    to fail (500) looking for a site to name the page after."""
    monkeypatch.setattr(server.service, "sites", {})
    for path in ("/t/zzzzzzzz", "/t/zzzzzzzz/rate"):
        data = b"k=x&score=4" if path.endswith("rate") else None
        status, page = await asyncio.to_thread(_fetch, f"{server.http_url}{path}", data)
        assert status == 404 and "Không tìm thấy phiếu" in page, (path, status)


async def test_web_display_page_and_its_assets_are_served_locally(
    server: RunningServer
) -> None:
    status, page = await asyncio.to_thread(_fetch, f"{server.http_url}/display?zone=T1")
    assert status == 200 and "<html" in page.lower()
    assert "http://" not in page and "https://" not in page  # nothing from outside
    status, script = await asyncio.to_thread(_fetch, f"{server.http_url}/display/assets/"
                                                     "display.js")
    assert status == 200 and "WebSocket" in script
    status, _ = await asyncio.to_thread(_fetch, f"{server.http_url}/display/assets/nope.js")
    assert status == 404


async def test_the_qr_address_is_where_the_server_really_listens(
    server: RunningServer, connect: Any
) -> None:
    # The test config's public URL is the default http://127.0.0.1:8765; the server listens on
    # a port of its own, and the address printed in the QR must reach it.
    kiosk = await connect("kiosk")
    ticket = (await kiosk.request("issue", service="HT", request_key="qr"))["ticket"]
    assert ticket["track_url"].startswith(f"{server.http_url}/t/{ticket['track']}?k=")
    status, page = await asyncio.to_thread(_fetch, ticket["track_url"])
    assert status == 200 and ticket["number"] in page


def test_a_public_url_naming_another_host_is_kept_as_configured() -> None:
    from server.app.serve import effective_public_url

    assert effective_public_url("https://qms.binhan.gov.vn", 4000) == "https://qms.binhan.gov.vn"
    assert effective_public_url("http://10.0.0.5:8765", 4000) == "http://10.0.0.5:8765"
    assert effective_public_url("http://localhost:8765/qms", 4000) == "http://localhost:4000/qms"
    assert effective_public_url("http://127.0.0.1:8765", 8765) == "http://127.0.0.1:8765"
