"""The audit log of officers' and devices' actions over real WebSocket connections: who (the
officer, or the admin token), the counter, the device token's label and the peer's address;
the ticket before and after; refusals (a wrong password, a counter not theirs, a bad token);
no entry for a citizen's own press at the kiosk; no secret anywhere; and the entry written in
the same transaction as the command's events (a refused audit row refuses the command)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from support.audit import audit_rows, audit_text
from support.servers import (
    ADMIN_TOKEN,
    BRIDGE_TOKEN,
    COUNTER_TOKEN,
    KIOSK_TOKEN,
    PASSWORD,
    PASSWORD_HASH,
    SITE,
)
from websockets.asyncio.client import ClientConnection, connect

from server.app.serve import RunningServer
from server.app.session import BAD_TOKEN, SERVER_ADMIN_TOKEN
from server.audit.model import UNKNOWN_USER

NEW_PASSWORD = "mat-khau-moi-2026"
GUESS = "doan-mat-khau-0912345678"


class Raw:
    """A protocol connection from a chosen local address (any 127.x is this host)."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.last_id = 0

    @classmethod
    async def open(cls, server: RunningServer, address: str, role: str, token: str,
                   site: str = SITE) -> tuple[Raw, dict[str, Any]]:
        connection = await connect(server.ws_url, local_addr=(address, 0))
        raw = cls(connection)
        return raw, await raw.request("hello", protocol=1, role=role, token=token, site=site)

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        self.last_id += 1
        await self.connection.send(json.dumps({"type": kind, "id": self.last_id, **fields}))
        while True:
            frame: dict[str, Any] = json.loads(await self.connection.recv())
            if frame.get("type") == "reply" and frame.get("id") == self.last_id:
                return frame


async def test_officer_actions_are_recorded_with_officer_counter_device_and_address(
    server: RunningServer, connect: Any, database_path: Path
) -> None:
    kiosk = await connect("kiosk")
    issued = [(await kiosk.request("issue", service="DD-NOP", request_key=f"k{index}"))
              ["ticket"] for index in range(3)]
    counter, _ = await Raw.open(server, "127.0.0.5", "counter", COUNTER_TOKEN)
    wrong = await counter.request("login", counter="1", user="lan", password=GUESS)
    assert wrong["error"]["code"] == "unauthorized"
    unknown = await counter.request("login", counter="1", user=GUESS, password=GUESS)
    assert unknown["error"]["code"] == "unauthorized"
    assert "result" in await counter.request("login", counter="1", user="lan",
                                             password=PASSWORD)
    called = (await counter.request("call_next"))["result"]["ticket"]
    assert called["number"] == issued[0]["number"]
    await counter.request("start")
    await counter.request("finish", case_code="000.00.12.H42-261123-0007")
    await counter.request("pause", reason="Họp giao ban, gọi 0912 345 678")
    await counter.request("resume_counter")
    forbidden = await counter.request("call_next", as_counter="3")
    assert forbidden["error"]["code"] == "forbidden"

    # The bridge acts for counter 1, where lan is logged in: lan acted, through the bridge.
    bridge, _ = await Raw.open(server, "127.0.0.6", "bridge", BRIDGE_TOKEN)
    assert "result" in await bridge.request("call_next", as_counter="1")
    # A server-wide admin token (the centre's booking system, say) cancels a ticket.
    admin, _ = await Raw.open(server, "127.0.0.7", "admin", ADMIN_TOKEN)
    assert "result" in await admin.request("cancel", ticket_id=issued[2]["id"])
    # A device with a token the site does not know.
    refused, hello = await Raw.open(server, "127.0.0.8", "kiosk", "not-a-token-" + GUESS)
    assert hello["error"]["code"] == "unauthorized"
    for raw in (counter, bridge, admin, refused):
        await raw.connection.close()

    rows = audit_rows(database_path)
    actions = [(row["action"], row["outcome"]) for row in rows]
    assert actions == [
        ("sign_in.failed", "refused"), ("sign_in.failed", "refused"),
        ("counter.login", "ok"), ("ticket.call_next", "ok"), ("ticket.start", "ok"),
        ("ticket.finish", "ok"), ("counter.pause", "ok"), ("counter.resume", "ok"),
        ("ticket.call_next", "refused"), ("ticket.call_next", "ok"), ("ticket.cancel", "ok"),
        ("device.connect", "refused")]
    # The kiosk's own presses are the citizens': their events keep them, not the audit log.
    assert not any(row["action"] == "ticket.issue" for row in rows)

    failed, unknown_row, login, call = rows[0], rows[1], rows[2], rows[3]
    assert (failed["actor_kind"], failed["actor"], failed["counter"], failed["device"],
            failed["channel"], failed["address"], failed["error"], failed["site"]) == (
        "officer", "lan", "1", "counter", "counter", "127.0.0.5", "unauthorized", SITE)
    # A name that is no officer's is not kept (it may be a password in the wrong field).
    assert unknown_row["actor"] == UNKNOWN_USER
    assert (login["actor"], login["counter"], login["address"]) == ("lan", "1", "127.0.0.5")
    assert json.loads(login["before"])["officer"] is None
    assert json.loads(login["after"]) == {"officer": "lan", "status": "open"}
    assert (call["actor_kind"], call["actor"], call["counter"], call["device"],
            call["address"], call["target"]) == (
        "officer", "lan", "1", "counter", "127.0.0.5", issued[0]["id"])
    assert json.loads(call["before"])["status"] == "waiting"
    assert json.loads(call["after"]) == {"counter": "1", "number": issued[0]["number"],
                                         "service": "DD-NOP", "status": "called"}
    finished = rows[5]
    assert json.loads(finished["after"])["case_code"] == "000.00.12.H42-261123-0007"
    # A phone number typed in a pause reason keeps its last three digits only.
    paused = json.loads(rows[6]["after"])
    assert paused["pause_reason"] == "Họp giao ban, gọi *******678"
    refused_call = rows[8]
    assert (refused_call["actor"], refused_call["counter"], refused_call["error"]) == (
        "lan", "3", "forbidden")
    by_bridge = rows[9]
    assert (by_bridge["actor_kind"], by_bridge["actor"], by_bridge["device"],
            by_bridge["channel"], by_bridge["address"], by_bridge["target"]) == (
        "officer", "lan", "bridge", "bridge", "127.0.0.6", issued[1]["id"])
    cancel = rows[10]
    assert (cancel["actor_kind"], cancel["actor"], cancel["channel"], cancel["target"]) == (
        "administrator", SERVER_ADMIN_TOKEN, "admin", issued[2]["id"])
    assert json.loads(cancel["after"])["status"] == "cancelled"
    bad = rows[11]
    assert (bad["actor_kind"], bad["actor"], bad["channel"], bad["address"], bad["site"]) == (
        "device", BAD_TOKEN, "kiosk", "127.0.0.8", SITE)

    text = audit_text(database_path)
    for secret in (PASSWORD, GUESS, "0912345678", "0912 345 678", PASSWORD_HASH,
                   KIOSK_TOKEN, COUNTER_TOKEN, BRIDGE_TOKEN, ADMIN_TOKEN):
        assert secret not in text, secret


async def test_a_password_change_is_recorded_without_any_hash(
    server: RunningServer, database_path: Path
) -> None:
    counter, _ = await Raw.open(server, "127.0.0.9", "counter", COUNTER_TOKEN)
    await counter.request("login", counter="2", user="lan", password=PASSWORD)
    wrong = await counter.request("change_password", current_password=GUESS,
                                  new_password=NEW_PASSWORD)
    assert wrong["error"]["code"] == "unauthorized"
    changed = await counter.request("change_password", current_password=PASSWORD,
                                    new_password=NEW_PASSWORD)
    assert changed["result"]["changed"] is True
    await counter.connection.close()
    refused, done = audit_rows(database_path, "password.change")
    assert (refused["outcome"], refused["error"], refused["address"]) == (
        "refused", "unauthorized", "127.0.0.9")
    assert (done["outcome"], done["actor"], done["counter"], done["address"], done["site"],
            done["target"]) == ("ok", "lan", "2", "127.0.0.9", SITE,
                                f"{SITE}/officers/lan")
    path = f"sites/{SITE}/officers/lan/password_hash"
    assert json.loads(done["before"]) == {path: "(ẩn / hidden)", "version": 1}
    assert json.loads(done["after"]) == {path: "(đã đổi / changed)", "version": 2}
    with sqlite3.connect(database_path) as connection:
        document = connection.execute(
            "SELECT document FROM configuration_versions WHERE version = 2").fetchone()[0]
    new_hash = json.loads(document)["sites"][0]["officers"][0]["password_hash"]
    text = audit_text(database_path)
    for secret in (PASSWORD, NEW_PASSWORD, GUESS, PASSWORD_HASH, new_hash,
                   new_hash.split("$")[-1]):
        assert secret not in text, secret


REFUSE_AUDIT = """
CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log WHEN NEW.action = 'ticket.call_next'
BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END
"""


async def test_the_entry_and_the_command_are_written_together_or_not_at_all(
    server: RunningServer, connect: Any, database_path: Path
) -> None:
    kiosk = await connect("kiosk")
    ticket = (await kiosk.request("issue", service="HT", request_key="one"))["ticket"]
    counter, _ = await Raw.open(server, "127.0.0.10", "counter", COUNTER_TOKEN)
    await counter.request("login", counter="3", user="minh", password=PASSWORD)
    with sqlite3.connect(database_path) as connection:
        connection.execute(REFUSE_AUDIT)
    refused = await counter.request("call_next")
    assert refused["error"]["code"] == "internal"
    with sqlite3.connect(database_path) as connection:
        status = connection.execute("SELECT status FROM tickets WHERE id = ?",
                                    (ticket["id"],)).fetchone()[0]
        called_events = connection.execute(
            "SELECT count(*) FROM events WHERE name = 'ticket.called'").fetchone()[0]
        connection.execute("DROP TRIGGER refuse_audit")
    assert (status, called_events) == ("waiting", 0)
    assert audit_rows(database_path, "ticket.call_next") == []
    # Written again once the database takes it: the same ticket, now called, and recorded.
    again = await counter.request("call_next")
    assert again["result"]["ticket"]["number"] == ticket["number"]
    await counter.connection.close()
    [row] = audit_rows(database_path, "ticket.call_next")
    assert (row["actor"], row["counter"], row["target"]) == ("minh", "3", ticket["id"])


async def test_a_refused_counter_session_is_recorded_and_its_string_is_not(
    server: RunningServer, database_path: Path
) -> None:
    counter, _ = await Raw.open(server, "127.0.0.10", "counter", COUNTER_TOKEN)
    login = await counter.request("login", counter="2", user="lan", password=PASSWORD)
    session = login["result"]["session"]
    await counter.request("logout")
    refused = await counter.request("login", counter="2", user="lan", session=session)
    assert refused["error"]["code"] == "unauthorized"
    await counter.connection.close()
    row = audit_rows(database_path, "sign_in.failed")[-1]
    assert (row["actor"], row["counter"], row["address"], row["error"], row["outcome"]) == (
        "lan", "2", "127.0.0.10", "session", "refused")
    assert session not in audit_text(database_path)
