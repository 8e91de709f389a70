"""The device object of the hello and snapshot replies: a device token's name and profile
(as configured now, so a changed profile reaches the device with the snapshot it takes after
config.changed), none for a server-wide admin token; hello's optional version, checked at the
edge and kept for the administration's device list."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from support.servers import ADMIN_TOKEN, KIOSK_TOKEN, SITE

from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient, RequestFailed


async def test_a_device_hears_its_profile_and_its_changes(server: RunningServer,
                                                          connect: Any) -> None:
    kiosk = await connect("kiosk", version="0.1.0")
    assert kiosk.hello_result["device"] == {"name": "kiosk", "profile": {}}
    admin = await connect("admin")
    assert "device" not in admin.hello_result
    configuration = server.service.configuration
    document = copy.deepcopy(configuration.document)
    token = next(item for item in document["sites"][0]["tokens"] if item["name"] == "kiosk")
    token.update(zone="T1", paper_width=58, printer="tcp://192.0.2.9:9100", language="en")
    await configuration.change(document, "test", "kiosk profile", confirmed=True)
    await kiosk.next_event("config.changed")
    snapshot = await kiosk.request("snapshot")
    assert snapshot["device"] == {"name": "kiosk", "profile": {
        "zone": "T1", "paper_width": 58, "printer": "tcp://192.0.2.9:9100", "language": "en"}}
    assert "device" not in await admin.request("snapshot")
    contact = next(item for item in server.service.devices.of_site(SITE)
                   if item.name == "kiosk")
    assert (contact.connected, contact.version, contact.address) == (True, "0.1.0",
                                                                     "127.0.0.1")


@pytest.mark.parametrize("version", ["", "x" * 33, "0.1\n"])
async def test_a_bad_version_is_refused_at_the_edge(server: RunningServer,
                                                    version: str) -> None:
    client = ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE, version=version)
    with pytest.raises(RequestFailed) as refused:
        await client.connect()
    await client.close()
    assert refused.value.code == "unauthorized"
    assert "version" in refused.value.message


async def test_an_admin_token_is_no_device(server: RunningServer) -> None:
    async with ProtocolClient(server.ws_url, "admin", ADMIN_TOKEN, SITE,
                              version="1.0") as admin:
        assert "device" not in admin.hello_result
    assert all(item.role != "admin" for item in server.service.devices.of_site(SITE))
