"""The apps' side of enrolment: where settings are stored on each platform, the file's
privacy and atomic writing, reading it back, the addresses --enrol and --server accept, and
the kiosk's options overriding what is stored."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from hardware.printer import PaperWidth
from kiosk.errors import SettingsError
from kiosk.models.texts import Language
from kiosk.settings import parse_arguments
from server.protocol.enrolment_client import (
    DeviceSettings,
    EnrolmentError,
    StoredSettingsError,
    config_directory,
    enrolment_address,
    load,
    save,
    settings_path,
)

SETTINGS = DeviceSettings("ws://10.0.0.5:8765/ws", "hcc-tinh", "kiosk", "secret-token-0001",
                          'Ki-ốt "sảnh" 1', {"zone": "T1", "paper_width": 58,
                                             "printer": "tcp://10.0.0.9:9100",
                                             "language": "en"})


def test_the_platforms_folders() -> None:
    assert config_directory({"XDG_CONFIG_HOME": "/x/conf"}, "linux") == Path("/x/conf/qms")
    assert config_directory({"HOME": "/home/an"}, "linux") == Path("/home/an/.config/qms")
    # A relative XDG_CONFIG_HOME is ignored, as the XDG rules say.
    assert config_directory({"XDG_CONFIG_HOME": "conf", "HOME": "/home/an"}, "linux") == \
        Path("/home/an/.config/qms")
    assert config_directory({"APPDATA": r"C:\Users\an\AppData\Roaming"}, "win32") == \
        Path(r"C:\Users\an\AppData\Roaming") / "qms"
    assert settings_path("display", {"XDG_CONFIG_HOME": "/c"}, "linux") == \
        Path("/c/qms/display.toml")


def test_saved_privately_atomically_and_read_back(tmp_path: Path) -> None:
    environment = {"XDG_CONFIG_HOME": str(tmp_path)}
    path = settings_path("kiosk", environment)
    path.parent.mkdir(mode=0o755)
    path.write_text("old", "utf-8")
    path.chmod(0o644)
    save(SETTINGS, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [item.name for item in path.parent.iterdir()] == ["kiosk.toml"]  # no temporary
    assert load("kiosk", environment) == SETTINGS
    assert load("display", environment) is None
    assert "secret-token-0001" not in SETTINGS.described()
    assert "tcp://10.0.0.9:9100" in SETTINGS.described()


def test_a_broken_or_foreign_file_is_named(tmp_path: Path) -> None:
    environment = {"XDG_CONFIG_HOME": str(tmp_path)}
    path = settings_path("kiosk", environment)
    path.parent.mkdir()
    path.write_text("server = ", "utf-8")
    with pytest.raises(StoredSettingsError, match=r"kiosk\.toml"):
        load("kiosk", environment)
    path.write_text('server = "ws://x/ws"\nsite = "s"\nrole = "kiosk"\nname = "n"\n', "utf-8")
    with pytest.raises(StoredSettingsError, match="'token' is missing"):
        load("kiosk", environment)
    save(SETTINGS, settings_path("display", environment))
    with pytest.raises(StoredSettingsError, match="a kiosk's settings, not a display's"):
        load("display", environment)


def test_the_addresses_enrol_accepts() -> None:
    assert enrolment_address("http://10.0.0.5:8765", "ABCD-2345") == (
        "http://10.0.0.5:8765/enrol", "ABCD-2345")
    assert enrolment_address("ws://10.0.0.5:8765/ws", "abcd2345")[0] == \
        "http://10.0.0.5:8765/enrol"
    assert enrolment_address("wss://qms.example/ws", "x")[0] == "https://qms.example/enrol"
    assert enrolment_address("10.0.0.5:8765", "x")[0] == "http://10.0.0.5:8765/enrol"
    # The QR code's address names the server itself.
    assert enrolment_address(None, "http://10.0.0.5:8765/enrol?code=ABCD-2345") == (
        "http://10.0.0.5:8765/enrol", "ABCD-2345")
    with pytest.raises(EnrolmentError, match="--server is required"):
        enrolment_address(None, "ABCD-2345")
    with pytest.raises(EnrolmentError, match="not a server address"):
        enrolment_address("ftp://x", "ABCD-2345")


def test_the_kiosk_starts_from_what_is_stored_and_options_win(tmp_path: Path) -> None:
    environment = {"XDG_CONFIG_HOME": str(tmp_path)}
    with pytest.raises(SettingsError, match="--enrol CODE"):
        parse_arguments([], environment, tmp_path)
    save(SETTINGS, settings_path("kiosk", environment))
    settings, _ = parse_arguments([], environment, tmp_path)
    assert (settings.server_url, settings.token, settings.site) == (
        "ws://10.0.0.5:8765/ws", "secret-token-0001", "hcc-tinh")
    assert settings.kiosk_name == 'Ki-ốt "sảnh" 1'
    assert (settings.paper, settings.printer_url, settings.language, settings.zone) == (
        PaperWidth.MM58, "tcp://10.0.0.9:9100", Language.ENGLISH, "T1")
    assert settings.overridden == frozenset()
    settings, _ = parse_arguments(["--paper", "80", "--zone", "T2", "--lang", "vi"],
                                  environment, tmp_path)
    assert (settings.paper, settings.zone, settings.language) == (
        PaperWidth.MM80, "T2", Language.VIETNAMESE)
    assert settings.overridden == {"paper_width", "zone", "language"}
    # A token of its own: the stored server and site are not mixed in.
    settings, _ = parse_arguments(["--token", "other"], environment, tmp_path)
    assert (settings.token, settings.site) == ("other", None)
