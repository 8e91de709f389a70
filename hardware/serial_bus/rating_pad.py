"""Satisfaction pad model: one key per label of the scale, live only while rating is enabled."""

from __future__ import annotations

from typing import ClassVar

from .device import DeviceModel
from .messages import (
    Ack,
    DeviceMessage,
    DisableRating,
    EnableRating,
    MasterMessage,
    Nak,
    RatingEvent,
    SetScale,
)
from .protocol import DeviceType, NakReason

DEFAULT_SCALE_KEYS = 4
"""The default scale has four labels (Rất hài lòng, Hài lòng, Bình thường, Không hài lòng)."""


class RatingPadModel(DeviceModel):
    """Handles SET_SCALE, ENABLE_RATING and DISABLE_RATING; NAKs every other command.

    ENABLE_RATING(window) lights keys 1..key_count until ``now + window``; the first valid press
    in the window queues one RATING and turns the keys off; presses outside the window or above
    ``key_count`` are ignored. SET_SCALE changes ``key_count`` and leaves the window as it is.
    """

    device_type: ClassVar[DeviceType] = DeviceType.RATING_PAD

    def __init__(self, address: int, *, firmware_major: int = 1, firmware_minor: int = 0) -> None:
        self._key_count = DEFAULT_SCALE_KEYS
        self._enabled_until: float | None = None
        super().__init__(address, firmware_major=firmware_major, firmware_minor=firmware_minor)

    @property
    def key_count(self) -> int:
        """Number of keys in use (labels of the configured scale)."""
        return self._key_count

    def is_enabled(self, now: float) -> bool:
        """True while the keys are lit and a press is accepted."""
        return self._enabled_until is not None and now < self._enabled_until

    def press(self, score: int, now: float) -> bool:
        """Press key ``score`` (1-based) at ``now``. Returns True if a RATING was queued."""
        if not self.is_enabled(now) or not 1 <= score <= self._key_count:
            return False
        if not self._queue_event(lambda sequence: RatingEvent(sequence=sequence, score=score)):
            return False
        self._enabled_until = None
        return True

    def _apply(self, message: MasterMessage, now: float) -> DeviceMessage:
        if isinstance(message, SetScale):
            self._key_count = message.key_count
        elif isinstance(message, EnableRating):
            self._enabled_until = now + message.window_seconds
        elif isinstance(message, DisableRating):
            self._enabled_until = None
        else:
            return Nak(NakReason.UNSUPPORTED_COMMAND)
        return Ack()

    def _reset_state(self) -> None:
        self._key_count = DEFAULT_SCALE_KEYS
        self._enabled_until = None
