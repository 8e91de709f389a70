"""Error replies stay short whatever the client sent: a message that quotes a value of the
client's is cut to 400 characters."""

from __future__ import annotations

import json
from typing import Any

import pytest

from server.protocol import messages as wire
from server.protocol.client import RequestFailed


def test_an_error_message_is_cut_to_its_limit() -> None:
    long = "no ticket '" + "\\ud7fc" * 80 + "' today"
    reply = json.loads(wire.encode_error(3, wire.ErrorCode.NOT_FOUND, long))
    message = reply["error"]["message"]
    assert len(message) == wire.MAX_MESSAGE_CHARACTERS and message.endswith("…")
    assert message.startswith("no ticket '")
    short = json.loads(wire.encode_error(4, wire.ErrorCode.CONFLICT, "as it is"))
    assert short["error"] == {"code": "conflict", "message": "as it is"}


async def test_a_refusal_quoting_a_long_key_is_cut(connect: Any) -> None:
    # 80 characters (the longest key) that the rules quote with escapes: 509 characters once.
    kiosk = await connect("kiosk")
    with pytest.raises(RequestFailed) as refused:
        await kiosk.request("ticket", ticket_id="\ud7fc" * 80)
    assert refused.value.code == "not_found"
    assert refused.value.message.startswith("field 'ticket_id': no ticket")
    assert len(refused.value.message) <= wire.MAX_MESSAGE_CHARACTERS
