"""A service's own priority groups over real connections: the snapshot tells the kiosk which
groups each service takes, ``issue`` of a group a service does not take is refused
``bad_request`` naming the field (nothing issued), a birth date's age rule gives its group
only where the service takes it, and a change of a service's list from the administration
pages reaches a running kiosk without a restart."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from support.servers import SITE, site_config
from support.web import WebClient, form_token, with_accounts

from server.app.serve import RunningServer
from server.config import Settings, parse_settings
from server.protocol.client import RequestFailed

OLD = date(1940, 5, 1)  # 75 and over whatever the day the test runs


@pytest.fixture
def settings() -> Settings:
    config = site_config()
    site = config["sites"][0]
    site["priority_groups"].append({"code": "KT", "name_vi": "Người khuyết tật"})
    site["priority_by_age"] = {"group": "NCT", "age": 75}
    services = {service["code"]: service for service in site["services"]}
    services["DD-NOP"]["priority_groups"] = ["KT"]
    services["DD-TRA"]["priority_groups"] = []
    return parse_settings(with_accounts(config))


async def test_the_snapshot_says_each_services_groups_and_issue_keeps_to_them(
        server: RunningServer, connect: Any) -> None:
    kiosk = await connect("kiosk")
    state = (await kiosk.request("snapshot"))["state"]
    taken = {service["code"]: service["priority_groups"] for service in state["services"]}
    assert taken == {"DD-NOP": ["KT"], "DD-TRA": [], "HT": ["NCT", "KT"]}
    assert [group["code"] for group in state["priority_groups"]] == ["NCT", "KT"]

    for service, group, reason in (
            ("DD-NOP", "NCT", "priority: service 'DD-NOP' does not take priority group 'NCT' "
                              "(it takes 'KT')"),
            ("DD-TRA", "KT", "priority: service 'DD-TRA' does not take priority group 'KT' "
                             "(it takes none)")):
        with pytest.raises(RequestFailed) as refused:
            await kiosk.request("issue", service=service, priority=group,
                                request_key=f"refused-{service}")
        assert (refused.value.code, refused.value.message) == ("bad_request", reason)
    assert not server.service.sites[SITE].committed.tickets  # nothing issued

    ticket = (await kiosk.request("issue", service="DD-NOP", priority="KT",
                                  request_key="a"))["ticket"]
    assert ticket["priority"] == "KT"
    # The age rule's group where the service takes it, an ordinary ticket where it does not.
    by_age = {}
    for service in ("HT", "DD-NOP", "DD-TRA"):
        issued = await kiosk.request("issue", service=service, request_key=f"age-{service}",
                                     birth_date=OLD.isoformat())
        by_age[service] = issued["ticket"]["priority"]
    assert by_age == {"HT": "NCT", "DD-NOP": None, "DD-TRA": None}


async def test_a_services_groups_changed_in_the_pages_reach_a_running_kiosk(
        server: RunningServer, connect: Any) -> None:
    kiosk = await connect("kiosk", subscribe=["config."])
    client = WebClient(server.http_url)
    assert (await client.sign_in(user="quantri", next_page="/admin")).status == 200
    form = await client.get(f"/admin/site/{SITE}/services/HT")
    assert 'name="priority_groups.KT" value="1" checked' in form.body
    fields = {"csrf": form_token(form.body), "name_vi": "Đăng ký khai sinh", "field": "TP",
              "number_group": "HT", "served_by": "2, 3", "priority_groups": "ticked",
              "priority_groups.KT": "1"}
    saved = await client.post(f"/admin/site/{SITE}/services/HT", fields)
    assert saved.status == 200 and "saved=2" in saved.url, saved.body[:2000]
    await kiosk.next_event("config.changed")
    state = (await kiosk.request("snapshot"))["state"]
    assert {service["code"]: service["priority_groups"]
            for service in state["services"]}["HT"] == ["KT"]
    with pytest.raises(RequestFailed) as refused:
        await kiosk.request("issue", service="HT", priority="NCT", request_key="b")
    assert refused.value.code == "bad_request"
    # A code the site does not have, posted by hand, is refused beside the field.
    fields["priority_groups.XX"] = "1"
    form = await client.get(f"/admin/site/{SITE}/services/HT")
    answer = await client.post(f"/admin/site/{SITE}/services/HT",
                               {**fields, "csrf": form_token(form.body)})
    assert answer.status == 400
    assert "không có đối tượng ưu tiên &#39;XX&#39;" in answer.body
    # "Every group" with a box left unticked asks what was meant; nothing saved.
    fields.pop("priority_groups.XX")
    answer = await client.post(f"/admin/site/{SITE}/services/HT",
                               {**fields, "priority_groups": "all"})
    assert answer.status == 400
    assert "bỏ đánh dấu NCT" in answer.body
    assert server.service.configuration.version == 2
    # A group a service still takes cannot be removed: the reason names the service's key.
    form = await client.get(f"/admin/site/{SITE}/priority-groups/KT")
    answer = await client.post(f"/admin/site/{SITE}/priority-groups/KT/delete",
                               {"csrf": form_token(form.body)})
    assert answer.status == 400
    assert ("sites[0].services[0].priority_groups[0]: không có đối tượng ưu tiên "
            "&#39;KT&#39;") in answer.body
    assert server.service.configuration.version == 2
