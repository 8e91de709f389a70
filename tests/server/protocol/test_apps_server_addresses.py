"""Every app takes the addresses of several server processes: ``--server`` repeated or the
addresses separated by commas, each checked, handed to its protocol client as one list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from counter.errors import SettingsError as CounterSettingsError
from counter.settings import parse_settings as counter_settings
from display.errors import DisplaySettingsError
from display.settings import parse_arguments as display_arguments
from hardware.bridge.errors import BridgeSettingsError
from hardware.bridge.settings import parse_settings as bridge_settings
from kiosk.errors import SettingsError as KioskSettingsError
from kiosk.settings import parse_arguments as kiosk_arguments
from server.protocol.client import ProtocolClient

FIRST, SECOND = "ws://10.0.0.5:8765/ws", "ws://10.0.0.6:8765/ws"
MAP = "hardware/bridge/demo_map.toml"
BAD = "ftp://10.0.0.7"


def urls_of(addresses: str) -> tuple[str, ...]:
    return ProtocolClient(addresses, "kiosk", "token", None).urls


@pytest.mark.parametrize("options", [
    ["--server", FIRST, "--server", SECOND],
    ["--server", f"{FIRST},{SECOND}"],
])
def test_every_app_takes_several_addresses(options: list[str], tmp_path: Path) -> None:
    kiosk, _level = kiosk_arguments([*options, "--token", "t"], {}, tmp_path)
    counter = counter_settings([*options, "--token", "t"], {"HOME": str(tmp_path)})
    display, _level = display_arguments([*options, "--token", "t"], {"HOME": str(tmp_path)})
    bridge = bridge_settings([*options, "--token", "t", "--port", "x", "--map", MAP],
                             {"HOME": str(tmp_path)})
    for addresses in (kiosk.server_url, counter.connection.server_url,
                      display.connection.url, bridge.server_url):
        assert urls_of(addresses) == (FIRST, SECOND)


def test_one_address_is_as_before(tmp_path: Path) -> None:
    kiosk, _level = kiosk_arguments(["--server", FIRST, "--token", "t"], {}, tmp_path)
    assert kiosk.server_url == FIRST
    counter = counter_settings(["--server", "10.0.0.5:8765", "--token", "t"],
                               {"HOME": str(tmp_path)})
    assert counter.connection.server_url == FIRST


def test_a_bad_address_in_a_list_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(KioskSettingsError, match=re.escape(BAD)):
        kiosk_arguments(["--server", f"{FIRST},{BAD}", "--token", "t"], {}, tmp_path)
    with pytest.raises(CounterSettingsError, match=re.escape(BAD)):
        counter_settings(["--server", FIRST, "--server", BAD, "--token", "t"],
                         {"HOME": str(tmp_path)})
    with pytest.raises(DisplaySettingsError, match=re.escape(BAD)):
        display_arguments(["--server", f"{FIRST},{BAD}", "--token", "t"],
                          {"HOME": str(tmp_path)})
    with pytest.raises(BridgeSettingsError, match=re.escape(BAD)):
        bridge_settings(["--server", f"{FIRST},{BAD}", "--token", "t", "--port", "x",
                         "--map", MAP], {"HOME": str(tmp_path)})
