"""The bridge's pure logic, its map file and its command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hardware.bridge.core import (
    BridgeCore,
    BusCommand,
    DeviceReplied,
    HealthChanged,
    ServerRequest,
)
from hardware.bridge.device_map import (
    DeviceAssignment,
    DeviceKind,
    DeviceMap,
    load_device_map,
    parse_device_map,
)
from hardware.bridge.errors import BridgeSettingsError, MapFileError
from hardware.bridge.settings import parse_settings
from hardware.serial_bus import (
    Blink,
    Clear,
    DeviceState,
    DeviceType,
    DisableRating,
    EnableRating,
    HealthChange,
    Key,
    KeyEvent,
    PowerUp,
    RatingEvent,
    SetScale,
    ShowNumber,
    ShowPaused,
)

KEYPAD, LED, PAD = 0x11, 0x21, 0x31
DEVICE_MAP = DeviceMap((
    DeviceAssignment(KEYPAD, DeviceKind.KEYPAD, "Q01", "Q01"),
    DeviceAssignment(LED, DeviceKind.LED_BOARD, "Q01", "1"),
    DeviceAssignment(PAD, DeviceKind.RATING_PAD, "Q01", "Q01"),
))


def counter(code: str = "Q01", status: str = "open",
            number: str | None = None) -> dict[str, Any]:
    ticket = {"id": f"s:1:{number}", "number": number, "status": "called"} if number else None
    return {"code": code, "status": status, "ticket": ticket}


def snapshot(status: str = "closed", number: str | None = None,
             recent: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"site": {"business_date": "2026-11-22"},
            "rating_scale": [{"score": 4}, {"score": 3}, {"score": 2}, {"score": 1}],
            "rating_window_seconds": 30,
            "counters": [counter("Q01", status, number), counter("Q02"), counter("Q10")],
            "services": [{"code": "DD-NOP"}, {"code": "TP-KS"}],
            "recent_calls": recent or []}


def core_with(status: str = "open", number: str | None = None) -> BridgeCore:
    core = BridgeCore(DEVICE_MAP, blink_count=3)
    core.on_snapshot(snapshot(status, number), 0.0)
    return core


def test_snapshot_brings_every_device_up_to_date() -> None:
    core = BridgeCore(DEVICE_MAP)
    commands = core.on_snapshot(snapshot("open", recent=[
        {"counter": "Q01", "number": "1004"}, {"counter": "Q01", "number": "1003"}]), 0.0)
    assert commands == (BusCommand(LED, ShowNumber("1004", "1")), BusCommand(PAD, SetScale(4)))
    paused = BridgeCore(DEVICE_MAP).on_snapshot(snapshot("paused"), 0.0)
    assert BusCommand(LED, ShowPaused()) in paused
    closed = BridgeCore(DEVICE_MAP).on_snapshot(snapshot("closed"), 0.0)
    assert BusCommand(LED, Clear()) in closed


def test_keys_become_counter_actions_for_the_mapped_counter() -> None:
    core = core_with()

    def requests(key: Key, text: str = "") -> tuple[ServerRequest, ...]:
        return core.on_bus_input(DeviceReplied(KEYPAD, KeyEvent(0, key, text)), 1.0).requests

    assert requests(Key.NEXT) == (ServerRequest("call_next", {"as_counter": "Q01"}),)
    assert requests(Key.RECALL)[0].request_type == "recall"
    assert requests(Key.NO_SHOW)[0].request_type == "no_show"
    assert requests(Key.START)[0].request_type == "start"
    assert requests(Key.FINISH)[0].request_type == "finish"
    assert requests(Key.PAUSE)[0].request_type == "pause"
    assert requests(Key.RESUME)[0].request_type == "resume_counter"
    assert requests(Key.NUMBER, "A012") == (
        ServerRequest("call", {"number": "A012", "as_counter": "Q01"}),)
    assert requests(Key.TRANSFER, "Q10") == (
        ServerRequest("transfer", {"counter": "Q10", "as_counter": "Q01"}),)
    assert requests(Key.TRANSFER, "2")[0].fields["counter"] == "Q02"
    assert requests(Key.TRANSFER, "TPKS")[0].fields["service"] == "TP-KS"
    assert requests(Key.TRANSFER) == ()  # nowhere to go
    assert requests(Key.TRANSFER, "ZZZ") == ()


def test_a_key_at_a_closed_counter_opens_it_first() -> None:
    core = core_with("closed")
    requests = core.on_bus_input(DeviceReplied(KEYPAD, KeyEvent(0, Key.NEXT)), 1.0).requests
    assert requests == (ServerRequest("login", {"counter": "Q01"}),
                        ServerRequest("call_next", {"as_counter": "Q01"}))


def test_calls_show_and_blink_and_the_counter_event_does_not_stop_the_blink() -> None:
    core = core_with()
    called = {"number": "1005", "counter": "Q01", "status": "called"}
    assert core.on_event("ticket.called", called, 1.0) == (
        BusCommand(LED, ShowNumber("1005", "1")), BusCommand(LED, Blink(3)))
    assert core.on_event("counter.changed", counter(number="1005"), 1.0) == ()
    assert core.on_event("ticket.recalled", called, 2.0)[1] == BusCommand(LED, Blink(3))
    assert core.on_event("ticket.called", {**called, "counter": "Q02"}, 2.0) == ()
    assert core.on_event("counter.changed", counter(status="paused"), 3.0) == (
        BusCommand(LED, ShowPaused()),)
    assert core.on_event("counter.changed", counter(), 4.0) == (
        BusCommand(LED, ShowNumber("1005", "1")),)
    assert core.on_event("counter.changed", counter(status="closed"), 5.0) == (
        BusCommand(LED, Clear()),)


def test_finish_lights_the_pad_and_its_key_becomes_one_rating() -> None:
    core = core_with(number="1005")
    done = {"id": "s:1:1005", "number": "1005", "counter": "Q01", "status": "done"}
    assert core.on_event("ticket.done", done, 10.0) == (BusCommand(PAD, EnableRating(30)),)
    rated = core.on_bus_input(DeviceReplied(PAD, RatingEvent(0, 2)), 15.0)
    assert rated.requests == (ServerRequest("rate", {"ticket_id": "s:1:1005", "score": 3,
                                                     "as_counter": "Q01"}),)
    again = core.on_bus_input(DeviceReplied(PAD, RatingEvent(1, 1)), 16.0)
    assert again.requests == ()


def test_a_late_pad_key_is_not_sent() -> None:
    core = core_with(number="1005")
    core.on_event("ticket.done", {"id": "t", "counter": "Q01", "status": "done"}, 10.0)
    assert core.on_bus_input(DeviceReplied(PAD, RatingEvent(0, 1)), 41.0).requests == ()


def test_a_rating_from_the_counter_screen_turns_the_pad_off() -> None:
    core = core_with(number="1005")
    core.on_event("ticket.done", {"id": "t", "counter": "Q01", "status": "done"}, 10.0)
    assert core.on_event("rating.received", {"ticket_id": "t", "counter": "Q01"}, 11.0) == (
        BusCommand(PAD, DisableRating()),)


def test_health_changes_become_device_status_and_a_returning_board_is_restored() -> None:
    core = core_with(number="1005")
    offline = core.on_bus_input(HealthChanged(LED, HealthChange(
        DeviceState.ONLINE, DeviceState.OFFLINE, 1.0)), 1.0)
    assert offline.requests == (ServerRequest("device_status", {
        "device": "bus/0x21", "kind": "led_board", "status": "offline",
        "message": "không trả lời trên bus / no answer on the bus", "counter": "Q01"}),)
    back = core.on_bus_input(HealthChanged(LED, HealthChange(
        DeviceState.OFFLINE, DeviceState.ONLINE, 2.0)), 2.0)
    assert back.requests[0].fields["status"] == "ok"
    assert back.commands == (BusCommand(LED, ShowNumber("1005", "1")),)
    assert [report.fields["status"] for report in core.status_reports()] == ["ok"]


def test_power_up_restores_a_pad_inside_its_window() -> None:
    core = core_with(number="1005")
    core.on_event("ticket.done", {"id": "t", "counter": "Q01", "status": "done"}, 10.0)
    restored = core.on_bus_input(DeviceReplied(PAD, PowerUp(DeviceType.RATING_PAD, 1, 0)), 20.0)
    assert restored.commands == (BusCommand(PAD, SetScale(4)), BusCommand(PAD, EnableRating(20)))


def test_map_file(tmp_path: Path) -> None:
    loaded = load_device_map(Path("hardware/bridge/demo_map.toml"))
    assert [(item.address, item.kind, item.counter) for item in loaded.devices] == [
        (0x11, DeviceKind.KEYPAD, "Q01"), (0x21, DeviceKind.LED_BOARD, "Q01"),
        (0x31, DeviceKind.RATING_PAD, "Q01")]
    assert loaded.bus_name == "demo-bus" and loaded.devices[1].label == "1"
    bad = tmp_path / "bad.toml"
    bad.write_text("[[devices]]\naddress = 0x11\nkind = 'keypad'\ncounter = 'Q01'\n"
                   "[[devices]]\naddress = 0x11\nkind = 'led_board'\ncounter = 'Q01'\n")
    with pytest.raises(MapFileError, match=r"devices\[1\]\.address: 0x11 is used twice"):
        load_device_map(bad)


@pytest.mark.parametrize(("entry", "message"), [
    ({"address": 0, "kind": "keypad", "counter": "Q01"}, "address"),
    ({"address": 0x11, "kind": "printer", "counter": "Q01"}, "kind"),
    ({"address": 0x11, "kind": "keypad"}, "counter"),
    ({"address": 0x11, "kind": "led_board", "counter": "Q01", "label": "Quầy 1"}, "label"),
    ({"address": 0x11, "kind": "keypad", "counter": "Q01", "colour": "red"}, "colour"),
])
def test_map_mistakes_are_named(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(MapFileError, match=message):
        parse_device_map({"devices": [entry]})


def test_command_line() -> None:
    settings = parse_settings(["--server", "127.0.0.1:8765", "--port", "/dev/pts/7",
                               "--map", "hardware/bridge/demo_map.toml",
                               "--poll-interval", "0.1"])
    assert settings.server_url == "ws://127.0.0.1:8765/ws"
    # No --site: the server finds it from the (site) admin token.
    assert (settings.token, settings.site) == ("demo-bridge-token-0001", None)
    with_site = parse_settings(["--port", "x", "--map", "hardware/bridge/demo_map.toml",
                                "--site", "ubnd-phuong-1"])
    assert with_site.site == "ubnd-phuong-1"
    assert (settings.port_url, settings.poll_interval) == ("/dev/pts/7", 0.1)
    with pytest.raises(BridgeSettingsError):
        parse_settings(["--port", "x", "--map", "hardware/bridge/demo_map.toml",
                        "--poll-interval", "0"])
