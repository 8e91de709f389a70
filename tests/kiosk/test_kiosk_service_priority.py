"""The kiosk offers each service only the priority groups it takes (the snapshot's
``services[].priority_groups``): a service taking none has no "Ưu tiên" button, the priority
screen lists that service's groups, a group it does not take is never sent, a server that
does not say offers every group, and a fresh snapshot that takes the last group away leaves
the priority screen. Qt-free: the models only, on a fake clock."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest

from kiosk.errors import CatalogueError
from kiosk.models.catalogue import Catalogue
from kiosk.models.screens import KioskModel, Screen, SendIssue
from kiosk.models.status import ConnectionState


def state(groups: dict[str, list[str] | None]) -> dict[str, Any]:
    """A snapshot of two land services and a civil one; ``groups`` sets each service's
    ``priority_groups`` (None: the key left out, as an older server sends)."""
    services: list[dict[str, Any]] = [
        {"code": "DD-NOP", "name": "Nộp hồ sơ đất đai", "field": "DD", "kind": "submit",
         "waiting": 0, "eta_minutes": None, "open_counters": 1},
        {"code": "DD-TRA", "name": "Nhận kết quả đất đai", "field": "DD", "kind": "collect",
         "waiting": 0, "eta_minutes": None, "open_counters": 1},
        {"code": "HT", "name": "Đăng ký khai sinh", "field": "TP", "kind": "other",
         "waiting": 0, "eta_minutes": None, "open_counters": 1},
    ]
    for service in services:
        taken = groups.get(str(service["code"]))
        if taken is not None:
            service["priority_groups"] = taken
    return {
        "site": {"code": "hcc-test", "name": "Trung tâm thử nghiệm", "ticket_footer": ""},
        "fields": [{"code": "DD", "name": "Đất đai"}, {"code": "TP", "name": "Tư pháp"}],
        "services": services,
        "priority_groups": [{"code": "NCT", "name": "Người cao tuổi", "name_en": "Elderly"},
                            {"code": "KT", "name": "Người khuyết tật",
                             "name_en": "People with disabilities"}],
        "counters": [{"code": "1", "name": "Quầy 1", "services": ["DD-NOP", "DD-TRA", "HT"],
                      "status": "open"}],
    }


TAKEN: dict[str, list[str] | None] = {"DD-NOP": ["KT"], "DD-TRA": [], "HT": None}


def screen(model: KioskModel) -> Screen:
    """The model's screen (a call, so type checkers do not narrow it between steps)."""
    return model.screen


def model_of(snapshot: dict[str, Any]) -> KioskModel:
    keys = (f"key-{number}" for number in itertools.count(1))
    model = KioskModel(clock=lambda: 100.0, new_request_key=lambda: next(keys),
                       idle_seconds=30, ticket_seconds=10, one_level_max_services=0)
    model.set_catalogue(Catalogue.from_state(snapshot))
    model.set_connection(ConnectionState.ONLINE)
    return model


def test_only_services_taking_a_group_have_the_priority_button() -> None:
    model = model_of(state(TAKEN))
    model.choose_field("DD")
    assert {choice.code: choice.offers_priority for choice in model.procedure_choices()} == {
        "DD-NOP": True, "DD-TRA": False}
    model.ask_priority("DD-TRA")  # no button: pressing where it would be does nothing
    assert screen(model) is Screen.PROCEDURES
    model.ask_priority("DD-NOP")
    assert screen(model) is Screen.PRIORITY
    assert [(choice.code, choice.title) for choice in model.priority_choices()] == [
        ("KT", "Người khuyết tật")]
    assert model.choose_priority("NCT") == []  # not this service's: never sent
    assert screen(model) is Screen.PRIORITY and model.pending is None
    [effect] = model.choose_priority("KT")
    assert isinstance(effect, SendIssue)
    assert (effect.pending.service, effect.pending.priority) == ("DD-NOP", "KT")


def test_a_service_left_out_and_an_older_server_offer_every_group() -> None:
    for snapshot in (state(TAKEN), state({})):
        model = model_of(snapshot)
        model.choose_field("TP")
        model.ask_priority("HT")
        assert [choice.code for choice in model.priority_choices()] == ["NCT", "KT"]
    catalogue = Catalogue.from_state(state({}))
    assert all(service.priority_groups is None for service in catalogue.services)
    assert [group.code for group in catalogue.priority_groups_of("DD-TRA")] == ["NCT", "KT"]
    assert catalogue.priority_groups_of("nothing") == ()


def test_a_fresh_snapshot_taking_the_groups_away_leaves_the_priority_screen() -> None:
    model = model_of(state(TAKEN))
    model.choose_field("DD")
    model.ask_priority("DD-NOP")
    model.set_catalogue(Catalogue.from_state(state({**TAKEN, "DD-NOP": ["NCT", "KT"]})))
    assert screen(model) is Screen.PRIORITY  # still some group: stays
    assert [choice.code for choice in model.priority_choices()] == ["NCT", "KT"]
    model.set_catalogue(Catalogue.from_state(state({**TAKEN, "DD-NOP": []})))
    assert screen(model) is Screen.PROCEDURES and model.field_code == "DD"
    assert not any(choice.offers_priority for choice in model.procedure_choices())


@pytest.mark.parametrize("value", ["KT", [1], {"KT": True}])
def test_a_malformed_list_names_the_key(value: object) -> None:
    snapshot = copy.deepcopy(state(TAKEN))
    snapshot["services"][0]["priority_groups"] = value
    with pytest.raises(CatalogueError, match=r"state\.services\[0\]\.priority_groups: "
                                             "expected a list of text"):
        Catalogue.from_state(snapshot)
