"""The managers' pages ride the WebSocket as a ``manager``: with the socket ticket of a
signed-in session, read-only, for the sites the account may see, and nothing else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from support.clock import ManualClock
from support.servers import SITE
from support.web import OTHER_SITE

from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient, RequestFailed


def ticket_for(server: RunningServer, user: str) -> str:
    sessions = server.service.web_sessions
    return sessions.socket_ticket(sessions.start(user))


async def test_a_manager_watches_its_site_read_only(server: RunningServer,
                                                    connect: Any) -> None:
    manager = ProtocolClient(server.ws_url, "manager", ticket_for(server, "giamdoc"), SITE)
    await manager.connect()
    try:
        assert manager.hello_result["role"] == "manager"
        assert manager.hello_result["sites"] == [SITE]
        kiosk = await connect("kiosk")
        await kiosk.request("issue", service="HT", request_key="a")
        issued = await manager.next_event("ticket.issued")
        assert issued.data["track"]  # staff see the tracking code, never the rating key
        assert "?k=" not in issued.data["track_url"]
        assert (await manager.request("devices"))["devices"] == []
        for request_type, fields in (("issue", {"service": "HT", "request_key": "m"}),
                                     ("call_next", {"as_counter": "1"}),
                                     ("cancel", {"ticket_id": issued.data["id"]}),
                                     ("rate", {"ticket_id": issued.data["id"], "score": 4})):
            with pytest.raises(RequestFailed) as refused:
                await manager.request(request_type, **fields)
            assert refused.value.code == "forbidden", request_type
    finally:
        await manager.close()


@pytest.mark.parametrize("site", [OTHER_SITE, "no-such-site"])
async def test_a_manager_is_refused_another_sites_events(server: RunningServer,
                                                         site: str) -> None:
    manager = ProtocolClient(server.ws_url, "manager", ticket_for(server, "giamdoc"), site)
    with pytest.raises(RequestFailed) as refused:
        await manager.connect()
    assert refused.value.code == "unauthorized"
    await manager.closed.wait()
    assert manager.close_code == 1008


async def test_forged_expired_and_signed_out_tickets_are_refused(
    server: RunningServer, server_clock: ManualClock
) -> None:
    sessions = server.service.web_sessions
    session = sessions.start("giamdoc")
    good = sessions.socket_ticket(session)
    expired = sessions.socket_ticket(sessions.start("giamdoc"))
    server_clock.now += timedelta(minutes=6)
    signed_out = sessions.socket_ticket(session)
    sessions.sign_out(session)
    _user, nonce, expires, signature = good.split(":")
    for token in (expired, signed_out, f"tinh:{nonce}:{expires}:{signature}",
                  "demo-display-token-0001", "x" * 400):
        manager = ProtocolClient(server.ws_url, "manager", token, SITE)
        with pytest.raises(RequestFailed) as refused:
            await manager.connect()
        assert refused.value.code == "unauthorized", token
        await manager.close()


async def test_the_province_watches_every_site(server: RunningServer, connect: Any) -> None:
    province = ProtocolClient(server.ws_url, "manager", ticket_for(server, "tinh"), None,
                              subscribe=["ticket."])
    await province.connect()
    try:
        assert province.hello_result["sites"] == [SITE, OTHER_SITE]
        kiosk = await connect("kiosk")
        commune = await connect("kiosk", token="xa-kiosk-token-0001", site=OTHER_SITE)
        await kiosk.request("issue", service="HT", request_key="a")
        first = await province.next_event("ticket.issued")
        # Sites number their events apart: the province page takes every event as news
        # (this client would drop the commune's seq 1 as already seen).
        province.last_seq = 0
        await commune.request("issue", service="HT", request_key="b")
        second = await province.next_event("ticket.issued")
        assert {first.data["id"].split(":")[0], second.data["id"].split(":")[0]} == {
            SITE, OTHER_SITE}
    finally:
        await province.close()
