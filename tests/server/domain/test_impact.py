"""What a configuration change would do to today's queue: refused while it would break it,
to be confirmed where it changes what people see, silent where it is harmless."""

from __future__ import annotations

from typing import Any

from support.domain import Desk, build_site, site_data

from server.domain.commands import Logout
from server.domain.impact import ImpactLevel, removed_site_impacts, site_change_impacts


def changed(**overrides: Any) -> Any:
    return build_site(**overrides)


def levels(impacts: list[Any]) -> list[tuple[ImpactLevel, str]]:
    return [(impact.level, impact.key) for impact in impacts]


def test_harmless_changes_have_no_impact() -> None:
    desk = Desk(build_site())
    desk.issue("KS")
    desk.login("Q1")
    counters = site_data()["counters"]
    counters[0]["name"] = "Quầy một"
    new = changed(counters=counters, notice="Nghỉ trưa 11h30-13h30")
    assert site_change_impacts(desk.site, new, desk.state) == []


def test_a_service_with_people_waiting_cannot_be_removed() -> None:
    desk = Desk(build_site())
    desk.issue("CT")
    data = site_data()
    data["services"] = [item for item in data["services"] if item["code"] != "CT"]
    for counter in data["counters"]:
        counter["services"] = [code for code in counter["services"] if code != "CT"]
    new = build_site(**{key: data[key] for key in ("services", "counters")})
    impacts = site_change_impacts(desk.site, new, desk.state)
    assert levels(impacts) == [(ImpactLevel.REFUSED, "services[CT]")]
    assert "1 people wait for CT" in impacts[0].message
    # Once called and served, removing it only needs a confirmation.
    desk.login("Q2")
    desk.call_next("Q2")
    desk.serve("Q2", minutes=3)
    assert levels(site_change_impacts(desk.site, new, desk.state)) == [
        (ImpactLevel.CONFIRM, "services[CT]")]


def test_a_counter_in_use_cannot_be_removed() -> None:
    desk = Desk(build_site())
    desk.login("Q4", "chi")
    data = site_data()
    data["counters"] = [item for item in data["counters"] if item["code"] != "Q4"]
    data["officers"][2]["counters"] = []
    new = build_site(counters=data["counters"], officers=data["officers"])
    assert levels(site_change_impacts(desk.site, new, desk.state)) == [
        (ImpactLevel.REFUSED, "counters[Q4]")]


def test_a_range_too_small_for_today_is_refused_and_a_new_format_confirmed() -> None:
    desk = Desk(build_site())
    desk.issue_many("DD", 3)
    groups = site_data()["number_groups"]
    for group in groups:
        if group["code"] == "land":
            group["numbers"] = "1001-1002"
    refused = site_change_impacts(desk.site, build_site(number_groups=groups), desk.state)
    assert levels(refused) == [(ImpactLevel.REFUSED, "number_groups[land]")]
    for group in groups:
        if group["code"] == "land":
            group["numbers"] = "2001-2999"
    confirm = site_change_impacts(desk.site, build_site(number_groups=groups), desk.state)
    assert levels(confirm) == [(ImpactLevel.CONFIRM, "number_groups[land]")]
    assert "will be 2004 (was 1004)" in confirm[0].message


def test_an_officer_at_work_cannot_be_removed_and_a_revoked_token_is_said() -> None:
    desk = Desk(build_site(tokens=[{"name": "ki-ốt sảnh", "role": "kiosk",
                                    "token": "kiosk-token-000001"}]))
    desk.login("Q1", "binh")
    data = site_data()
    data["officers"] = [item for item in data["officers"] if item["user"] != "binh"]
    impacts = site_change_impacts(desk.site, build_site(officers=data["officers"], tokens=[]),
                                  desk.state)
    assert levels(impacts) == [(ImpactLevel.REFUSED, "officers[binh]"),
                               (ImpactLevel.CONFIRM, "tokens[ki-ốt sảnh]")]
    assert "disconnected and refused from now on" in impacts[1].message


def test_an_officer_at_work_cannot_be_disabled_one_at_home_can() -> None:
    desk = Desk(build_site())
    desk.login("Q1", "binh")
    data = site_data()
    for officer in data["officers"]:
        officer["active"] = officer["user"] != "binh"
    assert levels(site_change_impacts(desk.site, build_site(officers=data["officers"]),
                                      desk.state)) == [(ImpactLevel.REFUSED, "officers[binh]")]
    desk.run(Logout("Q1"))
    assert site_change_impacts(desk.site, build_site(officers=data["officers"]),
                               desk.state) == []


def test_removing_a_site_with_a_day_under_way_is_refused() -> None:
    desk = Desk(build_site())
    assert [impact.level for impact in removed_site_impacts(desk.site, desk.state)] == [
        ImpactLevel.CONFIRM]
    desk.issue("KS")
    assert [impact.level for impact in removed_site_impacts(desk.site, desk.state)] == [
        ImpactLevel.REFUSED]


def test_removing_a_site_with_devices_connected_is_refused_naming_them() -> None:
    desk = Desk(build_site())
    [impact] = removed_site_impacts(desk.site, desk.state, ["ki-ốt 2", "ki-ốt 1"])
    assert (impact.level, impact.key) == (ImpactLevel.REFUSED, "test-site.tokens")
    assert impact.text(english=True) == (
        "Devices of site test-site are connected (ki-ốt 1, ki-ốt 2): revoke their tokens "
        "(Device tokens) or switch them off first.")
    desk.issue("KS")  # both reasons said at once
    assert len(removed_site_impacts(desk.site, desk.state, ["ki-ốt 1"])) == 2


def test_every_message_says_it_in_vietnamese_then_english() -> None:
    """The pages show one language (Impact.text): each message is both, split once."""
    desk = Desk(build_site(tokens=[{"name": "ki-ốt sảnh", "role": "kiosk",
                                    "token": "kiosk-token-000001"}]))
    desk.issue_many("DD", 3)
    desk.issue("KS")
    desk.login("Q1", "binh")
    data = site_data()
    data["services"] = [item for item in data["services"] if item["code"] != "KS"]
    for counter in data["counters"]:
        counter["services"] = [code for code in counter["services"] if code != "KS"] or ["DD"]
    data["officers"] = [item for item in data["officers"] if item["user"] != "binh"]
    for group in data["number_groups"]:
        if group["code"] == "land":
            group["numbers"] = "2001-2999"
    impacts = site_change_impacts(desk.site, build_site(
        services=data["services"], counters=data["counters"], officers=data["officers"],
        number_groups=data["number_groups"], tokens=[]), desk.state)
    impacts += removed_site_impacts(desk.site, desk.state)
    assert len(impacts) >= 4
    for impact in impacts:
        assert impact.message.count(" / ") == 1, impact.message
        assert impact.text() and impact.text(english=True)
        assert impact.text() != impact.text(english=True)
