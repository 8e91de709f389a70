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

[[devices]]
address = 0x31
kind = "rating_pad"
counter = "Q01"
keys = ["Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"]   # keys 1, 2, 3, 4
```

A rating pad's ``keys`` say what its keys 1..n mean, each by a label of the site's rating scale
(Vietnamese or English) or by a score. They are checked against the scale the server sends
(:func:`pad_key_steps`), since the map is read before the server is reached. Without ``keys``,
key *k* is the *k*-th lowest score: with the usual scores 1..n, key *k* gives score *k*, the
same number the counter's rating screen and the ticket's QR page store for that label.
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from hardware.bridge.errors import MapFileError
from hardware.serial_bus.protocol import (
    MAX_LABEL_LENGTH,
    MAX_SCALE_KEYS,
    MIN_SCALE_KEYS,
    is_device_address,
)

DEFAULT_BUS_NAME = "bus"

PadKey = int | str
"""What one rating-pad key means in the map: a score, or a label of the site's scale."""


class DeviceKind(StrEnum):
    """What a bus device is; the values are the server's ``device_status`` kinds too."""

    KEYPAD = "keypad"
    LED_BOARD = "led_board"
    RATING_PAD = "rating_pad"


@dataclass(frozen=True, slots=True)
class DeviceAssignment:
    """One device: its bus address, kind and counter, the LED board's counter label, and a
    rating pad's ``keys`` (key 1 first; ``None``: key *k* is the *k*-th lowest score)."""

    address: int
    kind: DeviceKind
    counter: str
    label: str
    keys: tuple[PadKey, ...] | None = None

    def device_id(self, bus_name: str) -> str:
        """The name the server knows the device by, e.g. ``bus/0x21``."""
        return f"{bus_name}/0x{self.address:02X}"


@dataclass(frozen=True, slots=True)
class DeviceMap:
    """Every device on one bus, in the order of the file (the polling order)."""

    devices: tuple[DeviceAssignment, ...]
    bus_name: str = DEFAULT_BUS_NAME
    source: str = "map"
    """The map file, for messages that name an entry."""

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

    def entry_name(self, device: DeviceAssignment) -> str:
        """Where ``device`` is written, as map errors name it: ``map.toml: devices[2]``."""
        return f"{self.source}: devices[{self.devices.index(device)}]"


@dataclass(frozen=True, slots=True)
class ScaleStep:
    """One step of the site's rating scale as the server sends it (``state.rating_scale``);
    a higher score is a better rating."""

    score: int
    label: str
    label_en: str = ""

    def describe(self) -> str:
        """``4 "Rất hài lòng"``: how logs and messages show the step."""
        return f'{self.score} "{self.label}"'


def scale_steps(items: Iterable[Mapping[str, Any]]) -> tuple[ScaleStep, ...]:
    """The scale of a snapshot's ``rating_scale`` (each ``score``, ``label``, ``label_en``)."""
    return tuple(ScaleStep(int(item["score"]), str(item.get("label") or item["score"]),
                           str(item.get("label_en") or "")) for item in items)


def _comparable(text: str) -> str:
    # Labels typed in a map file may differ from the config's in case, spacing or Unicode
    # composition (Vietnamese letters have precomposed and combining forms).
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def pad_key_steps(keys: tuple[PadKey, ...] | None, scale: tuple[ScaleStep, ...],
                  where: str) -> tuple[ScaleStep, ...]:
    """The step of ``scale`` each pad key 1..n gives, key 1 first.

    ``keys`` name every step of the scale exactly once, by score or by label (Vietnamese or
    English; case, spacing and Unicode composition do not matter). ``None`` gives key *k* the
    *k*-th lowest score. Raises :class:`MapFileError` naming ``where`` (the map entry) and
    what is wrong: a key naming no step, two keys naming one step, a step no key names, or a
    scale a pad cannot have (fewer than 2 or more than 10 steps).
    """
    shown = ", ".join(step.describe() for step in scale) or "none"
    if not MIN_SCALE_KEYS <= len(scale) <= MAX_SCALE_KEYS:
        raise MapFileError(f"{where}: the site's rating scale has {len(scale)} labels ({shown});"
                           f" a rating pad has {MIN_SCALE_KEYS} to {MAX_SCALE_KEYS} keys")
    if keys is None:
        return tuple(sorted(scale, key=lambda step: step.score))
    steps: list[ScaleStep] = []
    for index, key in enumerate(keys):
        step = _step_named(key, scale)
        if step is None:
            raise MapFileError(f"{where}.keys[{index}]: {key!r} is not a score or label of the "
                               f"site's rating scale ({shown})")
        if step in steps:
            raise MapFileError(f"{where}.keys[{index}]: {key!r} names {step.describe()}, which "
                               f"key {steps.index(step) + 1} already gives")
        steps.append(step)
    missing = [step.describe() for step in scale if step not in steps]
    if missing:
        raise MapFileError(f"{where}.keys: no key gives {', '.join(missing)} of the site's "
                           f"rating scale ({shown}); name every label once")
    return tuple(steps)


def _identity(key: PadKey) -> PadKey:
    return _comparable(key) if isinstance(key, str) else key


def _step_named(key: PadKey, scale: tuple[ScaleStep, ...]) -> ScaleStep | None:
    if isinstance(key, int):
        return next((step for step in scale if step.score == key), None)
    wanted = _comparable(key)
    return next((step for step in scale
                 if wanted in (_comparable(step.label), _comparable(step.label_en))), None)


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
        extra = set(entry) - {"address", "kind", "counter", "label", "keys"}
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
        keys = _parse_keys(entry["keys"], kind, where) if "keys" in entry else None
        devices.append(DeviceAssignment(address, kind, counter, label, keys))
    return DeviceMap(tuple(devices), bus_name, source)


def _parse_keys(value: Any, kind: DeviceKind, where: str) -> tuple[PadKey, ...]:
    """A rating pad's ``keys`` as written; their meaning is checked once the server has sent
    its scale (:func:`pad_key_steps`)."""
    if kind is not DeviceKind.RATING_PAD:
        raise MapFileError(f"{where}.keys: only a rating_pad has keys to map")
    if not isinstance(value, list) or not MIN_SCALE_KEYS <= len(value) <= MAX_SCALE_KEYS:
        raise MapFileError(f"{where}.keys: a list of {MIN_SCALE_KEYS} to {MAX_SCALE_KEYS} labels "
                           f"(or scores), key 1 first, got {value!r}")
    keys: list[PadKey] = []
    for index, key in enumerate(value):
        valid_score = isinstance(key, int) and not isinstance(key, bool) and key >= 1
        valid_label = isinstance(key, str) and bool(key.strip())
        if not (valid_score or valid_label):
            raise MapFileError(f"{where}.keys[{index}]: a label of the site's rating scale or "
                               f"a score (1 or more), got {key!r}")
        if _identity(key) in {_identity(item) for item in keys}:
            raise MapFileError(f"{where}.keys[{index}]: {key!r} is named twice")
        keys.append(key)
    return tuple(keys)


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
