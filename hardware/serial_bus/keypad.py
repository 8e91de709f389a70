"""Call keypad model: key presses wait in the event queue until the master collects them."""

from __future__ import annotations

from typing import ClassVar

from .device import DeviceModel
from .messages import DeviceMessage, KeyEvent, MasterMessage, Nak
from .protocol import DeviceType, Key, NakReason


class KeypadModel(DeviceModel):
    """Answers POLL with the oldest unacknowledged KEY event, else ACK; NAKs display commands."""

    device_type: ClassVar[DeviceType] = DeviceType.KEYPAD

    def press(self, key: Key, text: str = "") -> bool:
        """Queue a key press; ``text`` is the entry for NUMBER (and optional for TRANSFER).

        Returns False if the queue is full (the press is dropped, as a real keypad beeps).
        Raises PayloadError if ``text`` does not fit the key.
        """
        KeyEvent(sequence=0, key=key, text=text)  # validate even when the queue is full
        return self._queue_event(lambda sequence: KeyEvent(sequence=sequence, key=key, text=text))

    def _apply(self, message: MasterMessage, now: float) -> DeviceMessage:
        return Nak(NakReason.UNSUPPORTED_COMMAND)

    def _reset_state(self) -> None:
        """A keypad has no state besides its event queue."""
