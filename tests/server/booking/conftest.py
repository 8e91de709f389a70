"""The booking tests' server: the test site taking bookings (support.booking), on a clock
the test moves."""

from __future__ import annotations

import pytest
from support.booking import MORNING, booking_config
from support.clock import ManualClock

from server.app.runtime import Clock
from server.config import Settings, parse_settings


@pytest.fixture
def settings() -> Settings:
    return parse_settings(booking_config())


@pytest.fixture
def server_clock() -> ManualClock:
    return ManualClock(MORNING)


@pytest.fixture
def server_time(server_clock: ManualClock) -> Clock:
    """The shared ``server`` fixture runs on the test's clock."""
    return server_clock
