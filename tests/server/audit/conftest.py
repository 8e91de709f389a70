"""The audit log's fixtures: the web pages' server of two sites with manager accounts (and an
administrator of the second site), on a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from support.clock import ManualClock
from support.web import MANAGER_HASH, MORNING, OTHER_SITE, two_sites

from server.app.serve import RunningServer, start_server
from server.config import Settings, parse_settings


@pytest.fixture
def settings() -> Settings:
    config = two_sites()
    accounts = config["accounts"]
    assert isinstance(accounts, list)
    accounts.append({"user": "quantrixa", "full_name": "Đỗ Văn Xã",
                     "password_hash": MANAGER_HASH, "role": "admin", "sites": [OTHER_SITE]})
    return parse_settings(config)


@pytest.fixture
def server_clock() -> ManualClock:
    return ManualClock(MORNING)


@pytest.fixture
async def server(settings: Settings, database_path: Path,
                 server_clock: ManualClock) -> AsyncIterator[RunningServer]:
    """Overrides the shared fixture: the same server, on the test's clock."""
    running = await start_server(settings, host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{database_path}", clock=server_clock)
    yield running
    await running.stop()
