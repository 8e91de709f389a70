"""Counter LED board model: shows the current number, blinks on a call, shows a paused state."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import ClassVar

from .device import DeviceModel
from .messages import (
    Ack,
    Blink,
    Clear,
    DeviceMessage,
    MasterMessage,
    Nak,
    ShowNumber,
    ShowPaused,
)
from .protocol import BLINK_CYCLE_SECONDS, DeviceType, NakReason


class LedMode(Enum):
    """What the LED board is showing."""

    BLANK = "blank"
    NUMBER = "number"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class LedDisplay:
    """Snapshot of the board at one moment. ``text``/``label`` are empty when BLANK."""

    mode: LedMode
    text: str
    label: str
    blinking: bool

    def describe(self) -> str:
        """Human-readable summary, e.g. ``1005 -> 3 (blinking)``."""
        if self.mode is LedMode.BLANK:
            return "(blank)"
        shown = "PAUSED" if self.mode is LedMode.PAUSED else self.text
        if self.label:
            shown = f"{shown} -> {self.label}"
        return f"{shown} (blinking)" if self.blinking else shown


class LedBoardModel(DeviceModel):
    """Handles SHOW_NUMBER, BLINK, SHOW_PAUSED and CLEAR; NAKs every other command.

    SHOW_NUMBER replaces the text and label, stops blinking and leaves the paused state;
    BLINK(count) blinks for ``count`` seconds from now; SHOW_PAUSED keeps the label and stops
    blinking; CLEAR blanks the board. Starts BLANK.
    """

    device_type: ClassVar[DeviceType] = DeviceType.LED_BOARD

    def __init__(self, address: int, *, firmware_major: int = 1, firmware_minor: int = 0) -> None:
        self._mode = LedMode.BLANK
        self._text = ""
        self._label = ""
        self._blinking_until: float | None = None
        super().__init__(address, firmware_major=firmware_major, firmware_minor=firmware_minor)

    def display(self, now: float) -> LedDisplay:
        """What the board shows at time ``now``."""
        blinking = self._blinking_until is not None and now < self._blinking_until
        return LedDisplay(mode=self._mode, text=self._text, label=self._label, blinking=blinking)

    def _apply(self, message: MasterMessage, now: float) -> DeviceMessage:
        if isinstance(message, ShowNumber):
            self._mode, self._text, self._label = LedMode.NUMBER, message.text, message.label
            self._blinking_until = None
        elif isinstance(message, Blink):
            self._blinking_until = now + message.count * BLINK_CYCLE_SECONDS
        elif isinstance(message, ShowPaused):
            self._mode = LedMode.PAUSED
            self._blinking_until = None
        elif isinstance(message, Clear):
            self._reset_state()
        else:
            return Nak(NakReason.UNSUPPORTED_COMMAND)
        return Ack()

    def _reset_state(self) -> None:
        self._mode, self._text, self._label = LedMode.BLANK, "", ""
        self._blinking_until = None
