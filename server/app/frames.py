"""Writing text frames to one WebSocket connection, in order, without a task per frame.

A call sends ``ticket.done``, ``ticket.called`` and ``counter.changed`` to every display.
Through ASGI that is a task wake-up, one ``send`` and one socket write per frame per display;
with 500 displays that fan-out took ~24 ms (py-spy and timings on bench/server_bench.py).
:class:`DirectFrameSender` instead hands a connection's waiting frames to its ``websockets``
protocol under uvicorn and writes them to the socket in one call, synchronously, from the
publishing step itself. Only when the peer reads slowly (the transport paused writing) do
frames wait in a backlog, written by a drain task once the transport can take them again.

It reaches into uvicorn's ``websockets-sansio`` protocol object (the ASGI ``send`` is its bound
method), so :func:`frame_sender` checks every attribute it uses and falls back to
:class:`AsgiFrameSender`, plain ASGI sends from a drain task, when they are not there (a
uvicorn that changed, another ASGI server). Both keep the ASGI rules: nothing is written
before the handshake or after a close, and a paused transport is waited on, not flooded.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

logger = logging.getLogger(__name__)

AsgiSend = Callable[[dict[str, Any]], Awaitable[None]]

# What DirectFrameSender uses of uvicorn's WebSocketsSansIOProtocol.
_PROTOCOL_ATTRIBUTES = ("conn", "transport", "writable", "disconnected", "close_sent",
                        "handshake_complete")
_fallback_reported = False


class PeerGone(OSError):
    """The connection closed (or is closing); the frames were not written."""


class FrameSender(Protocol):
    """Where a session's frames go. ``send`` never blocks: it writes at once when it can and
    otherwise keeps the frames, in order, until the transport takes them."""

    @property
    def backlog(self) -> int:
        """Frames accepted but not yet written to the socket."""
        ...

    @property
    def backlog_bytes(self) -> int:
        """Characters of the frames accepted but not yet written (about their bytes)."""
        ...

    def send(self, frames: list[str]) -> None:
        """Write ``frames`` after everything sent before; raises :class:`PeerGone` when the
        connection is known to be closed."""
        ...

    async def flushed(self) -> None:
        """Return once the backlog is written (or can never be: the peer went)."""
        ...

    def stop(self) -> None:
        """Drop the backlog and write nothing more."""
        ...

    def abort(self) -> None:
        """Close the connection at once, dropping whatever the transport still buffers (a
        peer that reads nothing would otherwise keep it, and its socket, for good)."""
        ...


# A drain writes at most this much before waiting for the transport to take it: one write of
# the whole backlog would sit in the transport's buffer, out of the backlog's byte cap.
DRAIN_CHUNK_CHARACTERS = 256 * 1024
# A peer that takes nothing of what waits for it for this long is cut (uvicorn's ping, every
# 20 s with 20 s to answer, would close it politely, which a peer that reads nothing never
# lets finish: its socket and buffer would stay).
STALLED_WRITE_SECONDS = 30.0
# How often a connection is checked for being stuck closing; one found so twice is cut.
CLOSING_CHECK_SECONDS = 10.0


class _BacklogSender:
    """The shared part: the backlog and its drain task. Subclasses say whether a batch can
    be written right now, how to write it now, and how to wait until it can be."""

    def __init__(self) -> None:
        self._backlog: deque[str] = deque()
        self._backlog_bytes = 0
        self._drainer: asyncio.Task[None] | None = None
        self._stopped = False

    @property
    def backlog(self) -> int:
        return len(self._backlog)

    @property
    def backlog_bytes(self) -> int:
        return self._backlog_bytes

    def send(self, frames: list[str]) -> None:
        if self._stopped:
            return
        if self._drainer is None and self._can_write_now():
            self._write_now(frames)
            return
        self._backlog.extend(frames)
        self._backlog_bytes += sum(map(len, frames))
        if self._drainer is None:
            self._drainer = asyncio.get_running_loop().create_task(self._drain())

    def abort(self) -> None:
        self.stop()

    async def flushed(self) -> None:
        if self._drainer is not None:
            # wait() rather than await: a drain that failed or was stopped is not our error.
            await asyncio.wait({self._drainer})

    def stop(self) -> None:
        self._stopped = True
        self._backlog.clear()
        self._backlog_bytes = 0
        if self._drainer is not None:
            self._drainer.cancel()

    async def _drain(self) -> None:
        try:
            while self._backlog and not self._stopped:
                await self._write_later(self._next_chunk())
        except OSError as error:  # the peer went; the receive side will see it and detach
            logger.debug("dropping %d frames: %s", len(self._backlog), error)
            self._backlog.clear()
            self._backlog_bytes = 0
        finally:
            self._drainer = None

    def _next_chunk(self) -> list[str]:
        """Frames from the front of the backlog, about :data:`DRAIN_CHUNK_CHARACTERS`."""
        chunk: list[str] = []
        size = 0
        while self._backlog and (not chunk or size < DRAIN_CHUNK_CHARACTERS):
            frame = self._backlog.popleft()
            chunk.append(frame)
            size += len(frame)
        self._backlog_bytes -= size
        return chunk

    def _can_write_now(self) -> bool:
        raise NotImplementedError

    def _write_now(self, frames: list[str]) -> None:
        raise NotImplementedError

    async def _write_later(self, frames: list[str]) -> None:
        raise NotImplementedError


class AsgiFrameSender(_BacklogSender):
    """One ASGI ``websocket.send`` per frame, from the drain task: any ASGI server."""

    def __init__(self, send: AsgiSend) -> None:
        super().__init__()
        self._send = send

    def _can_write_now(self) -> bool:
        return False  # an ASGI send is a coroutine: always through the drain task

    async def _write_later(self, frames: list[str]) -> None:
        for frame in frames:
            # As shared_text_frame: a lone surrogate goes out escaped, not as an error.
            text = frame.encode("utf-8", "backslashreplace").decode("utf-8")
            await self._send({"type": "websocket.send", "text": text})


@functools.lru_cache(maxsize=256)
def shared_text_frame(text: str) -> bytes:
    """``text`` as a server-to-client WebSocket text frame: unmasked and, with no extension
    negotiated, the same bytes on every connection, so an event going to 500 displays is
    framed once (the cache keeps the last events; replies pass through it once each).

    Text that cannot be UTF-8 (a lone surrogate) goes out with it escaped as ``\\udXXX``:
    inside a JSON string that is the same value, and the frame stays valid UTF-8, so one bad
    string never costs the frames sent with it."""
    return Frame(Opcode.TEXT, text.encode("utf-8", "backslashreplace")).serialize(mask=False)


class DirectFrameSender(_BacklogSender):
    """A batch framed once per event (:func:`shared_text_frame`) and written to the socket in
    one call. Only for connections with no extension (the server turns compression off)."""

    def __init__(self, protocol: Any) -> None:
        super().__init__()
        self._protocol = protocol
        self._loop = asyncio.get_running_loop()
        self._closing_since: float | None = None
        self._loop.call_later(CLOSING_CHECK_SECONDS, self._check_closing)

    @property
    def protocol(self) -> Any:
        """The uvicorn protocol object written to."""
        return self._protocol

    def _check_closing(self) -> None:
        """Cut a connection stuck closing: uvicorn closes it politely (after its ping went
        unanswered, say), which waits for the transport's buffer to drain; a peer that reads
        nothing never lets it, and the socket and the buffer would stay for good."""
        protocol = self._protocol
        if protocol.disconnected:
            return
        if protocol.transport.is_closing():
            now = self._loop.time()
            if self._closing_since is None:
                self._closing_since = now
            elif now - self._closing_since >= CLOSING_CHECK_SECONDS:
                logger.info("cutting a connection that could not finish closing in %g s",
                            now - self._closing_since)
                protocol.transport.abort()
                return
        self._loop.call_later(CLOSING_CHECK_SECONDS, self._check_closing)

    def _can_write_now(self) -> bool:
        return bool(self._protocol.writable.is_set())

    def _write_now(self, frames: list[str]) -> None:
        protocol = self._protocol
        connection = protocol.conn
        if (protocol.disconnected or protocol.close_sent or not protocol.handshake_complete
                or connection.state is not State.OPEN):
            raise PeerGone("the WebSocket connection is closed")
        # Anything the protocol itself queued (a pong) goes first, as send_text would do.
        protocol.transport.write(b"".join([*connection.data_to_send(),
                                           *map(shared_text_frame, frames)]))

    async def _write_later(self, frames: list[str]) -> None:
        try:
            await asyncio.wait_for(self._protocol.writable.wait(), STALLED_WRITE_SECONDS)
        except TimeoutError:
            # The peer has taken nothing for that long: it is gone or frozen. Closing it
            # politely would wait for its buffer to drain, which it never does; cut it.
            logger.info("cutting a connection that read nothing for %g s",
                        STALLED_WRITE_SECONDS)
            self.abort()
            raise PeerGone("the peer stopped reading") from None
        self._write_now(frames)

    def abort(self) -> None:
        self.stop()
        transport = self._protocol.transport
        if not self._protocol.disconnected:
            transport.abort()


def frame_sender(send: AsgiSend) -> FrameSender:
    """The fastest sender that is safe for this ASGI ``send``."""
    global _fallback_reported
    protocol = getattr(send, "__self__", None)
    if (protocol is not None and all(hasattr(protocol, name) for name in _PROTOCOL_ATTRIBUTES)
            and isinstance(protocol.conn, ServerProtocol) and not protocol.conn.extensions):
        return DirectFrameSender(protocol)
    if (protocol is not None and type(protocol).__module__.startswith("uvicorn.")
            and not _fallback_reported):
        # Worth saying once: everything still works, but each frame costs a task step.
        _fallback_reported = True
        logger.warning("uvicorn's WebSocket protocol is not the one expected; frames go "
                       "through ASGI one by one")
    return AsgiFrameSender(send)
