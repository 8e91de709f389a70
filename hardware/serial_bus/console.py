"""Keyboard control of emulated devices: one typed line -> one action (used by the CLI).

The bus carries only a rating pad's key number; what each key means is set in the bridge's
device map. The console can be told the pad's key labels (``pad_labels``, key 1 first) so that
its help, the lit pad and each press say which key is which label.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TextIO

from .device import DeviceModel
from .errors import PayloadError
from .framing import Frame
from .led_board import LedBoardModel
from .messages import EnableRating, decode_master_message
from .protocol import Command, Key
from .rating_pad import RatingPadModel

_KEYPAD_HELP = """\
Type a command and press Enter:
keypad:  n next | r recall | x no-show | f finish | s start | p pause | u resume
         t [TARGET] transfer | c NUMBER call a given number (e.g. c A012)"""
_BUS_HELP = """\
bus:     off / on  unplug / plug every device | reset  power-cycle every device
         ? help | q quit"""


def pad_help(pad_labels: Sequence[str]) -> str:
    """The help's rating-pad lines: each key with its label, or how to learn them."""
    if not pad_labels:
        return ("pad:     1..10 press that key of the rating pad (only while it is lit); which\n"
                "         label each key gives is set in the bridge's device map (keys)")
    keys = [f"         {key} {label}" for key, label in enumerate(pad_labels, start=1)]
    return "\n".join([f"pad:     1..{len(keys)} rate, only while the pad is lit:",
                      *keys])


def help_text(pad_labels: Sequence[str] = ()) -> str:
    """Every command the console takes; the pad's keys with ``pad_labels`` when known."""
    return f"{_KEYPAD_HELP}\n{pad_help(pad_labels)}\n{_BUS_HELP}"


KEY_LETTERS: dict[str, Key] = {
    "n": Key.NEXT,
    "r": Key.RECALL,
    "x": Key.NO_SHOW,
    "f": Key.FINISH,
    "s": Key.START,
    "p": Key.PAUSE,
    "u": Key.RESUME,
}

_LED_COMMANDS = frozenset({Command.SHOW_NUMBER, Command.BLINK, Command.SHOW_PAUSED, Command.CLEAR})


class EmulatorControls(Protocol):
    """What the console needs from the emulator (implemented by DeviceEmulator)."""

    def press_key(self, address: int, key: Key, text: str = "") -> bool: ...

    def press_rating(self, address: int, score: int) -> bool: ...

    def set_all_responding(self, responding: bool) -> None: ...

    def restart_all(self) -> None: ...


class EmulatorConsole:
    """Turns typed lines into key presses; :meth:`handle_line` returns False on quit."""

    def __init__(
        self,
        controls: EmulatorControls,
        *,
        keypad_address: int | None,
        pad_address: int | None,
        write: Callable[[str], None],
        pad_labels: Sequence[str] = (),
    ) -> None:
        self._controls = controls
        self._keypad_address = keypad_address
        self._pad_address = pad_address
        self._write = write
        self._pad_labels = tuple(pad_labels)

    def handle_line(self, line: str) -> bool:
        """Execute one typed line; report the outcome through ``write``."""
        words = line.split()
        if not words:
            return True
        command, arguments = words[0].lower(), words[1:]
        if command in {"q", "quit", "exit"}:
            return False
        if command in {"?", "h", "help"}:
            self._write(help_text(self._pad_labels))
        elif command in KEY_LETTERS:
            self._press(KEY_LETTERS[command], "")
        elif command == "t":
            self._press(Key.TRANSFER, arguments[0].upper() if arguments else "")
        elif command == "c":
            if arguments:
                self._press(Key.NUMBER, arguments[0].upper())
            else:
                self._write("usage: c NUMBER (e.g. c 1005)")
        elif command.isdigit():
            self._rate(int(command))
        elif command in {"off", "on"}:
            self._controls.set_all_responding(command == "on")
            self._write(f"devices {'plugged in' if command == 'on' else 'unplugged'}")
        elif command == "reset":
            self._controls.restart_all()
            self._write("devices power-cycled")
        else:
            self._write(f"unknown command {command!r}; type ? for help")
        return True

    def _press(self, key: Key, text: str) -> None:
        if self._keypad_address is None:
            self._write("no keypad on this bus")
            return
        try:
            queued = self._controls.press_key(self._keypad_address, key, text)
        except PayloadError as error:
            self._write(f"not sent: {error}")
            return
        shown = f"{key.name} {text}".rstrip()
        self._write(f"keypad: {shown} queued" if queued else "keypad: queue full, key dropped")

    def _rate(self, score: int) -> None:
        if self._pad_address is None:
            self._write("no rating pad on this bus")
            return
        accepted = self._controls.press_rating(self._pad_address, score)
        if not accepted:
            self._write(f"pad: key {score} ignored (not lit)")
        elif score <= len(self._pad_labels):
            self._write(f"pad: key {score} = {self._pad_labels[score - 1]}")
        else:
            self._write(f"pad: key {score} pressed")


def describe_handled_frame(device: DeviceModel, frame: Frame, now: float,
                           pad_labels: Sequence[str] = ()) -> str | None:
    """One line about a visible change caused by ``frame`` on ``device``, or None; a pad lit
    up names its keys' ``pad_labels`` when known."""
    if isinstance(device, LedBoardModel) and frame.command in _LED_COMMANDS:
        return f"LED 0x{device.address:02X}: {device.display(now).describe()}"
    if isinstance(device, RatingPadModel) and frame.command in {
        Command.SET_SCALE,
        Command.ENABLE_RATING,
        Command.DISABLE_RATING,
    }:
        try:
            message = decode_master_message(frame)
        except PayloadError:
            return None
        if isinstance(message, EnableRating):
            line = (f"pad 0x{device.address:02X}: lit for {message.window_seconds} s, "
                    f"keys 1..{device.key_count}")
            if len(pad_labels) == device.key_count:
                line += ": " + " · ".join(
                    f"{key} {label}" for key, label in enumerate(pad_labels, start=1))
            return line
        state = "lit" if device.is_enabled(now) else "off"
        return f"pad 0x{device.address:02X}: {state}, keys 1..{device.key_count}"
    return None


def print_to(stream: TextIO) -> Callable[[str], None]:
    """A ``write`` callback printing whole lines to ``stream`` and flushing."""

    def write(text: str) -> None:
        stream.write(text + "\n")
        stream.flush()

    return write
