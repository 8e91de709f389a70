"""A deadline for each HTTP request head: slow clients are cut off, not kept.

uvicorn closes idle keep-alive connections, but a client that trickles a request's headers a
byte at a time is never idle, and a server has only so many sockets: 200 of them were held
open past a minute. :func:`guarded_protocol` wraps uvicorn's HTTP protocol so that a
connection whose request head has not fully arrived within the deadline is closed. Nothing of
uvicorn's internals is used: the application itself says when a request has arrived (it is
called with the request's scope, whose ``client`` names the connection) and when its answer
is complete, through :class:`RequestDeadlines`.

A WebSocket upgrade ends the HTTP part: from then on the protocol's own ping and the
session's hello deadline watch the connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger(__name__)

Peer = tuple[str, int]


class RequestDeadlines:
    """The connections waiting for a request head, each with its timer."""

    def __init__(self, timeout_seconds: float) -> None:
        self.timeout_seconds = timeout_seconds
        self._waiting: dict[Peer, tuple[asyncio.Transport, asyncio.TimerHandle | None]] = {}
        self.cut = 0  # connections closed for being too slow (for tests and logs)

    def watch(self, peer: Peer, transport: asyncio.Transport) -> None:
        """A new connection: its first request head must arrive within the deadline."""
        self._waiting[peer] = (transport, None)
        self._arm(peer)

    def request_arrived(self, peer: Peer) -> None:
        """The application was called for a request of ``peer``: its head is complete."""
        entry = self._waiting.get(peer)
        if entry is not None and entry[1] is not None:
            entry[1].cancel()
            self._waiting[peer] = (entry[0], None)

    def response_sent(self, peer: Peer) -> None:
        """The answer went out: a next request on the same connection gets a new deadline."""
        if peer in self._waiting:
            self._arm(peer)

    def forget(self, peer: Peer) -> None:
        """The connection closed, or became a WebSocket."""
        entry = self._waiting.pop(peer, None)
        if entry is not None and entry[1] is not None:
            entry[1].cancel()

    def _arm(self, peer: Peer) -> None:
        transport, timer = self._waiting[peer]
        if timer is not None:
            timer.cancel()
        loop = asyncio.get_running_loop()
        self._waiting[peer] = (transport, loop.call_later(self.timeout_seconds, self._expire,
                                                          peer))

    def _expire(self, peer: Peer) -> None:
        entry = self._waiting.pop(peer, None)
        if entry is None:
            return
        self.cut += 1
        logger.info("closing an HTTP connection from %s that sent no complete request "
                    "within %g s", peer[0], self.timeout_seconds)
        entry[0].abort()


class _GuardedProtocol(asyncio.Protocol):
    """Delegates everything to the wrapped protocol; tells the deadlines about the socket."""

    def __init__(self, inner: asyncio.Protocol, deadlines: RequestDeadlines) -> None:
        self._inner = inner
        self._deadlines = deadlines
        self._peer: Peer | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peername = transport.get_extra_info("peername")
        if isinstance(transport, asyncio.Transport) and isinstance(peername, tuple) \
                and len(peername) >= 2:
            self._peer = (str(peername[0]), int(peername[1]))
            self._deadlines.watch(self._peer, transport)
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._peer is not None:
            self._deadlines.forget(self._peer)
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()


def guarded_protocol(inner: type[asyncio.Protocol],
                     deadlines: RequestDeadlines) -> type[asyncio.Protocol]:
    """A protocol class for uvicorn's ``http`` setting: ``inner`` (built with the keyword
    arguments uvicorn gives) behind the request deadlines."""

    class GuardedProtocol(_GuardedProtocol):
        def __init__(self, **options: Any) -> None:
            super().__init__(inner(**options), deadlines)

    return GuardedProtocol


Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def with_deadlines(app: Asgi, deadlines: RequestDeadlines) -> Asgi:
    """``app`` telling ``deadlines`` when each request arrives and its answer is sent."""

    async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        client = scope.get("client")
        peer = (str(client[0]), int(client[1])) if client else None
        if peer is None or scope["type"] not in ("http", "websocket"):
            await app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            deadlines.forget(peer)
            await app(scope, receive, send)
            return
        deadlines.request_arrived(peer)

        async def send_and_watch(message: dict[str, Any]) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                deadlines.response_sent(peer)

        await app(scope, receive, send_and_watch)

    return guarded
