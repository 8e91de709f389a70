"""Each role is refused what it may not do; a counter acts only for its own counter."""

from __future__ import annotations

from typing import Any

import pytest
from support.servers import PASSWORD, table_counts

from server.config.settings import Role
from server.protocol.client import RequestFailed

# One request of every type a client may send (hello aside), with well-formed fields.
EVERY_REQUEST: dict[str, dict[str, Any]] = {
    "snapshot": {}, "ticket": {"number": "A001"}, "resume": {"after": 0},
    "issue": {"service": "HT", "request_key": "k"}, "rate": {"ticket_id": "x", "score": 4},
    "cancel": {"ticket_id": "x"},
    "device_status": {"device": "kiosk-1/printer", "kind": "printer", "status": "ok"},
    "queue": {}, "counter_stats": {}, "devices": {},
    "login": {"counter": "1", "user": "lan", "password": PASSWORD}, "logout": {},
    "call_next": {}, "call": {"number": "A001"}, "recall": {}, "start": {}, "no_show": {},
    "finish": {}, "transfer": {"service": "HT"}, "pause": {}, "resume_counter": {},
    "change_password": {"current_password": PASSWORD, "new_password": "mat-khau-moi-2"},
    "check_in": {"code": "ABCD-2345", "request_key": "k"},
    "bookings": {"id_number": "001051012345"},
    "forward": {"site": "hcc-test", "events": []},
}
ALLOWED: dict[str, set[str]] = {
    "display": {"snapshot", "ticket", "resume"},
    "kiosk": {"snapshot", "ticket", "resume", "issue", "rate", "device_status", "check_in",
              "bookings"},
    "counter": set(EVERY_REQUEST) - {"issue", "cancel", "check_in", "bookings", "forward"},
    "bridge": set(EVERY_REQUEST) - {"issue", "cancel", "change_password", "check_in",
                                    "bookings", "forward"},
}
FORBIDDEN = [(role, request_type) for role, allowed in ALLOWED.items()
             for request_type in EVERY_REQUEST if request_type not in allowed]


def test_the_matrix_covers_every_request_type_the_server_knows() -> None:
    from server.app.session import _PERMISSIONS

    assert set(EVERY_REQUEST) == set(_PERMISSIONS)
    for role, allowed in ALLOWED.items():
        assert allowed == {name for name, roles in _PERMISSIONS.items()
                           if Role(role) in roles}


@pytest.mark.parametrize(("role", "request_type"), FORBIDDEN)
async def test_role_is_forbidden(connect: Any, database_path: Any, role: str,
                                 request_type: str) -> None:
    client = await connect(role)
    before = table_counts(database_path)
    with pytest.raises(RequestFailed) as refused:
        await client.request(request_type, **EVERY_REQUEST[request_type])
    assert refused.value.code == "forbidden"
    assert f"a {role} connection may not {request_type}" in refused.value.message
    assert table_counts(database_path) == before
    # Refused, not dropped: the connection still reads.
    assert "state" in await client.request("snapshot")


async def test_every_role_may_read(connect: Any) -> None:
    for role in ("kiosk", "counter", "display", "admin", "bridge"):
        client = await connect(role)
        assert (await client.request("snapshot"))["state"]["site"]["code"] == "hcc-test"


async def test_counter_must_log_in_with_a_valid_password_first(connect: Any) -> None:
    counter = await connect("counter")
    with pytest.raises(RequestFailed) as before_login:
        await counter.request("call_next")
    assert before_login.value.code == "unauthorized"
    with pytest.raises(RequestFailed) as wrong:
        await counter.request("login", counter="1", user="lan", password="sai-mat-khau")
    assert wrong.value.code == "unauthorized"
    with pytest.raises(RequestFailed) as missing:
        await counter.request("login", counter="1", user="lan")
    assert missing.value.code == "bad_request"
    with pytest.raises(RequestFailed) as not_assigned:
        await counter.request("login", counter="3", user="lan", password=PASSWORD)
    assert not_assigned.value.code == "forbidden"
    result = await counter.request("login", counter="1", user="lan", password=PASSWORD)
    assert result["counter"]["status"] == "open"
    assert result["counter"]["officer_name"] == "Nguyễn Thị Lan"


async def test_counter_acts_only_for_its_own_counter(connect: Any) -> None:
    kiosk = await connect("kiosk")
    lan = await connect("counter")
    await lan.request("login", counter="1", user="lan", password=PASSWORD)
    await kiosk.request("issue", service="DD-TRA", request_key="k")
    with pytest.raises(RequestFailed) as other_counter:
        await lan.request("call_next", as_counter="2")
    assert other_counter.value.code == "forbidden"
    ticket = (await lan.request("call_next"))["ticket"]
    assert ticket["counter"] == "1"


async def test_connection_loses_its_counter_when_another_officer_takes_over(
    connect: Any
) -> None:
    lan = await connect("counter")
    minh = await connect("counter")
    await lan.request("login", counter="1", user="lan", password=PASSWORD)
    await minh.request("login", counter="1", user="minh", password=PASSWORD)
    with pytest.raises(RequestFailed) as replaced:
        await lan.request("pause")
    assert replaced.value.code == "forbidden"
    assert "no longer logged in at counter 1" in replaced.value.message


async def test_admin_may_act_as_any_role(connect: Any) -> None:
    admin = await connect("admin")
    ticket = (await admin.request("issue", service="HT", request_key="k"))["ticket"]
    bridge = await connect("admin")
    with pytest.raises(RequestFailed) as unnamed:
        await bridge.request("call_next")
    assert unnamed.value.code == "bad_request"
    assert "as_counter" in unnamed.value.message
    # No officer password for an admin; the login binds the counter to the connection.
    await admin.request("login", counter="3")
    called = (await admin.request("call_next"))["ticket"]
    assert called["id"] == ticket["id"]
    case_code = "000.00.01.H01-261122-0001"
    finished = await admin.request("finish", as_counter="3", case_code=case_code)
    assert finished["ticket"]["status"] == "done"
    rating = (await admin.request("rate", ticket_id=ticket["id"], score=3))["rating"]
    assert rating["label"] == "Hài lòng"
    assert rating["case_code"] == case_code
    with pytest.raises(RequestFailed) as twice:
        await admin.request("rate", ticket_id=ticket["id"], score=4)
    assert twice.value.code == "conflict"


async def test_admin_may_cancel(connect: Any) -> None:
    kiosk = await connect("kiosk")
    admin = await connect("admin")
    ticket = (await kiosk.request("issue", service="HT", request_key="k"))["ticket"]
    cancelled = (await admin.request("cancel", ticket_id=ticket["id"]))["ticket"]
    assert cancelled["status"] == "cancelled"


async def test_a_kiosk_may_not_rate_without_a_kiosk_rating_screen(
    connect: Any, database_path: Any
) -> None:
    kiosk = await connect("kiosk")
    admin = await connect("admin")
    ticket = (await kiosk.request("issue", service="HT", request_key="k"))["ticket"]
    await admin.request("login", counter="3")
    await admin.request("call_next")
    await admin.request("finish", as_counter="3")
    before = table_counts(database_path)
    with pytest.raises(RequestFailed) as refused:
        await kiosk.request("rate", ticket_id=ticket["id"], score=1)
    assert refused.value.code == "forbidden"
    assert "kiosk_rating" in refused.value.message
    assert table_counts(database_path) == before


async def test_a_bridge_acts_only_for_the_counters_its_token_lists(
    connect: Any, database_path: Any
) -> None:
    kiosk = await connect("kiosk")
    bridge = await connect("bridge")
    ticket = (await kiosk.request("issue", service="HT", request_key="k"))["ticket"]
    # Counter 3 is not in the bridge token's list: every way of acting there is refused.
    before = table_counts(database_path)
    for request_type, fields in (("login", {"counter": "3"}),
                                 ("call_next", {"as_counter": "3"}),
                                 ("pause", {"as_counter": "3"}),
                                 ("queue", {"as_counter": "3"}),
                                 ("device_status", {"device": "pad-3", "kind": "rating_pad",
                                                    "status": "ok", "counter": "3"})):
        with pytest.raises(RequestFailed) as refused:
            await bridge.request(request_type, **fields)
        assert refused.value.code == "forbidden", request_type
        assert "counters 1, 2" in refused.value.message
    assert table_counts(database_path) == before
    with pytest.raises(RequestFailed) as unnamed:
        await bridge.request("call_next")
    assert unnamed.value.code == "bad_request"
    # Its own counter: opened without an officer password, called, finished and rated from
    # the pad within the window.
    await bridge.request("login", counter="2")
    called = (await bridge.request("call_next", as_counter="2"))["ticket"]
    assert called["id"] == ticket["id"]
    await bridge.request("finish", as_counter="2")
    rating = (await bridge.request("rate", ticket_id=ticket["id"], score=4,
                                   as_counter="2"))["rating"]
    assert (rating["source"], rating["counter"]) == ("counter", "2")
    # What a bridge may never do, whatever counter it names.
    for request_type, fields in (("issue", {"service": "HT", "request_key": "b"}),
                                 ("cancel", {"ticket_id": ticket["id"]})):
        with pytest.raises(RequestFailed) as forbidden:
            await bridge.request(request_type, **fields)
        assert forbidden.value.code == "forbidden"


async def test_a_device_token_names_its_site_so_hello_may_leave_it_out(connect: Any) -> None:
    display = await connect("display", site=None)
    assert display.hello_result["site"] == "hcc-test"
    assert display.hello_result["state"]["site"]["code"] == "hcc-test"


async def test_a_server_wide_admin_token_needs_the_site(server: Any) -> None:
    from support.servers import ADMIN_TOKEN

    from server.protocol.client import ProtocolClient

    admin = ProtocolClient(server.ws_url, "admin", ADMIN_TOKEN, None)
    with pytest.raises(RequestFailed) as refused:
        await admin.connect()
    assert refused.value.code == "unauthorized"
    assert "needs field 'site'" in refused.value.message
    await admin.close()
