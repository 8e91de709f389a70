"""audio_output_available: Qt Multimedia's answer, asked in a child process; stand-ins are none."""

from __future__ import annotations

import sys

import pytest
from pytestqt.qtbot import QtBot

from display.voice.outputs import audio_output_available, is_stand_in_output
from display.voice.qt_player import output_devices


@pytest.mark.parametrize(("device_id", "description", "stand_in"), [
    ("qms_ci", "Null Output", True),  # pactl load-module module-null-sink
    ("auto_null", "Dummy Output", True),  # PulseAudio / PipeWire with no sound card
    ("auto_null", "Anything", True),
    ("alsa_output.pci-0000_00_1f.3.analog-stereo", "Built-in Audio Analog Stereo", False),
    ("{0.0.0.00000000}.{5f2c}", "Speakers (Realtek(R) Audio)", False),
])
def test_stand_in_outputs(device_id: str, description: str, stand_in: bool) -> None:
    assert is_stand_in_output(device_id, description) is stand_in


def test_the_child_sees_what_the_display_would_see(qtbot: QtBot) -> None:
    """The same answer as Qt Multimedia in this very process (which the display uses)."""
    here = [device for device in output_devices() if not is_stand_in_output(*device)]
    assert audio_output_available() is bool(here)


@pytest.mark.skipif(sys.platform != "linux", reason="a sound server's address: Linux only")
def test_no_sound_server_means_no_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULSE_SERVER", "unix:/nonexistent/pulse")
    monkeypatch.setenv("PIPEWIRE_REMOTE", "/nonexistent/pipewire-0")
    assert audio_output_available() is False


def test_a_child_that_cannot_start_counts_as_no_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    assert audio_output_available() is False
