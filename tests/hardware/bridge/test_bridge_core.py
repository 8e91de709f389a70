"""The bridge's pure logic, its map file and its command line."""

from __future__ import annotations

import logging
import unicodedata
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
    ScaleStep,
    load_device_map,
    pad_key_steps,
    parse_device_map,
    scale_steps,
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
from server.config import load_settings

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


# The default scale, as the server sends it: best first.
SCALE: list[dict[str, Any]] = [
    {"score": 4, "label": "Rất hài lòng", "label_en": "Very satisfied"},
    {"score": 3, "label": "Hài lòng", "label_en": "Satisfied"},
    {"score": 2, "label": "Bình thường", "label_en": "Neutral"},
    {"score": 1, "label": "Không hài lòng", "label_en": "Dissatisfied"}]


def snapshot(status: str = "closed", number: str | None = None,
             recent: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"site": {"business_date": "2026-11-22"},
            "rating_scale": SCALE,
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
    assert rated.requests == (ServerRequest("rate", {"ticket_id": "s:1:1005", "score": 2,
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


def pad_map(keys: list[Any] | None) -> DeviceMap:
    """The one-counter map with the pad's ``keys`` as a map file would give them."""
    entries: list[dict[str, Any]] = [
        {"address": KEYPAD, "kind": "keypad", "counter": "Q01"},
        {"address": LED, "kind": "led_board", "counter": "Q01", "label": "1"},
        {"address": PAD, "kind": "rating_pad", "counter": "Q01"}]
    if keys is not None:
        entries[2]["keys"] = keys
    return parse_device_map({"devices": entries}, "bus.toml")


def rated_score(core: BridgeCore, key: int, ticket: str = "t") -> int:
    """The score the bridge sends when ``key`` is pressed on the lit pad after ``ticket``."""
    core.on_event("ticket.done", {"id": ticket, "counter": "Q01", "status": "done"}, 1.0)
    requests = core.on_bus_input(DeviceReplied(PAD, RatingEvent(0, key)), 2.0).requests
    assert len(requests) == 1 and requests[0].request_type == "rate"
    score: int = requests[0].fields["score"]
    return score


@pytest.mark.parametrize(("keys", "scores"), [
    # No keys in the map: key k is the k-th lowest score, the numbers the counter's rating
    # screen and the QR page store.
    (None, [1, 2, 3, 4]),
    (["Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"], [1, 2, 3, 4]),
    # A pad printed best first; labels matched whatever their case, spacing or composition.
    (["RẤT HÀI LÒNG", "  hài   lòng ", unicodedata.normalize("NFD", "Bình thường"),
      "Không hài lòng"], [4, 3, 2, 1]),
    (["Dissatisfied", "Neutral", "Satisfied", "Very satisfied"], [1, 2, 3, 4]),
    ([4, 3, 2, 1], [4, 3, 2, 1]),
])
def test_each_pad_key_sends_the_score_the_map_gives_it(keys: list[Any] | None,
                                                       scores: list[int]) -> None:
    core = BridgeCore(pad_map(keys))
    core.on_snapshot(snapshot("open"), 0.0)
    assert [rated_score(core, key) for key in range(1, 5)] == scores


def test_a_key_press_is_logged_with_its_label(caplog: pytest.LogCaptureFixture) -> None:
    core = BridgeCore(pad_map(None))
    with caplog.at_level(logging.INFO, logger="hardware.bridge.core"):
        core.on_snapshot(snapshot("open"), 0.0)
        assert rated_score(core, 4, "s:1:1005") == 4
    assert 'rating pad 0x31 of counter Q01: key 1 = 1 "Không hài lòng", key 2 = 2 ' \
           '"Bình thường", key 3 = 3 "Hài lòng", key 4 = 4 "Rất hài lòng"' in caplog.messages
    assert 'pad 0x31 of counter Q01: key 4 = 4 "Rất hài lòng" for ticket s:1:1005' \
           in caplog.messages


def test_pad_keys_that_do_not_fit_the_scale_leave_the_pad_dark_and_say_why(
        caplog: pytest.LogCaptureFixture) -> None:
    core = BridgeCore(pad_map(["Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng!"]))
    with caplog.at_level(logging.ERROR, logger="hardware.bridge.core"):
        commands = core.on_snapshot(snapshot("open"), 0.0)
    reason = ("bus.toml: devices[2].keys[3]: 'Rất hài lòng!' is not a score or label of the "
              'site\'s rating scale (4 "Rất hài lòng", 3 "Hài lòng", 2 "Bình thường", '
              '1 "Không hài lòng")')
    assert caplog.messages == [f"rating pad 0x31 of counter Q01 is not used: {reason}"]
    assert BusCommand(PAD, DisableRating()) in commands
    assert not any(isinstance(command.message, SetScale) for command in commands)
    assert core.on_event("ticket.done", {"id": "t", "counter": "Q01", "status": "done"},
                         1.0) == ()
    assert core.on_bus_input(DeviceReplied(PAD, RatingEvent(0, 4)), 2.0).requests == ()
    online = core.on_bus_input(HealthChanged(PAD, HealthChange(
        DeviceState.UNKNOWN, DeviceState.ONLINE, 1.0)), 1.0)
    assert online.requests == (ServerRequest("device_status", {
        "device": "bus/0x31", "kind": "rating_pad", "status": "error", "message": reason,
        "counter": "Q01"}),)
    # The same snapshot again (a reconnection) does not log it twice.
    with caplog.at_level(logging.ERROR, logger="hardware.bridge.core"):
        core.on_snapshot(snapshot("open"), 3.0)
    assert len([record for record in caplog.records if record.levelno >= logging.ERROR]) == 1


STEPS = scale_steps(SCALE)


@pytest.mark.parametrize(("keys", "scale", "message"), [
    ([1, 2, 3], STEPS, r'keys: no key gives 4 "Rất hài lòng" of the site\'s rating scale'),
    ([1, 2, 3, "Bình thường"], STEPS,
     r'keys\[3\]: \'Bình thường\' names 2 "Bình thường", which key 2 already gives'),
    ([1, 2, 3, 5], STEPS, r"keys\[3\]: 5 is not a score or label"),
    (None, STEPS[:1], "the site's rating scale has 1 labels"),
    (None, tuple(ScaleStep(score, str(score)) for score in range(1, 12)),
     "has 11 labels .*a rating pad has 2 to 10 keys"),
])
def test_pad_keys_are_checked_against_the_scale(keys: list[Any] | None,
                                                scale: tuple[ScaleStep, ...],
                                                message: str) -> None:
    with pytest.raises(MapFileError, match=message):
        pad_key_steps(None if keys is None else tuple(keys), scale, "bus.toml: devices[2]")


def test_the_demo_maps_pad_keys_to_the_demo_sites_scale() -> None:
    demo_map = load_device_map(Path("hardware/bridge/demo_map.toml"))
    pad = demo_map.device(PAD)
    assert pad is not None
    site = load_settings().sites[0]
    scale = tuple(ScaleStep(item.score, item.label_vi, item.label_en)
                  for item in site.rating_scale)
    steps = pad_key_steps(pad.keys, scale, demo_map.entry_name(pad))
    assert [(step.score, step.label) for step in steps] == [
        (1, "Không hài lòng"), (2, "Bình thường"), (3, "Hài lòng"), (4, "Rất hài lòng")]


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
    ({"address": 0x11, "kind": "keypad", "counter": "Q01", "keys": [1, 2]},
     "keys: only a rating_pad has keys"),
    ({"address": 0x31, "kind": "rating_pad", "counter": "Q01", "keys": ["Hài lòng"]},
     "keys: a list of 2 to 10 labels"),
    ({"address": 0x31, "kind": "rating_pad", "counter": "Q01", "keys": [1, True]},
     r"keys\[1\]: a label of the site's rating scale or a score"),
    ({"address": 0x31, "kind": "rating_pad", "counter": "Q01", "keys": [0, 1]},
     r"keys\[0\]"),
    ({"address": 0x31, "kind": "rating_pad", "counter": "Q01", "keys": ["Hài lòng", "hài lòng"]},
     r"keys\[1\]: 'hài lòng' is named twice"),
])
def test_map_mistakes_are_named(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(MapFileError, match=message):
        parse_device_map({"devices": [entry]})


def test_command_line() -> None:
    settings = parse_settings(["--server", "127.0.0.1:8765", "--port", "/dev/pts/7",
                               "--map", "hardware/bridge/demo_map.toml",
                               "--token", "demo-bridge-token-0001", "--poll-interval", "0.1"])
    assert settings.server_url == "ws://127.0.0.1:8765/ws"
    # No --site: the server finds it from the site's bridge token.
    assert (settings.token, settings.site) == ("demo-bridge-token-0001", None)
    with_site = parse_settings(["--port", "x", "--map", "hardware/bridge/demo_map.toml",
                                "--token", "demo-p1-bridge-token-0001",
                                "--site", "ubnd-phuong-1"])
    assert with_site.site == "ubnd-phuong-1"
    assert (settings.port_url, settings.poll_interval) == ("/dev/pts/7", 0.1)
    with pytest.raises(BridgeSettingsError, match="--token is required"):
        parse_settings(["--port", "x", "--map", "hardware/bridge/demo_map.toml"])
    with pytest.raises(BridgeSettingsError):
        parse_settings(["--port", "x", "--map", "hardware/bridge/demo_map.toml",
                        "--token", "demo-bridge-token-0001", "--poll-interval", "0"])
