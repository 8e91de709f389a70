"""The web pages' fixtures: a server of two sites with manager accounts, on a clock the test
moves, and a browser (Debian's Chromium through Playwright)."""

from __future__ import annotations

import pytest
from support.clock import ManualClock
from support.web import MORNING, two_sites

from server.app.runtime import Clock
from server.config import Settings, parse_settings


@pytest.fixture
def settings() -> Settings:
    return parse_settings(two_sites())


@pytest.fixture
def server_clock() -> ManualClock:
    return ManualClock(MORNING)


@pytest.fixture
def server_time(server_clock: ManualClock) -> Clock:
    """The shared ``server`` fixture runs on the test's clock."""
    return server_clock

