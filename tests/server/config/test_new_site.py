"""A centre added from the administration pages starts valid: its code, names and time zone
with a small working day (a field, a procedure, a counter in a hall, the priority groups,
office hours), read by the configuration's own rules beside any other site."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from support.servers import site_config

from server.config import ConfigError, parse_settings
from server.config.new_site import new_site_document


def test_a_new_site_is_a_valid_working_centre() -> None:
    config = site_config()
    config["sites"].append(new_site_document("ubnd-xa-a", "UBND xã A", "Commune A",
                                             "Asia/Bangkok"))
    site = parse_settings(config).sites[1]
    assert (site.code, site.name_vi, site.name_en, site.timezone.key) == (
        "ubnd-xa-a", "UBND xã A", "Commune A", "Asia/Bangkok")
    assert [service.code for service in site.services] == ["CHUNG"]
    assert site.counters_serving("CHUNG")[0].zone == "SANH"
    assert len(site.priority_groups) == 4 and site.tokens == ()
    zone = ZoneInfo("Asia/Bangkok")
    schedule = site.schedule("CHUNG")
    assert schedule.is_open(datetime(2026, 11, 23, 8, 0, tzinfo=zone))  # a Monday morning
    assert not schedule.is_open(datetime(2026, 11, 23, 12, 0, tzinfo=zone))  # lunch
    assert not schedule.is_open(datetime(2026, 11, 28, 8, 0, tzinfo=zone))  # Saturday


def test_what_is_left_empty_is_said_by_the_rules() -> None:
    config = site_config()
    config["sites"].append(new_site_document("", "", "", ""))
    with pytest.raises(ConfigError) as refused:
        parse_settings(config)
    keys = {problem.key for problem in refused.value.problems}
    assert {"sites[1].code", "sites[1].name_vi"} <= keys
    # Left out, the time zone takes its default.
    assert "timezone" not in new_site_document("x", "X", "", "")
