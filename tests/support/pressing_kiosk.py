"""A kiosk app's real connection (kiosk.connection) pressing for tickets under load, for the
failover tests: every ticket it was given, when, and every refusal."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kiosk.connection import ServerConnection
from kiosk.models.status import ConnectionState
from kiosk.settings import KioskSettings
from support.server_processes import token

# The kiosk presses at most this often: a steady load, and the day's numbers (A001-A999)
# last the whole test; pacing, not waiting for anything.
PRESS_SECONDS = 0.04


class PressingKiosk:
    """The kiosk app's connection pressing ``HT`` again and again at one site (``urls``:
    one server address or several); every answer recorded (listener calls come on the
    connection's thread). ``answer_seconds``: how long a press may wait for its answer."""

    def __init__(self, site: str, urls: str, loop: asyncio.AbstractEventLoop,
                 folder: Path, reconnect_max_seconds: float = 2.0,
                 answer_seconds: float = 30.0) -> None:
        self.site = site
        self.loop = loop
        self.confirmed: dict[str, str] = {}  # request key -> number
        self.confirmed_at: list[float] = []
        self.refused: list[tuple[str, str, str]] = []
        self.answered = asyncio.Event()
        self.connection = ServerConnection(KioskSettings(
            server_url=urls, token=token("kiosk", site), site=site,
            printer_url=f"virtual://{folder}", reconnect_min_seconds=0.2,
            reconnect_max_seconds=reconnect_max_seconds, request_timeout_seconds=5.0), self)
        self._answer_seconds = answer_seconds
        self._presses = 0

    # The kiosk's listener (connection thread).
    def connection_changed(self, state: ConnectionState,
                           snapshot: Mapping[str, Any] | None) -> None:
        pass

    def snapshot_received(self, snapshot: Mapping[str, Any]) -> None:
        pass

    def issue_confirmed(self, request_key: str, ticket: Mapping[str, Any]) -> None:
        now = time.monotonic()

        def record() -> None:
            self.confirmed[request_key] = str(ticket["number"])
            self.confirmed_at.append(now)
            self.answered.set()

        self.loop.call_soon_threadsafe(record)

    def issue_refused(self, request_key: str, code: str, message: str) -> None:
        def record() -> None:
            self.refused.append((request_key, code, message))
            self.answered.set()

        self.loop.call_soon_threadsafe(record)

    async def press_until(self, stop: asyncio.Event) -> None:
        """Press, wait for the answer, press again, until ``stop``; the last press is
        answered before this returns."""
        while not stop.is_set():
            self._presses += 1
            key = f"{self.site}-press-{self._presses}"
            self.answered.clear()
            self.connection.issue(key, "HT", None)
            await asyncio.wait_for(self.answered.wait(), self._answer_seconds)
            assert not self.refused, self.refused
            await asyncio.sleep(PRESS_SECONDS)  # pacing the load, not waiting for anything

    async def tickets_after(self, moment: float, count: int, timeout: float) -> float:
        """Wait until ``count`` tickets were confirmed after ``moment``; when the first was."""
        async with asyncio.timeout(timeout):
            while sum(1 for at in self.confirmed_at if at > moment) < count:
                self.answered.clear()
                await self.answered.wait()
        return min(at for at in self.confirmed_at if at > moment)
