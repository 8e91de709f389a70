"""Helpers of the supervisor tests: a listener that records every call, a TCP proxy that can cut
the link or stop forwarding, and a started supervisor with its recorder."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from server.protocol.client import EventMessage
from server.protocol.supervisor import (
    ClientSupervisor,
    LinkChange,
    LinkState,
    SessionOpened,
    SnapshotTaken,
    SupervisorListener,
)

WAIT = 10.0
Call = tuple[str, Any]
"""``("link", LinkChange)``, ``("session", SessionOpened)``, ``("event", EventMessage)``,
``("snapshot", SnapshotTaken)`` or ``("pong", seconds)``."""


class Recorder(SupervisorListener):
    """Records the supervisor's calls in order (``calls``, appended on its thread) and hands
    each to the test's loop, where :meth:`next` waits for one."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.calls: list[Call] = []
        self._queue: asyncio.Queue[Call] = asyncio.Queue()

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._loop.call_soon_threadsafe(self._queue.put_nowait, call)

    def link_changed(self, change: LinkChange) -> None:
        self._record(("link", change))

    async def session_opened(self, session: SessionOpened) -> None:
        self._record(("session", session))

    def event_received(self, event: EventMessage) -> None:
        self._record(("event", event))

    def snapshot_taken(self, snapshot: SnapshotTaken) -> None:
        self._record(("snapshot", snapshot))

    def pong_received(self, round_trip_seconds: float) -> None:
        self._record(("pong", round_trip_seconds))

    async def next(self, kind: str, accept: Callable[[Any], bool] = lambda _value: True,
                   wait: float = WAIT) -> Any:
        """The value of the next call of ``kind`` that ``accept`` likes (others are skipped)."""
        async with asyncio.timeout(wait):
            while True:
                called, value = await self._queue.get()
                if called == kind and accept(value):
                    return value

    async def link(self, state: LinkState, wait: float = WAIT) -> LinkChange:
        change: LinkChange = await self.next("link", lambda value: value.state is state, wait)
        return change

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.calls]


class CuttableProxy:
    """A TCP proxy on 127.0.0.1 in front of a server port, on the test's loop.

    :meth:`cut` closes every connection and stops listening (the client cannot reconnect until
    :meth:`reopen`, on the same port); :meth:`hang` keeps the connections open but forwards
    nothing more either way (a hung server); :meth:`forward` ends the hang.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._listener: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._forwarding = True

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def open(self) -> None:
        self._listener = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = int(self._listener.sockets[0].getsockname()[1])

    async def reopen(self) -> None:
        await self.open()

    async def cut(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for writer in self._writers:
            writer.close()
        self._writers = []

    def hang(self) -> None:
        self._forwarding = False

    def forward(self) -> None:
        self._forwarding = True

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers += [writer, upstream_writer]

        async def pipe(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while chunk := await source.read(65536):
                    if self._forwarding:
                        target.write(chunk)
                        await target.drain()
            target.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


@dataclass
class Supervised:
    """A started supervisor and its recorder; ``stop()`` ends it off the loop."""

    supervisor: ClientSupervisor
    recorder: Recorder
    stopped: bool = field(default=False)

    async def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            await asyncio.to_thread(self.supervisor.stop)
