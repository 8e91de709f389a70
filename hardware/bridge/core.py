"""The bridge's logic, sans-I/O: bus inputs and server events in, bus commands and server
requests out. Time is passed in (``now``, monotonic seconds).

* A keypad key becomes the counter action of its counter, with ``as_counter``; a key at a
  closed counter first opens it (an admin ``login`` without an officer).
* ``ticket.called``/``ticket.recalled`` show the number on the counter's LED boards and blink
  it; ``counter.changed`` shows the paused state, the current number again, or a blank board.
* ``ticket.done`` lights the counter's rating pads for the site's rating window; the first
  pad key becomes ``rate`` for that ticket, with the score the device map gives that key
  (:func:`~hardware.bridge.device_map.pad_key_steps`; by default key *k* = the *k*-th lowest
  score, so key 4 of the usual scale is 4 "Rất hài lòng"). The label is logged with the key.
* A pad whose map ``keys`` do not fit the scale in the server's snapshot is not used: it is
  never lit, the reason is logged as an error, and its status reports say ``error`` with it.
* A device that stops answering is reported ``offline`` (``device_status``); when it answers
  again it is reported ``ok`` and brought up to date, as after a POWER_UP.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hardware.bridge.device_map import (
    DeviceAssignment,
    DeviceKind,
    DeviceMap,
    ScaleStep,
    pad_key_steps,
    scale_steps,
)
from hardware.bridge.errors import MapFileError
from hardware.serial_bus import (
    Blink,
    Clear,
    DeviceMessage,
    DeviceState,
    DisableRating,
    EnableRating,
    HealthChange,
    Key,
    KeyEvent,
    MasterMessage,
    PowerUp,
    RatingEvent,
    SetScale,
    ShowNumber,
    ShowPaused,
)
from hardware.serial_bus.protocol import MAX_DISPLAY_TEXT_LENGTH, MAX_RATING_WINDOW_SECONDS

logger = logging.getLogger(__name__)

OFFLINE_MESSAGE = "không trả lời trên bus / no answer on the bus"
STATUS_MESSAGE_LIMIT = 200
"""The protocol's longest ``device_status`` message."""


@dataclass(frozen=True, slots=True)
class BusCommand:
    """Send ``message`` to the device at ``address``."""

    address: int
    message: MasterMessage


@dataclass(frozen=True, slots=True)
class ServerRequest:
    """A protocol request: ``request_type`` with ``fields`` (``None`` fields are left out)."""

    request_type: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeviceReplied:
    """A device answered a poll with ``message`` (a new event, POWER_UP, ACK...)."""

    address: int
    message: DeviceMessage


@dataclass(frozen=True, slots=True)
class HealthChanged:
    """A device went online or offline."""

    address: int
    change: HealthChange


BusInput = DeviceReplied | HealthChanged


@dataclass(frozen=True, slots=True)
class Reaction:
    """What to do about an input: requests for the server, commands for the bus."""

    requests: tuple[ServerRequest, ...] = ()
    commands: tuple[BusCommand, ...] = ()


class BoardMode(StrEnum):
    BLANK = "blank"
    NUMBER = "number"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class BoardState:
    """What a counter's LED boards should show."""

    mode: BoardMode
    text: str = ""


_KEY_REQUESTS: dict[Key, str] = {
    Key.NEXT: "call_next",
    Key.RECALL: "recall",
    Key.NO_SHOW: "no_show",
    Key.FINISH: "finish",
    Key.START: "start",
    Key.PAUSE: "pause",
    Key.RESUME: "resume_counter",
}


def board_text(number: str) -> str:
    """A ticket number as an LED board can show it (printable ASCII, at most 8)."""
    printable = "".join(character for character in number if 0x20 <= ord(character) < 0x7F)
    return printable[:MAX_DISPLAY_TEXT_LENGTH] or "?"


def _normalised(code: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", code.upper())


class BridgeCore:
    """State of the counters the bus serves, and the rules above. Not thread-safe."""

    def __init__(self, device_map: DeviceMap, blink_count: int = 5) -> None:
        self.device_map = device_map
        self.blink_count = blink_count
        self._status: dict[str, str] = {}
        self._numbers: dict[str, str] = {}
        self._finished: dict[str, str] = {}
        """Counter -> the ticket its pads may rate."""
        self._rating_until: dict[str, float] = {}
        self._boards: dict[int, BoardState] = {}
        """What each LED board was last told to show."""
        self._health: dict[int, DeviceState] = {}
        self._scale: tuple[ScaleStep, ...] = ()
        self._pad_steps: dict[int, tuple[ScaleStep, ...]] = {}
        """Rating pad -> the scale step of each of its keys, key 1 first (once known)."""
        self._pad_problems: dict[int, str] = {}
        """Rating pad -> why its map ``keys`` do not fit the site's scale."""
        self._window_seconds = 30
        self._business_date: str | None = None
        self._counter_codes: tuple[str, ...] = ()
        self._service_codes: tuple[str, ...] = ()

    # --- the server -----------------------------------------------------------------------

    def on_snapshot(self, state: dict[str, Any], now: float) -> tuple[BusCommand, ...]:
        """A (new) connection or a new day: take the true state and bring every device up to
        date (LED boards, the pads' scale, a pad still inside its window)."""
        business_date = (state.get("site") or {}).get("business_date")
        if business_date != self._business_date:
            self._numbers.clear()
            self._finished.clear()
            self._rating_until.clear()
            self._business_date = business_date
        scale = state.get("rating_scale") or []
        if scale:
            self._scale = scale_steps(scale)
            self._map_pad_keys()
        self._window_seconds = int(state.get("rating_window_seconds") or self._window_seconds)
        counters = state.get("counters") or []
        self._counter_codes = tuple(str(item["code"]) for item in counters)
        self._service_codes = tuple(str(item["code"]) for item in state.get("services") or [])
        served = set(self.device_map.counters)
        for call in reversed(state.get("recent_calls") or []):  # oldest first
            if call.get("counter") in served:
                self._numbers[str(call["counter"])] = str(call["number"])
        for item in counters:
            code = str(item["code"])
            if code not in served:
                continue
            self._status[code] = str(item["status"])
            if item.get("ticket"):
                self._numbers[code] = str(item["ticket"]["number"])
        commands: list[BusCommand] = []
        for device in self.device_map.devices:
            commands.extend(self._restore(device, now))
        return tuple(commands)

    def on_event(self, name: str, data: dict[str, Any], now: float) -> tuple[BusCommand, ...]:
        """A server event: the bus commands it calls for."""
        if name in ("ticket.called", "ticket.recalled"):
            counter = data.get("counter")
            if counter not in self.device_map.counters:
                return ()
            self._numbers[counter] = str(data["number"])
            commands: list[BusCommand] = []
            for board in self.device_map.of_counter(counter, DeviceKind.LED_BOARD):
                state = BoardState(BoardMode.NUMBER, board_text(str(data["number"])))
                self._boards[board.address] = state
                commands.append(BusCommand(board.address,
                                           ShowNumber(state.text, board.label)))
                commands.append(BusCommand(board.address, Blink(self.blink_count)))
            return tuple(commands)
        if name == "counter.changed":
            counter = str(data.get("code"))
            if counter not in self.device_map.counters:
                return ()
            self._status[counter] = str(data.get("status"))
            if data.get("ticket"):
                self._numbers[counter] = str(data["ticket"]["number"])
            return self._update_boards(counter)
        if name == "ticket.done":
            return self._open_rating(data, now)
        if name == "rating.received":
            counter = str(data.get("counter"))
            if self._finished.get(counter) != data.get("ticket_id"):
                return ()
            self._finished.pop(counter, None)
            self._rating_until.pop(counter, None)
            return tuple(BusCommand(pad.address, DisableRating())
                         for pad in self.device_map.of_counter(counter, DeviceKind.RATING_PAD))
        if name == "day.reset":
            self._numbers.clear()
            self._finished.clear()
            self._rating_until.clear()
            self._business_date = None
        return ()

    def _map_pad_keys(self) -> None:
        """Read every pad's map ``keys`` against the site's scale (a new one each snapshot)."""
        for pad in self.device_map.devices:
            if pad.kind is not DeviceKind.RATING_PAD:
                continue
            try:
                self._pad_steps[pad.address] = pad_key_steps(
                    pad.keys, self._scale, self.device_map.entry_name(pad))
            except MapFileError as error:
                self._pad_steps.pop(pad.address, None)
                if self._pad_problems.get(pad.address) != str(error):
                    logger.error("rating pad 0x%02X of counter %s is not used: %s",
                                 pad.address, pad.counter, error)
                self._pad_problems[pad.address] = str(error)
                continue
            self._pad_problems.pop(pad.address, None)
            logger.info("rating pad 0x%02X of counter %s: %s", pad.address, pad.counter,
                        self.describe_pad_keys(pad.address))

    def pad_steps(self, address: int) -> tuple[ScaleStep, ...]:
        """The scale step of each key of the pad at ``address``, key 1 first; empty until the
        snapshot, or when its map ``keys`` do not fit the site's scale."""
        return self._pad_steps.get(address, ())

    def describe_pad_keys(self, address: int) -> str:
        """``key 1 = 1 "Không hài lòng", ...`` for the pad at ``address`` (for the log)."""
        return ", ".join(f"key {key} = {step.describe()}"
                         for key, step in enumerate(self.pad_steps(address), start=1))

    def _open_rating(self, data: dict[str, Any], now: float) -> tuple[BusCommand, ...]:
        counter = data.get("counter")
        pads = tuple(pad for pad in self.device_map.of_counter(counter, DeviceKind.RATING_PAD)
                     if pad.address in self._pad_steps) if isinstance(counter, str) else ()
        if not pads or data.get("status") != "done":
            return ()
        assert isinstance(counter, str)
        self._finished[counter] = str(data["id"])
        self._rating_until[counter] = now + self._window_seconds
        window = min(self._window_seconds, MAX_RATING_WINDOW_SECONDS)
        return tuple(BusCommand(pad.address, EnableRating(window)) for pad in pads)

    def _board_state(self, counter: str) -> BoardState:
        status = self._status.get(counter, "closed")
        if status == "paused":
            return BoardState(BoardMode.PAUSED)
        number = self._numbers.get(counter)
        if status == "open" and number is not None:
            return BoardState(BoardMode.NUMBER, board_text(number))
        return BoardState(BoardMode.BLANK)

    def _update_boards(self, counter: str) -> tuple[BusCommand, ...]:
        state = self._board_state(counter)
        commands = []
        for board in self.device_map.of_counter(counter, DeviceKind.LED_BOARD):
            if self._boards.get(board.address) != state:
                self._boards[board.address] = state
                commands.append(BusCommand(board.address, self._board_message(board, state)))
        return tuple(commands)

    @staticmethod
    def _board_message(board: DeviceAssignment, state: BoardState) -> MasterMessage:
        if state.mode is BoardMode.NUMBER:
            return ShowNumber(state.text, board.label)
        if state.mode is BoardMode.PAUSED:
            return ShowPaused()
        return Clear()

    def _restore(self, device: DeviceAssignment, now: float) -> tuple[BusCommand, ...]:
        """Commands that bring ``device`` up to date (after a power-up or an absence)."""
        if device.kind is DeviceKind.LED_BOARD:
            state = self._board_state(device.counter)
            self._boards[device.address] = state
            return (BusCommand(device.address, self._board_message(device, state)),)
        if device.kind is DeviceKind.RATING_PAD:
            steps = self.pad_steps(device.address)
            if not steps:
                # Keys that do not fit the scale: make sure the pad is dark. (No scale yet:
                # the snapshot brings it up to date.)
                return ((BusCommand(device.address, DisableRating()),)
                        if device.address in self._pad_problems else ())
            commands = [BusCommand(device.address, SetScale(len(steps)))]
            remaining = self._rating_until.get(device.counter, 0.0) - now
            if device.counter in self._finished and remaining >= 1:
                commands.append(BusCommand(device.address, EnableRating(int(remaining))))
            return tuple(commands)
        return ()

    # --- the bus --------------------------------------------------------------------------

    def on_bus_input(self, bus_input: BusInput, now: float) -> Reaction:
        """A poll's outcome: what to ask the server and what to send on the bus."""
        device = self.device_map.device(bus_input.address)
        if device is None:
            return Reaction()
        if isinstance(bus_input, HealthChanged):
            return self._health_changed(device, bus_input.change, now)
        message = bus_input.message
        if isinstance(message, PowerUp):
            logger.info("device 0x%02X (%s of counter %s) powered up", device.address,
                        device.kind.value, device.counter)
            return Reaction(commands=self._restore(device, now))
        if isinstance(message, KeyEvent) and device.kind is DeviceKind.KEYPAD:
            return Reaction(requests=self._key_requests(device.counter, message))
        if isinstance(message, RatingEvent) and device.kind is DeviceKind.RATING_PAD:
            request = self._rating_request(device, message, now)
            return Reaction(requests=(request,) if request is not None else ())
        return Reaction()

    def _health_changed(self, device: DeviceAssignment, change: HealthChange,
                        now: float) -> Reaction:
        self._health[device.address] = change.current
        if change.current is DeviceState.OFFLINE:
            logger.warning("device 0x%02X (%s of counter %s) stopped answering",
                           device.address, device.kind.value, device.counter)
            return Reaction(requests=(self.status_report(device),))
        if change.current is DeviceState.ONLINE:
            if change.previous is not DeviceState.OFFLINE:
                # First answer since the bridge started: its POWER_UP (or the snapshot)
                # brings it up to date.
                return Reaction(requests=(self.status_report(device),))
            logger.info("device 0x%02X (%s of counter %s) answers again", device.address,
                        device.kind.value, device.counter)
            return Reaction(requests=(self.status_report(device),),
                            commands=self._restore(device, now))
        return Reaction()

    def status_report(self, device: DeviceAssignment) -> ServerRequest:
        """The ``device_status`` request saying how ``device`` is now."""
        offline = self._health.get(device.address) is DeviceState.OFFLINE
        problem = self._pad_problems.get(device.address)
        if offline:
            status, message = "offline", OFFLINE_MESSAGE
        elif problem is not None:
            status, message = "error", problem[:STATUS_MESSAGE_LIMIT]
        else:
            status, message = "ok", None
        return ServerRequest("device_status", {
            "device": device.device_id(self.device_map.bus_name), "kind": device.kind.value,
            "status": status, "message": message, "counter": device.counter})

    def status_reports(self) -> tuple[ServerRequest, ...]:
        """Reports of every device whose health is known (sent again after a reconnection:
        the server keeps device status in memory only)."""
        return tuple(self.status_report(device) for device in self.device_map.devices
                     if self._health.get(device.address) in (DeviceState.ONLINE,
                                                             DeviceState.OFFLINE))

    def _key_requests(self, counter: str, event: KeyEvent) -> tuple[ServerRequest, ...]:
        request = self._key_request(counter, event)
        if request is None:
            return ()
        if self._status.get(counter, "closed") == "closed" and event.key is not Key.RESUME:
            # The keypad works on its own: open the counter without an officer first.
            return (ServerRequest("login", {"counter": counter}), request)
        return (request,)

    def _key_request(self, counter: str, event: KeyEvent) -> ServerRequest | None:
        if event.key is Key.NUMBER:
            return ServerRequest("call", {"number": event.text, "as_counter": counter})
        if event.key is Key.TRANSFER:
            target = self.transfer_target(event.text)
            if target is None:
                logger.warning("keypad of counter %s: no counter or service %r to transfer to",
                               counter, event.text)
                return None
            return ServerRequest("transfer", {target[0]: target[1], "as_counter": counter})
        return ServerRequest(_KEY_REQUESTS[event.key], {"as_counter": counter})

    def transfer_target(self, text: str) -> tuple[str, str] | None:
        """``("counter", code)`` or ``("service", code)`` for what was typed on a keypad
        (0-9 and A-Z only): a counter code, the same without punctuation, a counter number
        (``3`` for ``Q03``), then a service code without punctuation (``DDNOP``)."""
        if not text:
            return None
        typed = _normalised(text)
        for code in self._counter_codes:
            if code.upper() == text.upper() or _normalised(code) == typed:
                return ("counter", code)
        if typed.isdigit():
            numbered = [code for code in self._counter_codes
                        if re.sub(r"\D", "", code) and int(re.sub(r"\D", "", code)) == int(typed)]
            if len(numbered) == 1:
                return ("counter", numbered[0])
        services = [code for code in self._service_codes if _normalised(code) == typed]
        if len(services) == 1:
            return ("service", services[0])
        return None

    def _rating_request(self, pad: DeviceAssignment, event: RatingEvent,
                        now: float) -> ServerRequest | None:
        counter, key = pad.counter, event.score  # the pad sends the number of the key pressed
        steps = self.pad_steps(pad.address)
        if not 1 <= key <= len(steps):
            why = ("the pad is not used: its map keys do not fit the site's rating scale"
                   if pad.address in self._pad_problems
                   else self.describe_pad_keys(pad.address) or "no rating scale yet")
            logger.warning("pad 0x%02X of counter %s: key %d ignored (%s)", pad.address,
                           counter, key, why)
            return None
        step = steps[key - 1]
        ticket_id = self._finished.get(counter)
        if ticket_id is None or now > self._rating_until.get(counter, 0.0):
            logger.info("pad 0x%02X of counter %s: key %d = %s, with nothing to rate",
                        pad.address, counter, key, step.describe())
            return None
        logger.info("pad 0x%02X of counter %s: key %d = %s for ticket %s", pad.address,
                    counter, key, step.describe(), ticket_id)
        del self._finished[counter]
        self._rating_until.pop(counter, None)
        return ServerRequest("rate", {"ticket_id": ticket_id, "score": step.score,
                                      "as_counter": counter})
