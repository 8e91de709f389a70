"""A service's own priority groups (``priority_groups`` on a service): read and checked by the
configuration's rules (unknown or repeated codes refused naming the key), exported and read
back the same, enforced by the pure rules (a ticket of a group the service does not take is
refused, naming the field, and changes nothing), and the age rule's group given only where
the service takes it."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest
from support.domain import Desk, build_site, services_with, site_data

from server.booking.desk import age_priority
from server.config import ConfigError, parse_settings
from server.config.document import settings_document
from server.config.toml_writer import toml_text
from server.domain import InvalidCommand
from server.domain.commands import IssueTicket

AGE_RULE = {"group": "elderly", "age": 60}


def site_with(**changes: list[str]) -> Desk:
    """The test site where each service named takes the priority groups given."""
    services = site_data()["services"]
    for service in services:
        if service["code"] in changes:
            service["priority_groups"] = changes[service["code"]]
    return Desk(build_site(services=services, priority_by_age=AGE_RULE))


def test_left_out_every_group_listed_those_empty_none() -> None:
    site = site_with(KT=["disabled"], CT=[]).site
    assert [group.code for group in site.priority_groups_of("KS")] == ["elderly", "disabled"]
    assert [group.code for group in site.priority_groups_of("KT")] == ["disabled"]
    assert site.priority_groups_of("CT") == ()
    assert site.service("KS").priority_groups is None  # type: ignore[union-attr]
    assert site.service("CT").priority_groups == ()  # type: ignore[union-attr]
    # In the site's order, whatever the service's list says.
    reordered = site_with(KS=["disabled", "elderly"]).site
    assert [group.code for group in reordered.priority_groups_of("KS")] == [
        "elderly", "disabled"]
    assert site.takes_priority("KT", "disabled") and not site.takes_priority("KT", "elderly")
    assert not site.takes_priority("nothing", "elderly")


@pytest.mark.parametrize(("groups", "key", "reason"), [
    (["elderly", "veterans"], "sites[0].services[1].priority_groups[1]",
     "no priority group 'veterans'"),
    (["disabled", "disabled"], "sites[0].services[1].priority_groups[1]",
     "code 'disabled' appears twice (also at sites[0].services[1].priority_groups[0])"),
    ("elderly", "sites[0].services[1].priority_groups", ""),
    ([""], "sites[0].services[1].priority_groups[0]", ""),
])
def test_unknown_or_repeated_groups_are_refused_naming_the_key(
        groups: object, key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as refused:
        build_site(services=services_with("KT", priority_groups=groups))
    assert refused.value.problems[0].key == key, refused.value.problems
    assert reason in refused.value.problems[0].reason


def test_the_lists_are_exported_and_read_back_the_same() -> None:
    services = services_with("KT", priority_groups=["disabled"])
    services[2]["priority_groups"] = []
    settings = parse_settings({"sites": [site_data(services=services)]})
    document = settings_document(settings)
    exported = {service["code"]: service.get("priority_groups", "left out")
                for service in document["sites"][0]["services"]}
    assert exported == {"KS": "left out", "KT": ["disabled"], "CT": [], "DD": "left out"}
    assert parse_settings(tomllib.loads(toml_text(document))) == settings


def test_a_group_the_service_does_not_take_is_refused_naming_the_field() -> None:
    desk = site_with(KT=["disabled"], CT=[])
    refused = desk.refuse(IssueTicket("KT", "elderly", "a"), InvalidCommand)
    assert refused.message == ("priority: service 'KT' does not take priority group "
                               "'elderly' (it takes 'disabled')")
    refused = desk.refuse(IssueTicket("CT", "disabled", "b"), InvalidCommand)
    assert refused.message == ("priority: service 'CT' does not take priority group "
                               "'disabled' (it takes none)")
    # An unknown group is still just that.
    refused = desk.refuse(IssueTicket("KT", "veterans", "c"), InvalidCommand)
    assert refused.message == "priority: no priority group 'veterans'"
    # What it takes is taken; an ordinary ticket always.
    assert desk.issue("KT", "disabled", request_key="d").priority == "disabled"
    assert desk.issue("CT", None, request_key="e").priority is None
    assert desk.issue("KS", "elderly", request_key="f").priority == "elderly"


def test_the_age_rule_gives_its_group_only_where_the_service_takes_it() -> None:
    site = site_with(KT=["disabled"], CT=[]).site
    today, born = date(2026, 11, 23), date(1950, 1, 1)
    assert age_priority(site, born, today, "KS") == "elderly"
    # Not taken: an ordinary ticket, not a refusal (the citizen only showed their card).
    assert age_priority(site, born, today, "KT") is None
    assert age_priority(site, born, today, "CT") is None
    assert age_priority(site, date(1990, 1, 1), today, "KS") is None
    assert age_priority(site, None, today, "KS") is None
