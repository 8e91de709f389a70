"""A request whose send fails because the connection closed is told ``ConnectionLost`` once,
and leaves no future whose exception asyncio would log as never retrieved."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosedError
from websockets.frames import Close

from server.protocol.client import ConnectionLost, ProtocolClient


class ClosingConnection:
    """A connection whose send finds it closed, after the read loop failed what waited (the
    order a server going away produces)."""

    def __init__(self, client: ProtocolClient) -> None:
        self.client = client

    async def send(self, _frame: str) -> None:
        for future in self.client._waiting.values():
            if not future.done():
                future.set_exception(ConnectionLost("connection closed"))
        raise ConnectionClosedError(Close(1006, ""), None)


async def test_a_send_on_a_closed_connection_leaves_no_unretrieved_future() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        client = ProtocolClient("ws://127.0.0.1:9/ws", "kiosk", "token", "site")
        client._connection = ClosingConnection(client)  # type: ignore[assignment]
        with pytest.raises(ConnectionLost):
            await client.request("snapshot")
        assert client._waiting == {}
        gc.collect()  # a future with an unretrieved exception reports when it is freed
        assert [context.get("message") for context in reported] == []
    finally:
        loop.set_exception_handler(None)
