"""How frames leave the server: straight into uvicorn's WebSocket protocol, through a backlog
while a peer reads slowly, and through plain ASGI sends on any other implementation."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from pathlib import Path
from typing import Any

import pytest
from support.servers import DISPLAY_TOKEN, KIOSK_TOKEN, SITE, site_config, stalled_display

from server.app.frames import (
    AsgiFrameSender,
    DirectFrameSender,
    PeerGone,
    frame_sender,
    shared_text_frame,
)
from server.app.serve import start_server
from server.app.session import Session
from server.config import Settings, parse_settings
from server.protocol.client import ProtocolClient


def only_session(server: Any) -> Session:
    (session,) = server.service.sites[SITE].subscribers
    assert isinstance(session, Session)
    return session


async def test_connections_on_uvicorn_are_written_directly(settings: Settings,
                                                           tmp_path: Path) -> None:
    server = await start_server(settings, host="127.0.0.1", port=0,
                                database_url=f"sqlite:///{tmp_path / 'q.db'}")
    try:
        async with ProtocolClient(server.ws_url, "display", DISPLAY_TOKEN, SITE) as display, \
                ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE,
                               subscribe=[]) as kiosk:
            assert isinstance(only_session(server).sender, DirectFrameSender)
            issued = (await kiosk.request("issue", service="HT", request_key="k"))["ticket"]
            event = await display.next_event("ticket.issued")
            assert event.data["number"] == issued["number"]
    finally:
        await server.stop()


# uvicorn's own deprecation of this implementation, and the older websockets API under it.
@pytest.mark.filterwarnings("ignore::DeprecationWarning",
                            "ignore::uvicorn.config.UvicornDeprecationWarning")
async def test_the_older_uvicorn_implementation_goes_through_asgi_sends(
    settings: Settings, tmp_path: Path
) -> None:
    server = await start_server(settings, host="127.0.0.1", port=0,
                                database_url=f"sqlite:///{tmp_path / 'q.db'}",
                                websocket_implementation="websockets")
    try:
        async with ProtocolClient(server.ws_url, "display", DISPLAY_TOKEN, SITE) as display, \
                ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE,
                               subscribe=[]) as kiosk:
            assert isinstance(only_session(server).sender, AsgiFrameSender)
            numbers = [(await kiosk.request("issue", service="HT",
                                            request_key=f"k{press}"))["ticket"]["number"]
                       for press in range(3)]
            events = [await display.next_event("ticket.issued") for _ in numbers]
            assert [event.data["number"] for event in events] == numbers
            assert [event.seq for event in events] == [1, 2, 3]
    finally:
        await server.stop()


def read_frames(stalled: socket.socket, wanted: int) -> list[dict[str, Any]]:
    """Unmasked server text frames from a raw socket, until ``wanted`` events are read."""
    buffer = b""
    messages: list[dict[str, Any]] = []
    events = 0
    while events < wanted:
        chunk = stalled.recv(65536)
        assert chunk, "the server closed the connection"
        buffer += chunk
        while len(buffer) >= 2:
            length, start = buffer[1] & 0x7F, 2
            if length == 126:
                length, start = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                length, start = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < start + length:
                break
            assert buffer[0] == 0x81  # a whole text frame
            message = json.loads(buffer[start:start + length])
            buffer = buffer[start + length:]
            messages.append(message)
            events += "event" in message
    return messages


async def test_a_display_that_reads_slowly_gets_every_event_in_order_afterwards(
    tmp_path: Path
) -> None:
    settings = parse_settings(site_config(outgoing_queue_limit=100_000,
                                          rate_per_second=100000.0, rate_burst=100000))
    server = await start_server(settings, host="127.0.0.1", port=0,
                                database_url=f"sqlite:///{tmp_path / 'q.db'}")
    try:
        # A display with a small socket buffer that stops reading after its handshake.
        stalled = await asyncio.to_thread(stalled_display, server.port, ["ticket.issued"])
        kiosks = [ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE, subscribe=[])
                  for _ in range(20)]
        await asyncio.gather(*(kiosk.connect() for kiosk in kiosks))
        try:
            runtime = server.service.sites[SITE]
            while not runtime.subscribers:
                await kiosks[0].request("snapshot")  # until the display's hello is in
            session = only_session(server)
            pressed = 0
            # Until the transport stops taking frames and they wait in the sender's backlog
            # (the kernel's buffers take a few MB first).
            while session.sender.backlog == 0 and pressed < 20_000:
                await asyncio.gather(*(kiosk.request("issue", service="HT",
                                                     request_key=f"k{pressed}-{index}")
                                       for index, kiosk in enumerate(kiosks)))
                pressed += len(kiosks)
            assert session.sender.backlog > 0
            # Reading again drains the backlog: nothing lost, nothing doubled, in order.
            messages = await asyncio.to_thread(read_frames, stalled, pressed)
            assert messages[0]["id"] == 1  # the hello reply came first
            seqs = [message["seq"] for message in messages[1:]]
            assert seqs == list(range(1, pressed + 1))
            assert session in runtime.subscribers
            assert session.sender.backlog == 0
        finally:
            await asyncio.gather(*(kiosk.close() for kiosk in kiosks))
        stalled.close()
    finally:
        await server.stop()


async def test_an_asgi_sender_sends_each_frame_in_order_then_stops() -> None:
    sent: list[dict[str, Any]] = []
    release = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        await release.wait()
        sent.append(message)

    sender = frame_sender(send)
    assert isinstance(sender, AsgiFrameSender)
    sender.send(["a", "b"])
    sender.send(["c"])
    assert sender.backlog == 3
    release.set()
    await sender.flushed()
    assert [message["text"] for message in sent] == ["a", "b", "c"]
    assert {message["type"] for message in sent} == {"websocket.send"}
    assert sender.backlog == 0
    release.clear()
    sender.send(["d"])
    sender.stop()
    sender.send(["e"])
    await sender.flushed()
    assert sender.backlog == 0
    assert [message["text"] for message in sent] == ["a", "b", "c"]


async def test_a_failing_asgi_send_drops_the_backlog(caplog: pytest.LogCaptureFixture) -> None:
    async def send(message: dict[str, Any]) -> None:
        raise PeerGone("gone")

    sender = frame_sender(send)
    sender.send(["a", "b"])
    with caplog.at_level(logging.DEBUG, logger="server.app.frames"):
        await sender.flushed()
    assert sender.backlog == 0
    assert "dropping" in caplog.text


def test_a_shared_frame_is_a_plain_unmasked_text_frame() -> None:
    short = shared_text_frame("xin chào")
    assert short == bytes([0x81, len("xin chào".encode())]) + "xin chào".encode()
    long = shared_text_frame("a" * 300)
    assert long[:4] == bytes([0x81, 126]) + (300).to_bytes(2, "big")
    assert shared_text_frame("a" * 300) is long  # framed once, then reused


async def test_requests_sent_back_to_back_are_all_answered_in_order(settings: Settings,
                                                                    tmp_path: Path) -> None:
    # Many more than uvicorn lets wait unread, so reading pauses and resumes on the way.
    count = 48
    server = await start_server(settings, host="127.0.0.1", port=0,
                                database_url=f"sqlite:///{tmp_path / 'q.db'}")
    try:
        async with ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
            session = only_session(server)
            assert isinstance(session.sender, DirectFrameSender)
            replies = await asyncio.gather(*(
                kiosk.request("issue", service="HT", request_key=f"k{press}")
                for press in range(count)))
            numbers = [reply["ticket"]["number"] for reply in replies]
            assert numbers == [f"A{sequence:03d}" for sequence in range(1, count + 1)]
            assert not session.sender.protocol.read_paused
    finally:
        await server.stop()
