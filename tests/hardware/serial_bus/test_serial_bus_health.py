"""DeviceHealth: online/offline transitions from poll outcomes, time injected."""

from __future__ import annotations

import pytest

from hardware.serial_bus import DeviceHealth, DeviceState, HealthChange


def test_online_after_a_reply_offline_after_consecutive_misses() -> None:
    health = DeviceHealth(offline_after_misses=3)
    assert health.state is DeviceState.UNKNOWN
    assert health.record_reply(1.0) == HealthChange(DeviceState.UNKNOWN, DeviceState.ONLINE, 1.0)
    assert health.record_reply(1.2) is None
    assert health.record_miss(1.4) is None
    assert health.record_miss(1.6) is None
    assert health.record_reply(1.8) is None  # a reply resets the count
    assert health.record_miss(2.0) is None
    assert health.record_miss(2.2) is None
    assert health.record_miss(2.4) == HealthChange(DeviceState.ONLINE, DeviceState.OFFLINE, 2.4)
    assert health.record_miss(2.6) is None
    assert health.consecutive_misses == 4
    assert health.last_reply_at == 1.8
    assert health.record_reply(3.0) == HealthChange(DeviceState.OFFLINE, DeviceState.ONLINE, 3.0)
    assert health.consecutive_misses == 0


def test_never_answering_device_goes_from_unknown_to_offline() -> None:
    health = DeviceHealth(offline_after_misses=1)
    assert health.record_miss(0.0) == HealthChange(DeviceState.UNKNOWN, DeviceState.OFFLINE, 0.0)
    assert health.last_reply_at is None


def test_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError):
        DeviceHealth(offline_after_misses=0)
