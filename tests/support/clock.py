"""A clock for a real server that the test moves by hand (``start_server(clock=...)``)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta


class ManualClock:
    """The server's clock, moved by the test: ``clock.advance(120)``, ``clock.now = ...`` or
    ``clock.now += timedelta(...)``. Thread-safe: the server may run on another thread."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("now must carry a time zone")
        self._now = now
        self._lock = threading.Lock()

    @property
    def now(self) -> datetime:
        with self._lock:
            return self._now

    @now.setter
    def now(self, value: datetime) -> None:
        if value.tzinfo is None:
            raise ValueError("now must carry a time zone")
        with self._lock:
            self._now = value

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)

    def __call__(self) -> datetime:
        return self.now
