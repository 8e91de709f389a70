"""The clients' trust: ``--ca-file`` read the same way by every app (checked at start-up with
its reason), the enrolled CA file kept with the stored settings and used when the app starts
from them, an option overriding it, and a CA file that cannot be used refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.certificates import make_ca

from counter.errors import SettingsError as CounterSettingsError
from counter.settings import parse_settings as counter_settings
from display.errors import DisplaySettingsError
from display.settings import parse_arguments as display_arguments
from hardware.bridge.errors import BridgeSettingsError
from hardware.bridge.settings import parse_settings as bridge_settings
from kiosk.errors import SettingsError as KioskSettingsError
from kiosk.settings import parse_arguments as kiosk_arguments
from server.protocol.enrolment_client import DeviceSettings, load, save, settings_path
from server.protocol.tls import CaFileError, check_ca_file, client_context

TOKEN = "a-device-token-0001"
DEMO_MAP = Path(__file__).resolve().parents[3] / "hardware" / "bridge" / "demo_map.toml"


def test_a_ca_file_that_cannot_be_used_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(CaFileError, match=f"^CA file {missing}: no such file$"):
        client_context(missing)
    with pytest.raises(CaFileError, match="cannot be read"):
        client_context(tmp_path)
    binary = tmp_path / "ca.der"
    binary.write_bytes(b"\x30\x82\xff\xfe")
    with pytest.raises(CaFileError, match="not a PEM text file"):
        client_context(binary)
    key_only = tmp_path / "key.pem"
    key_only.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(CaFileError, match="holds no certificate"):
        client_context(key_only)
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
                      "-----END CERTIFICATE-----\n")
    with pytest.raises(CaFileError, match="not a valid PEM certificate"):
        client_context(broken)


def test_a_ca_file_replaces_the_system_store(tmp_path: Path) -> None:
    authority = make_ca(tmp_path)
    system = client_context(None).cert_store_stats()["x509_ca"]
    own = client_context(authority.certificate_path).cert_store_stats()["x509_ca"]
    assert own == 1 and system != 1
    assert check_ca_file(str(authority.certificate_path)) == str(
        authority.certificate_path.resolve())


def test_every_app_checks_its_ca_file_option(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.pem")
    server = ["--server", "wss://qms.tinh.example/ws", "--token", TOKEN]
    with pytest.raises(KioskSettingsError, match=r"^--ca-file: CA file .*: no such file"):
        kiosk_arguments([*server, "--ca-file", missing], {}, tmp_path)
    with pytest.raises(CounterSettingsError, match=r"^--ca-file: CA file .*: no such file"):
        counter_settings([*server, "--ca-file", missing], {})
    with pytest.raises(DisplaySettingsError, match=r"^--ca-file: CA file .*: no such file"):
        display_arguments([*server, "--ca-file", missing], {})
    device_map = DEMO_MAP
    with pytest.raises(BridgeSettingsError, match=r"^--ca-file: CA file .*: no such file"):
        bridge_settings([*server, "--port", "loop://", "--map", str(device_map),
                         "--ca-file", missing], {})

    authority = make_ca(tmp_path)
    given = str(authority.certificate_path)
    kiosk, _ = kiosk_arguments([*server, "--ca-file", given], {}, tmp_path)
    counter = counter_settings([*server, "--ca-file", given], {})
    display, _ = display_arguments([*server, "--ca-file", given], {})
    bridge = bridge_settings([*server, "--port", "loop://", "--map", str(device_map),
                              "--ca-file", given], {})
    assert kiosk.ca_file == counter.connection.ca_file == display.connection.ca_file == \
        bridge.ca_file == given
    # Without the option: the system's trust store.
    assert kiosk_arguments(server, {}, tmp_path)[0].ca_file is None


def test_the_enrolled_ca_file_is_stored_and_used(tmp_path: Path) -> None:
    authority = make_ca(tmp_path)
    environment = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    stored = DeviceSettings("wss://qms.tinh.example/ws", "hcc-tinh", "kiosk", TOKEN, "Ki-ốt 1",
                            {}, str(authority.certificate_path))
    save(stored, settings_path("kiosk", environment))
    assert load("kiosk", environment) == stored
    assert f"ca_file: {authority.certificate_path}" in stored.described()
    settings, _ = kiosk_arguments([], environment, tmp_path)
    assert (settings.server_url, settings.ca_file) == (stored.server,
                                                      str(authority.certificate_path))
    other = make_ca(tmp_path, "Other CA")
    settings, _ = kiosk_arguments(["--ca-file", str(other.certificate_path)], environment,
                                  tmp_path)
    assert settings.ca_file == str(other.certificate_path)
    # A stored CA file since removed: the start stops, naming where it came from.
    authority.certificate_path.unlink()
    with pytest.raises(KioskSettingsError, match=r"^stored settings' ca_file: CA file"):
        kiosk_arguments([], environment, tmp_path)
    # A token on the command line is another device's start: the stored CA is not used.
    assert kiosk_arguments(["--token", TOKEN], environment, tmp_path)[0].ca_file is None
