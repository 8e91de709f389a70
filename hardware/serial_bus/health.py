"""Pure online/offline tracking of one device from the outcome of each poll (time injected)."""

from __future__ import annotations

from dataclasses import dataclass

from .protocol import DEFAULT_OFFLINE_AFTER_MISSES, DeviceState


@dataclass(frozen=True, slots=True)
class HealthChange:
    """The device's state changed from ``previous`` to ``current`` at ``at``."""

    previous: DeviceState
    current: DeviceState
    at: float


class DeviceHealth:
    """State machine: UNKNOWN until the first outcome; any reply -> ONLINE;
    ``offline_after_misses`` consecutive misses -> OFFLINE.

    ``record_reply``/``record_miss`` return the change they caused, or None.
    """

    def __init__(self, offline_after_misses: int = DEFAULT_OFFLINE_AFTER_MISSES) -> None:
        if offline_after_misses < 1:
            raise ValueError("offline_after_misses must be at least 1")
        self._offline_after_misses = offline_after_misses
        self._state = DeviceState.UNKNOWN
        self._consecutive_misses = 0
        self._last_reply_at: float | None = None

    @property
    def state(self) -> DeviceState:
        """Current state."""
        return self._state

    @property
    def consecutive_misses(self) -> int:
        """Polls without an answer since the last answer."""
        return self._consecutive_misses

    @property
    def last_reply_at(self) -> float | None:
        """When the device last answered, or None if it never did."""
        return self._last_reply_at

    def record_reply(self, now: float) -> HealthChange | None:
        """The device answered at ``now``."""
        self._consecutive_misses = 0
        self._last_reply_at = now
        return self._move_to(DeviceState.ONLINE, now)

    def record_miss(self, now: float) -> HealthChange | None:
        """The device did not answer a poll sent at ``now``."""
        self._consecutive_misses += 1
        if self._consecutive_misses >= self._offline_after_misses:
            return self._move_to(DeviceState.OFFLINE, now)
        return None

    def _move_to(self, state: DeviceState, now: float) -> HealthChange | None:
        if state is self._state:
            return None
        change = HealthChange(previous=self._state, current=state, at=now)
        self._state = state
        return change
