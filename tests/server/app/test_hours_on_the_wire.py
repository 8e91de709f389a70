"""Opening hours through the real server: the snapshot's ``open``, ``closes_at``,
``reopens_at`` and the site's ``next_change``, and ``issue`` refused with ``closed`` and the
reopening time, on a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from support.clock import ManualClock
from support.servers import ADMIN_TOKEN, KIOSK_TOKEN, SITE, site_config

from server.app.serve import RunningServer, start_server
from server.config import parse_settings
from server.protocol.client import ProtocolClient, RequestFailed

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = "07:30-11:30, 13:30-17:00"
# Monday 1 February 2027, 11:00 in Hồ Chí Minh City.
MONDAY = datetime(2027, 2, 1, 11, 0, tzinfo=VIETNAM)


def hours_config() -> dict[str, Any]:
    """The test site open Monday to Friday in two sessions, closed for Tết; its land
    submissions (DD-NOP) in the mornings only."""
    config = site_config()
    site = config["sites"][0]
    site["opening_hours"] = {
        **{day: DAY for day in ("monday", "tuesday", "wednesday", "thursday", "friday")},
        "closed": ["2027-02-04..2027-02-10"]}
    site["services"][0]["opening_hours"] = {"monday": "07:30-11:30", "tuesday": "07:30-11:30",
                                            "wednesday": "07:30-11:30"}
    return config


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY)


@pytest.fixture
async def hours_server(tmp_path: Path, clock: ManualClock) -> AsyncIterator[RunningServer]:
    running = await start_server(parse_settings(hours_config()), host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{tmp_path / 'q.db'}", clock=clock)
    yield running
    await running.stop()


def services(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["code"]: item for item in state["services"]}


async def test_the_snapshot_says_what_is_open_and_until_when(
        hours_server: RunningServer, clock: ManualClock) -> None:
    async with ProtocolClient(hours_server.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
        state = kiosk.hello_result["state"]
        site = state["site"]
        assert (site["open"], site["closes_at"], site["reopens_at"]) == (
            True, "2027-02-01T11:30:00+07:00", None)
        assert site["now"] == "2027-02-01T11:00:00+07:00"
        assert site["next_change"] == "2027-02-01T11:30:00+07:00"
        land = services(state)["DD-NOP"]
        assert (land["open"], land["closes_at"], land["reopens_at"]) == (
            True, "2027-02-01T11:30:00+07:00", None)

        clock.now = MONDAY.replace(hour=12)
        state = (await kiosk.request("snapshot"))["state"]
        site = state["site"]
        assert (site["open"], site["closes_at"], site["reopens_at"]) == (
            False, None, "2027-02-01T13:30:00+07:00")
        land, births = services(state)["DD-NOP"], services(state)["HT"]
        # Land files wait for Tuesday morning; the rest reopens after lunch.
        assert (land["open"], land["reopens_at"]) == (False, "2027-02-02T07:30:00+07:00")
        assert (births["open"], births["reopens_at"]) == (False, "2027-02-01T13:30:00+07:00")
        assert site["next_change"] == "2027-02-01T13:30:00+07:00"

        clock.now = MONDAY.replace(hour=14)
        state = (await kiosk.request("snapshot"))["state"]
        land, births = services(state)["DD-NOP"], services(state)["HT"]
        assert (land["open"], land["closes_at"]) == (False, None)
        assert (births["open"], births["closes_at"]) == (True, "2027-02-01T17:00:00+07:00")
        assert state["site"]["next_change"] == "2027-02-01T17:00:00+07:00"

        # Wednesday evening: Tết closes the centre until Thursday the 11th.
        clock.now = datetime(2027, 2, 3, 18, 0, tzinfo=VIETNAM)
        state = (await kiosk.request("snapshot"))["state"]
        assert state["site"]["reopens_at"] == "2027-02-11T07:30:00+07:00"
        # Land files' own hours leave Thursday out: it follows the site's.
        assert services(state)["DD-NOP"]["reopens_at"] == "2027-02-11T07:30:00+07:00"
        clock.now = datetime(2027, 2, 11, 12, 0, tzinfo=VIETNAM)
        state = (await kiosk.request("snapshot"))["state"]
        assert services(state)["DD-NOP"]["reopens_at"] == "2027-02-11T13:30:00+07:00"

        # The clock set back (a test, or a corrected server clock): answers follow it.
        clock.now = MONDAY
        state = (await kiosk.request("snapshot"))["state"]
        assert state["site"]["closes_at"] == "2027-02-01T11:30:00+07:00"


async def test_issue_outside_the_hours_is_closed_with_the_reopening_time(
        hours_server: RunningServer, clock: ManualClock) -> None:
    async with ProtocolClient(hours_server.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk, \
            ProtocolClient(hours_server.ws_url, "admin", ADMIN_TOKEN, SITE) as admin:
        ticket = (await kiosk.request("issue", service="DD-NOP", request_key="k1"))["ticket"]
        assert ticket["number"] == "1001"
        clock.now = MONDAY.replace(hour=14)
        with pytest.raises(RequestFailed) as refused:
            await kiosk.request("issue", service="DD-NOP", request_key="k2")
        assert refused.value.code == "closed"
        assert "issuing reopens on Tuesday 02/02 at 07:30" in refused.value.message
        assert "cấp số lại lúc 07:30 thứ Ba 02/02" in refused.value.message
        assert (await kiosk.request("issue", service="HT", request_key="k3"))["ticket"][
            "number"] == "A001"
        clock.now = MONDAY.replace(hour=12)
        with pytest.raises(RequestFailed) as lunch:
            await admin.request("issue", service="HT", request_key="a1")
        assert lunch.value.code == "closed"
        assert "issuing reopens at 13:30" in lunch.value.message
        # The connection is still fine, and the first press still gets its ticket.
        again = await kiosk.request("issue", service="DD-NOP", request_key="k1")
        assert again["ticket"]["number"] == "1001"


async def test_a_site_without_hours_is_open_with_nothing_to_wait_for(
        server: RunningServer, connect: Any) -> None:
    kiosk = await connect("kiosk")
    site = kiosk.hello_result["state"]["site"]
    assert (site["open"], site["closes_at"], site["reopens_at"], site["next_change"]) == (
        True, None, None, None)
    assert all(item["open"] and item["closes_at"] is None and item["reopens_at"] is None
               for item in kiosk.hello_result["state"]["services"])
