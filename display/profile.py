"""The display's profile from the server: its zone and voice pack, changed centrally.

Qt-free. The hello and snapshot replies to a display's token carry ``device.profile``
(``zone``, ``voice``: docs/protocol.md); :class:`DisplayProfile` says what the display
should use given it: the profile's value, unless that key was given on the command line
(``overridden``), and the display's own setting when the profile has none.

A ``voice`` names a pack: an absolute path is that folder, a name is one of the packs shipped
beside the default one (``display/voice/packs/NAME``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from display.voice.pack import DEFAULT_PACK_DIRECTORY


def pack_directory(name: str) -> Path:
    """The folder of the voice pack ``name``."""
    path = Path(name)
    return path if path.is_absolute() else DEFAULT_PACK_DIRECTORY.parent / name


@dataclass(frozen=True, slots=True)
class DisplayProfile:
    """The display's own zone and voice pack folder, and the keys options fixed."""

    zone: str | None
    pack: Path | None
    overridden: frozenset[str] = field(default_factory=frozenset)

    def zone_for(self, device: Mapping[str, Any]) -> str | None:
        value = _profile(device).get("zone")
        if "zone" in self.overridden or not isinstance(value, str) or not value:
            return self.zone
        return value

    def pack_for(self, device: Mapping[str, Any]) -> Path | None:
        value = _profile(device).get("voice")
        if "voice" in self.overridden or not isinstance(value, str) or not value:
            return self.pack
        return pack_directory(value)


def _profile(device: Mapping[str, Any]) -> Mapping[str, Any]:
    profile = device.get("profile")
    return profile if isinstance(profile, Mapping) else {}
