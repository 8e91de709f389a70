"""A counter logs in again with its session instead of its password (``login`` with
``session``): no password hashing, any process of the deployment takes it, and it ends with
the officer's logout, a password change, or at another counter or officer."""

from __future__ import annotations

from typing import Any

import pytest
from support.servers import PASSWORD

from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient, RequestFailed


async def refused(client: ProtocolClient, request_type: str, **fields: Any) -> RequestFailed:
    with pytest.raises(RequestFailed) as failure:
        await client.request(request_type, **fields)
    return failure.value


def hashing_counted(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions the server runs in its threads from now on (scrypt's
    ``verify_password`` among them)."""
    names: list[str] = []
    run_blocking = server.service.run_blocking

    async def recording(function: Any, *args: object) -> object:
        names.append(function.__name__)
        return await run_blocking(function, *args)

    monkeypatch.setattr(server.service, "run_blocking", recording)
    return names


async def test_a_reconnected_counter_logs_in_with_its_session_without_hashing(
        server: RunningServer, connect: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    first: ProtocolClient = await connect("counter")
    result = await first.request("login", counter="1", user="lan", password=PASSWORD)
    session = result["session"]
    assert isinstance(session, str) and PASSWORD not in session
    await first.close()
    hashed = hashing_counted(server, monkeypatch)
    again: ProtocolClient = await connect("counter")
    result = await again.request("login", counter="1", user="lan", session=session)
    assert result["counter"]["officer"] == "lan"
    # The same session back: logging in with it never extends it.
    assert result["session"] == session
    assert "verify_password" not in hashed
    # Logged in: the counter's requests work on this connection.
    assert (await again.request("counter_stats"))["stats"]["served"] == 0


async def test_a_session_ends_with_the_logout_and_the_password_still_works(
        connect: Any) -> None:
    lan: ProtocolClient = await connect("counter")
    session = (await lan.request("login", counter="1", user="lan", password=PASSWORD))["session"]
    await lan.request("logout")
    other: ProtocolClient = await connect("counter")
    error = await refused(other, "login", counter="1", user="lan", session=session)
    assert error.code == "unauthorized"
    assert "field 'session'" in error.message and "no longer logged in" in error.message
    await other.request("login", counter="1", user="lan", password=PASSWORD)


async def test_a_session_is_refused_at_another_counter_or_for_another_officer(
        connect: Any) -> None:
    lan: ProtocolClient = await connect("counter")
    session = (await lan.request("login", counter="1", user="lan", password=PASSWORD))["session"]
    minh: ProtocolClient = await connect("counter")
    await minh.request("login", counter="3", user="minh", password=PASSWORD)
    thief: ProtocolClient = await connect("counter")
    for counter, user in (("2", "lan"), ("3", "minh"), ("1", "minh")):
        error = await refused(thief, "login", counter=counter, user=user, session=session)
        assert error.code == "unauthorized"
        assert "another counter or officer" in error.message
    error = await refused(thief, "login", counter="1", user="lan", session=session + "x")
    assert error.code == "unauthorized" and "forged" in error.message
    # The counters are as they were.
    assert (await lan.request("counter_stats"))["stats"]["served"] == 0
    await refused(thief, "counter_stats")


async def test_refused_sessions_do_not_slow_the_officer_down(connect: Any) -> None:
    lan: ProtocolClient = await connect("counter")
    for attempt in range(6):
        error = await refused(lan, "login", counter="1", user="lan", session=f"c1.x{attempt}.y")
        assert error.code == "unauthorized"
    await lan.request("login", counter="1", user="lan", password=PASSWORD)


@pytest.mark.parametrize("fields", [
    {"user": "lan"},
    {"user": "lan", "password": PASSWORD, "session": "c1.a.b"},
    {"password": PASSWORD},
    {"user": "lan", "session": "c1." + "A" * 600 + ".b"},
    {"user": "lan", "session": 12},
], ids=["neither", "both", "no user", "oversized", "not a string"])
async def test_a_login_needs_a_user_and_exactly_one_of_password_and_session(
        connect: Any, fields: dict[str, Any]) -> None:
    counter: ProtocolClient = await connect("counter")
    error = await refused(counter, "login", counter="1", **fields)
    assert error.code == "bad_request"
    assert "'session'" in error.message or "'password'" in error.message \
        or "'user'" in error.message
    await counter.request("login", counter="1", user="lan", password=PASSWORD)


async def test_only_a_counter_logs_in_with_a_session(connect: Any) -> None:
    lan: ProtocolClient = await connect("counter")
    session = (await lan.request("login", counter="1", user="lan", password=PASSWORD))["session"]
    bridge: ProtocolClient = await connect("bridge")
    error = await refused(bridge, "login", counter="1", session=session)
    assert error.code == "bad_request" and "field 'session'" in error.message
    # A bridge's login gets no session: it has no password to spare.
    assert "session" not in await bridge.request("login", counter="2")


async def test_a_password_change_ends_the_old_sessions_and_gives_a_new_one(
        connect: Any) -> None:
    lan: ProtocolClient = await connect("counter")
    old = (await lan.request("login", counter="1", user="lan", password=PASSWORD))["session"]
    changed = await lan.request("change_password", current_password=PASSWORD,
                                new_password="mật-khẩu-mới-2026")
    assert changed["changed"] is True and changed["session"] != old
    again: ProtocolClient = await connect("counter")
    error = await refused(again, "login", counter="1", user="lan", session=old)
    assert error.code == "unauthorized" and "password was changed" in error.message
    result = await again.request("login", counter="1", user="lan", session=changed["session"])
    assert result["counter"]["officer"] == "lan"
