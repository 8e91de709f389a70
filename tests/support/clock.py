"""A clock for a real server that the test moves by hand (``start_server(clock=...)``)."""

from __future__ import annotations

from datetime import datetime


class ManualClock:
    """The server's clock, moved by the test: ``clock.now += timedelta(minutes=2)``."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("now must carry a time zone")
        self.now = now

    def __call__(self) -> datetime:
        return self.now
