"""An enrolled bridge starts from its stored settings: server, token and site come from
them, the serial port and device map from the command line, and options still win."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.bridge.errors import BridgeSettingsError
from hardware.bridge.settings import parse_settings
from server.protocol.enrolment_client import DeviceSettings, save, settings_path

DEMO_MAP = Path(__file__).resolve().parents[3] / "hardware" / "bridge" / "demo_map.toml"
LOCAL = ["--port", "socket://127.0.0.1:7000", "--map", str(DEMO_MAP)]


def test_an_enrolled_bridge_needs_only_its_port_and_map(tmp_path: Path) -> None:
    environment = {"XDG_CONFIG_HOME": str(tmp_path)}
    with pytest.raises(BridgeSettingsError, match="--token is required"):
        parse_settings(LOCAL, environment)
    save(DeviceSettings("ws://10.0.0.5:8765/ws", "hcc-tinh", "bridge", "bridge-token-0001",
                        "Cầu nối tầng 1"), settings_path("bridge", environment))
    settings = parse_settings(LOCAL, environment)
    assert (settings.server_url, settings.token, settings.site) == (
        "ws://10.0.0.5:8765/ws", "bridge-token-0001", "hcc-tinh")
    settings = parse_settings([*LOCAL, "--server", "10.0.0.6:8765"], environment)
    assert settings.server_url == "ws://10.0.0.6:8765/ws"
    settings = parse_settings([*LOCAL, "--token", "another-token-01"], environment)
    assert (settings.token, settings.site) == ("another-token-01", None)
