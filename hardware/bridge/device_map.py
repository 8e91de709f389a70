"""The device map: which bus address is which device of which counter (a TOML file).

```toml
bus = "tang-1"          # optional name of this bus; devices are reported as "tang-1/0x21"

[[devices]]
address = 0x11          # or 17
kind = "keypad"         # keypad | led_board | rating_pad
counter = "Q01"

[[devices]]
address = 0x21
kind = "led_board"
counter = "Q01"
label = "1"             # optional: what the board shows beside the number (<= 8 ASCII)
```
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from hardware.bridge.errors import MapFileError
from hardware.serial_bus.protocol import MAX_LABEL_LENGTH, is_device_address

DEFAULT_BUS_NAME = "bus"


class DeviceKind(StrEnum):
    """What a bus device is; the values are the server's ``device_status`` kinds too."""

    KEYPAD = "keypad"
    LED_BOARD = "led_board"
    RATING_PAD = "rating_pad"


@dataclass(frozen=True, slots=True)
class DeviceAssignment:
    """One device: its bus address, kind and counter, and the LED board's counter label."""

    address: int
    kind: DeviceKind
    counter: str
    label: str

    def device_id(self, bus_name: str) -> str:
        """The name the server knows the device by, e.g. ``bus/0x21``."""
        return f"{bus_name}/0x{self.address:02X}"


@dataclass(frozen=True, slots=True)
class DeviceMap:
    """Every device on one bus, in the order of the file (the polling order)."""

    devices: tuple[DeviceAssignment, ...]
    bus_name: str = DEFAULT_BUS_NAME

    def device(self, address: int) -> DeviceAssignment | None:
        return next((item for item in self.devices if item.address == address), None)

    def of_counter(self, counter: str, kind: DeviceKind) -> tuple[DeviceAssignment, ...]:
        return tuple(item for item in self.devices
                     if item.counter == counter and item.kind is kind)

    @property
    def counters(self) -> tuple[str, ...]:
        """Counters with at least one device, in file order."""
        return tuple(dict.fromkeys(item.counter for item in self.devices))

    @property
    def addresses(self) -> tuple[int, ...]:
        return tuple(item.address for item in self.devices)


def default_label(counter: str) -> str:
    """The board label for a counter code: its printable ASCII, at most 8 characters."""
    ascii_only = "".join(character for character in counter if 0x20 <= ord(character) < 0x7F)
    return ascii_only[:MAX_LABEL_LENGTH]


def parse_device_map(data: Mapping[str, Any], source: str = "map") -> DeviceMap:
    """Check and convert a parsed map file; raises :class:`MapFileError` naming the entry."""
    bus_name = data.get("bus", DEFAULT_BUS_NAME)
    if not isinstance(bus_name, str) or not bus_name or len(bus_name) > 40:
        raise MapFileError(f"{source}: bus: a name of 1 to 40 characters")
    unknown = set(data) - {"bus", "devices"}
    if unknown:
        raise MapFileError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}")
    entries = data.get("devices")
    if not isinstance(entries, list) or not entries:
        raise MapFileError(f"{source}: devices: at least one [[devices]] entry is needed")
    devices: list[DeviceAssignment] = []
    seen: set[int] = set()
    for index, entry in enumerate(entries):
        where = f"{source}: devices[{index}]"
        if not isinstance(entry, dict):
            raise MapFileError(f"{where}: must be a table")
        extra = set(entry) - {"address", "kind", "counter", "label"}
        if extra:
            raise MapFileError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
        address = entry.get("address")
        if not isinstance(address, int) or isinstance(address, bool) \
                or not is_device_address(address):
            raise MapFileError(f"{where}.address: a device address 0x01..0xF7, got {address!r}")
        if address in seen:
            raise MapFileError(f"{where}.address: 0x{address:02X} is used twice")
        seen.add(address)
        try:
            kind = DeviceKind(str(entry.get("kind")))
        except ValueError as error:
            raise MapFileError(f"{where}.kind: one of keypad, led_board, rating_pad, got "
                               f"{entry.get('kind')!r}") from error
        counter = entry.get("counter")
        if not isinstance(counter, str) or not 1 <= len(counter) <= 32:
            raise MapFileError(f"{where}.counter: a counter code, got {counter!r}")
        label = entry.get("label", default_label(counter))
        if not isinstance(label, str) or len(label) > MAX_LABEL_LENGTH or any(
                not 0x20 <= ord(character) < 0x7F for character in label):
            raise MapFileError(f"{where}.label: at most {MAX_LABEL_LENGTH} printable ASCII "
                               f"characters, got {label!r}")
        devices.append(DeviceAssignment(address, kind, counter, label))
    return DeviceMap(tuple(devices), bus_name)


def load_device_map(path: Path) -> DeviceMap:
    """Read and check the TOML map file at ``path``; raises :class:`MapFileError`."""
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except OSError as error:
        raise MapFileError(f"{path}: cannot read: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise MapFileError(f"{path}: not valid TOML: {error}") from error
    return parse_device_map(data, str(path))
