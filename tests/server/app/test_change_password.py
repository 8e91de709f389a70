"""An officer changes their own password from the counter terminal (``change_password``):
the current one checked like a sign-in (and slowed alike), the new one held to the one rule,
saved as a configuration version by the officer, in force at once and after a restart, and
nobody disconnected by it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from support.servers import PASSWORD, SITE, site_config

from server.app.serve import RunningServer, start_server
from server.config import parse_settings
from server.protocol.client import ProtocolClient, RequestFailed
from server.security import verify_password

NEW_PASSWORD = "mật-khẩu-mới-2026"


async def logged_in(connect: Any, counter: str = "1", user: str = "lan",
                    password: str = PASSWORD) -> ProtocolClient:
    client: ProtocolClient = await connect("counter")
    await client.request("login", counter=counter, user=user, password=password)
    return client


async def refused(client: ProtocolClient, request_type: str, **fields: Any) -> RequestFailed:
    with pytest.raises(RequestFailed) as failure:
        await client.request(request_type, **fields)
    return failure.value


def stored_hash(server: RunningServer, user: str = "lan") -> str:
    site = next(item for item in server.service.configuration.document["sites"]
                if item["code"] == SITE)
    officer = next(item for item in site["officers"] if item["user"] == user)
    return str(officer["password_hash"])


async def test_the_new_password_logs_in_the_old_one_no_longer(
        server: RunningServer, connect: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    hashed_off_the_loop: list[str] = []
    run_blocking = server.service.run_blocking

    async def recording(function: Any, *args: object) -> object:
        hashed_off_the_loop.append(function.__name__)
        return await run_blocking(function, *args)

    monkeypatch.setattr(server.service, "run_blocking", recording)
    display = await connect("display", subscribe=["config."])
    minh = await logged_in(connect, counter="3", user="minh")
    lan = await logged_in(connect)
    result = await lan.request("change_password", current_password=PASSWORD,
                               new_password=NEW_PASSWORD)
    assert result["changed"] is True and isinstance(result["session"], str)
    # Checked and hashed in the server's threads, never on its event loop.
    assert hashed_off_the_loop[-2:] == ["verify_password", "hash_password"]
    await display.next_event("config.changed")
    # Nobody was disconnected: Lan is still logged in at counter 1, Minh at counter 3.
    assert (await lan.request("pause", reason="Họp"))["counter"]["status"] == "paused"
    assert (await minh.request("pause"))["counter"]["officer"] == "minh"
    assert "state" in await display.request("snapshot")
    # The next login takes the new password, not the old one.
    again = await connect("counter")
    wrong = await refused(again, "login", counter="1", user="lan", password=PASSWORD)
    assert (wrong.code, wrong.message) == ("unauthorized", "user or password is wrong")
    counter = (await again.request("login", counter="1", user="lan",
                                   password=NEW_PASSWORD))["counter"]
    assert counter["officer"] == "lan"
    # Minh's password did not change.
    assert verify_password(PASSWORD, stored_hash(server, "minh"))


async def test_the_change_is_a_configuration_version_by_the_officer(
        server: RunningServer, connect: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    configuration = server.service.configuration
    assert configuration.version == 1
    lan = await logged_in(connect, counter="2")
    await lan.request("change_password", current_password=PASSWORD, new_password=NEW_PASSWORD)
    assert configuration.version == 2
    latest = (await configuration.history())[0]
    assert (latest.version, latest.author, latest.comment) == (
        2, f"{SITE}/lan", "changed own password at counter 2")
    stored = stored_hash(server)
    assert verify_password(NEW_PASSWORD, stored) and not verify_password(PASSWORD, stored)
    in_force = server.service.sites[SITE].settings.officer("lan")
    assert in_force is not None and in_force.password_hash == stored
    # Only the hash changed: version 1 and version 2 differ in that one value.
    first = await configuration.version_of(1)
    assert first is not None
    first.document["sites"][0]["officers"][0]["password_hash"] = stored
    assert first.document == latest.document
    # The server's own lines (the websockets library's DEBUG lines show frames).
    said = [record.getMessage() for record in caplog.records
            if record.name.startswith("server.")]
    assert any(f"officer lan of {SITE} changed their password at counter 2" in line
               for line in said)
    assert not any(PASSWORD in line or NEW_PASSWORD in line for line in said)


async def test_a_wrong_current_password_is_refused_and_slowed_like_a_sign_in(
        server: RunningServer, connect: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    lan = await logged_in(connect)
    for attempt in range(4):
        wrong = await refused(lan, "change_password", current_password=f"doan-{attempt}",
                              new_password=NEW_PASSWORD)
        assert (wrong.code, wrong.message) == (
            "unauthorized", "field 'current_password': the password is wrong")
    # After the fourth failure the next try waits, even with the right password...
    slowed = await refused(lan, "change_password", current_password=PASSWORD,
                           new_password=NEW_PASSWORD)
    assert slowed.code == "rate_limited"
    assert "try again in 1 s" in slowed.message
    # ...and so does a sign-in of the same officer from this machine: one throttle.
    other = await connect("counter")
    assert (await refused(other, "login", counter="1", user="lan",
                          password=PASSWORD)).code == "rate_limited"
    assert server.service.configuration.version == 1
    assert verify_password(PASSWORD, stored_hash(server))
    failures = [record.getMessage() for record in caplog.records
                if "failed sign-in of 'lan'" in record.getMessage()]
    assert len(failures) == 4


@pytest.mark.parametrize(("new_password", "reason"), [
    ("ngan", "must have at least 8 characters"),
    ("          ", "must not be only spaces"),
    ("LAN", "must have at least 8 characters"),
    (PASSWORD, "must differ from the current password"),
])
async def test_a_weak_new_password_is_refused_naming_the_field(
        server: RunningServer, connect: Any, new_password: str, reason: str) -> None:
    lan = await logged_in(connect)
    weak = await refused(lan, "change_password", current_password=PASSWORD,
                         new_password=new_password)
    assert (weak.code, weak.message) == ("bad_request", f"field 'new_password': {reason}")
    assert server.service.configuration.version == 1
    # Refused, not dropped: the officer is still at work.
    assert (await lan.request("counter_stats"))["stats"]["served"] == 0


async def test_the_user_name_is_not_a_password(tmp_path: Path) -> None:
    config = site_config()
    config["sites"][0]["officers"][1]["user"] = "tranvanminh"
    running = await start_server(parse_settings(config), host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{tmp_path / 'q.db'}")
    try:
        async with ProtocolClient(running.ws_url, "counter", "counter-token-0001",
                                  SITE) as minh:
            await minh.request("login", counter="3", user="tranvanminh", password=PASSWORD)
            weak = await refused(minh, "change_password", current_password=PASSWORD,
                                 new_password="TranVanMinh")
            assert weak.message == "field 'new_password': must not be the user name"
    finally:
        await running.stop()


async def test_the_fields_are_checked_as_the_protocol_says(connect: Any) -> None:
    lan = await logged_in(connect)
    too_long = await refused(lan, "change_password", current_password=PASSWORD,
                             new_password="x" * 201)
    assert too_long.code == "bad_request" and "field 'new_password'" in too_long.message
    missing = await refused(lan, "change_password", new_password=NEW_PASSWORD)
    assert missing.code == "bad_request" and "field 'current_password'" in missing.message


async def test_only_the_officer_logged_in_on_the_connection_may(
        server: RunningServer, connect: Any) -> None:
    counter = await connect("counter")
    before = await refused(counter, "change_password", current_password=PASSWORD,
                           new_password=NEW_PASSWORD)
    assert before.code == "unauthorized"
    assert before.message.startswith("log in to a counter first")
    await counter.request("login", counter="1", user="lan", password=PASSWORD)
    await counter.request("logout")
    after = await refused(counter, "change_password", current_password=PASSWORD,
                          new_password=NEW_PASSWORD)
    assert after.code == "unauthorized"
    # Minh took counter 1 over: Lan's old connection no longer speaks for anyone there.
    lan = await logged_in(connect)
    await logged_in(connect, user="minh")
    taken = await refused(lan, "change_password", current_password=PASSWORD,
                          new_password=NEW_PASSWORD)
    assert (taken.code, taken.message) == ("forbidden",
                                           "you are no longer logged in at counter 1")
    assert server.service.configuration.version == 1


@pytest.mark.parametrize("role", ["kiosk", "display", "bridge", "admin"])
async def test_no_other_role_may(server: RunningServer, connect: Any, role: str) -> None:
    client = await connect(role)
    if role in ("bridge", "admin"):  # even one acting for a counter with an officer there
        await client.request("login", counter="1", as_counter="1")
    failure = await refused(client, "change_password", current_password=PASSWORD,
                            new_password=NEW_PASSWORD)
    assert (failure.code, failure.message) == (
        "forbidden", f"a {role} connection may not change_password")
    assert server.service.configuration.version == 1


async def test_a_changed_password_survives_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    settings = parse_settings(site_config())
    first = await start_server(settings, host="127.0.0.1", port=0, database_url=url)
    try:
        async with ProtocolClient(first.ws_url, "counter", "counter-token-0001", SITE) as lan:
            await lan.request("login", counter="1", user="lan", password=PASSWORD)
            await lan.request("change_password", current_password=PASSWORD,
                              new_password=NEW_PASSWORD)
    finally:
        await first.stop()
    # The same file again: it seeds nothing now, the database's version 2 is in force.
    second = await start_server(settings, host="127.0.0.1", port=0, database_url=url)
    try:
        assert second.service.configuration.version == 2
        async with ProtocolClient(second.ws_url, "counter", "counter-token-0001",
                                  SITE) as lan:
            old = await refused(lan, "login", counter="1", user="lan", password=PASSWORD)
            assert old.code == "unauthorized"
            result = await lan.request("login", counter="1", user="lan",
                                       password=NEW_PASSWORD)
            assert result["counter"]["officer"] == "lan"
    finally:
        await second.stop()
