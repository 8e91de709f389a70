"""Only the citizen holding the ticket rates it. A lobby display sees every call, so nothing
it receives (events, snapshots, replies) may carry what rating needs; the QR page accepts a
rating only with the key printed in the QR, from its own origin, and well-formed."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from support.servers import table_counts

from server.app.audience import PRIVATE_TICKET_FIELDS
from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient


def _post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def _private_fields_in(value: Any) -> set[str]:
    """Every private ticket field found anywhere inside ``value``."""
    if isinstance(value, dict):
        found = {key for key in value if key in PRIVATE_TICKET_FIELDS}
        for item in value.values():
            found |= _private_fields_in(item)
        return found
    if isinstance(value, list):
        return set().union(*(_private_fields_in(item) for item in value)) if value else set()
    return set()


async def _events_until(client: ProtocolClient, number: str) -> list[Any]:
    """The events ``client`` receives up to the issue of ticket ``number``, included."""
    events = []
    while True:
        event = await client.next_event()
        events.append(event)
        if event.event == "ticket.issued" and event.data["number"] == number:
            return events


async def _served_ticket(connect: Any) -> tuple[dict[str, Any], ProtocolClient]:
    """A ticket issued, called, finished at counter 3 with a case code; and the admin."""
    kiosk = await connect("kiosk")
    admin = await connect("admin")
    await admin.request("login", counter="3")
    ticket = (await kiosk.request("issue", service="HT", request_key="mine"))["ticket"]
    await admin.request("call_next")
    await admin.request("finish", case_code="000.00.01.H01-261122-0001")
    return ticket, admin


async def test_a_display_receives_nothing_that_rates_or_names_a_case(
    connect: Any, server: RunningServer
) -> None:
    display = await connect("display")
    counter_side = await connect("admin")
    ticket, admin = await _served_ticket(connect)
    await admin.request("rate", ticket_id=ticket["id"], score=4)
    await admin.request("device_status", device="pad-3", kind="rating_pad", status="error",
                        counter="3")
    # A last ticket marks the end: events arrive in order, so all before it have come.
    marker = (await admin.request("issue", service="HT", request_key="end"))["ticket"]
    events = await _events_until(display, marker["number"])
    names = {event.event for event in events}
    assert {"ticket.issued", "ticket.called", "counter.changed"} <= names
    assert "rating.received" not in names and "device.status" not in names
    assert not _private_fields_in([event.data for event in events])
    snapshot = (await display.request("snapshot"))["state"]
    assert snapshot["recent_calls"] and not _private_fields_in(snapshot)
    looked_up = (await display.request("ticket", ticket_id=ticket["id"]))["ticket"]
    assert not _private_fields_in(looked_up)
    # A resumed display gets the same filtered events from the store.
    late = ProtocolClient(server.ws_url, "display", display.token, display.site)
    try:
        await late.connect(after=0)
        replayed = await _events_until(late, marker["number"])
    finally:
        await late.close()
    assert {event.event for event in replayed} == names
    assert not _private_fields_in([event.data for event in replayed])
    # Staff see the tracking code and the case code, but never the rating key.
    staff = (await counter_side.request("ticket", ticket_id=ticket["id"]))["ticket"]
    assert staff["case_code"] == "000.00.01.H01-261122-0001" and staff["track"]
    assert "?k=" not in staff["track_url"]
    assert "?k=" in ticket["track_url"]  # the kiosk's own reply: for the QR


async def test_the_qr_page_rates_only_with_the_key_from_our_origin_and_valid_input(
    server: RunningServer, connect: Any, database_path: Path
) -> None:
    ticket, _admin = await _served_ticket(connect)
    key = parse_qs(urlsplit(ticket["track_url"]).query)["k"][0]
    rate = f"{server.http_url}/t/{ticket['track']}/rate"
    before = table_counts(database_path)
    refusals: list[tuple[bytes, dict[str, str], int, str]] = [
        (b"score=4", {}, 403, "Scan the QR code"),  # the tracking code alone
        (b"k=aaaaaaaa&score=4", {}, 403, "Scan the QR code"),
        (f"k={key}&score=4".encode(), {"Origin": "http://evil.example"}, 403,
         "accepted only from the centre"),
        (f"k={key}&score=4".encode(), {"Origin": "null"}, 403, "accepted only from the centre"),
        (f"k={key}&score=4".encode(), {"Sec-Fetch-Site": "cross-site"}, 403,
         "accepted only from the centre"),
        (f"k={key}&score=²".encode(), {}, 400, "Please choose a rating"),
        (f"k={key}&score=٣".encode(), {}, 400, "Please choose a rating"),
        (f"k={key}&score={'9' * 5000}".encode(), {}, 413, "too large"),
        (f"k={key}&score=".encode(), {}, 400, "Please choose a rating"),
        (f"k={key}&score=7".encode(), {}, 409, "score: must be one of"),
        (b"k=" + key.encode() + b"&score=\xff\xfe", {}, 400, "could not be read"),
        (b"x" * 2000, {}, 413, "too large"),
    ]
    for body, headers, status, words in refusals:
        answer, page = await asyncio.to_thread(_post, rate, body, headers)
        assert (answer, words in page) == (status, True), (body[:40], headers, answer)
        assert "<html" in page  # a plain page saying why, not a stack trace
    assert table_counts(database_path) == before
    same_origin = {"Origin": server.http_url, "Sec-Fetch-Site": "same-origin"}
    answer, page = await asyncio.to_thread(_post, rate, f"k={key}&score=4".encode(),
                                           same_origin)
    assert answer == 200 and "Rất hài lòng" in page
    assert table_counts(database_path)["ratings"] == before["ratings"] + 1


async def test_every_page_carries_the_security_headers(server: RunningServer) -> None:
    def headers_of(path: str) -> dict[str, str]:
        try:
            with urllib.request.urlopen(server.http_url + path, timeout=10) as response:
                return dict(response.headers)
        except urllib.error.HTTPError as error:
            return dict(error.headers)

    for path in ("/health", "/display?zone=T1", "/t/zzzzzzzz", "/static/status.css",
                 "/no-such-page"):
        headers = {name.lower(): value for name, value in
                   (await asyncio.to_thread(headers_of, path)).items()}
        assert "default-src 'self'" in headers["content-security-policy"], path
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/health", "/t/zzzzzzzz"])
async def test_pages_answer_json_or_html_never_a_server_error(
    server: RunningServer, path: str
) -> None:
    def fetch() -> int:
        try:
            with urllib.request.urlopen(server.http_url + path, timeout=10) as response:
                body = response.read()
                if path == "/health":
                    json.loads(body)
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    assert await asyncio.to_thread(fetch) < 500
