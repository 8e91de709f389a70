"""Officer sign-in at a counter: guessing is slowed per account and address, logged with the
address, and never locks the right officer out of her own counter."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from support.servers import COUNTER_TOKEN, PASSWORD, SITE, site_config
from websockets.asyncio.client import ClientConnection, connect

from server.app.serve import RunningServer
from server.config import Settings, parse_settings


async def _counter_from(server: RunningServer, address: str) -> ClientConnection:
    """A counter connection whose packets come from ``address`` (any 127.x is this host)."""
    connection = await connect(server.ws_url, local_addr=(address, 0))
    await connection.send(json.dumps({"type": "hello", "id": 0, "protocol": 1,
                                      "role": "counter", "token": COUNTER_TOKEN,
                                      "site": SITE}))
    assert json.loads(await connection.recv())["ok"]
    return connection


async def _login(connection: ClientConnection, password: str, request_id: int,
                 counter: str = "1") -> dict[str, Any]:
    await connection.send(json.dumps({"type": "login", "id": request_id, "counter": counter,
                                      "user": "lan", "password": password}))
    reply: dict[str, Any] = json.loads(await connection.recv())
    while reply.get("type") != "reply":  # counter.changed events of a successful login
        reply = json.loads(await connection.recv())
    return reply


async def test_guessing_is_slowed_and_logged_and_the_officer_still_signs_in(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    guesser = await _counter_from(server, "127.0.0.2")
    for attempt in range(3):
        reply = await _login(guesser, f"doan-{attempt}", attempt + 1)
        assert reply["error"]["code"] == "unauthorized"
    # The fourth failure makes the next attempt wait; tried at once, it is refused unchecked
    # (even with the right password: a guesser must not learn it was right).
    assert (await _login(guesser, "doan-3", 4))["error"]["code"] == "unauthorized"
    slowed = await _login(guesser, PASSWORD, 5)
    assert slowed["error"]["code"] == "rate_limited"
    assert "try again in 1 s" in slowed["error"]["message"]
    warnings = [record.getMessage() for record in caplog.records
                if "failed sign-in" in record.getMessage()]
    assert len(warnings) == 4 and all("127.0.0.2" in line for line in warnings)
    # Lan at her own counter, from her own machine, signs in at once.
    own = await _counter_from(server, "127.0.0.1")
    assert (await _login(own, PASSWORD, 1))["result"]["counter"]["officer"] == "lan"
    await own.close()
    await guesser.close()


async def test_a_connection_that_keeps_guessing_is_closed(server: RunningServer) -> None:
    guesser = await _counter_from(server, "127.0.0.3")
    codes = []
    for attempt in range(20):
        codes.append((await _login(guesser, f"sai-{attempt}", attempt + 1))["error"]["code"])
    assert set(codes) == {"unauthorized", "rate_limited"}
    await guesser.wait_closed()
    assert guesser.close_code == 1008


def _lan_disabled() -> Settings:
    config = site_config()
    for officer in config["sites"][0]["officers"]:
        if officer["user"] == "lan":
            officer["active"] = False
    return parse_settings(config)


@pytest.mark.parametrize("settings", [_lan_disabled()], ids=["lan disabled"])
async def test_a_disabled_officer_is_told_so_once_the_password_is_right(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    connection = await _counter_from(server, "127.0.0.1")
    wrong = await _login(connection, "doan-sai", 1)
    assert wrong["error"] == {"code": "unauthorized", "message": "user or password is wrong"}
    right = await _login(connection, PASSWORD, 2)
    assert right["error"]["code"] == "unauthorized"
    assert "'lan' is disabled; ask the centre's administrator" in right["error"]["message"]
    assert any("disabled officer 'lan'" in record.getMessage() for record in caplog.records)
    await connection.close()
