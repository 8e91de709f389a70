"""The configuration lives in the database: seeded from the file the first time, changed
live (a site added, a counter renamed, a site removed), every version kept and restorable."""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import pytest
from support.servers import DISPLAY_TOKEN, KIOSK_TOKEN, SITE, site_config
from support.web import OTHER_SITE, two_sites

from server.app.configuration import ChangedMeanwhile, ChangeRefused, ConfirmationNeeded
from server.app.serve import RunningServer, start_server
from server.config import ConfigError, parse_settings
from server.protocol.client import ProtocolClient, RequestFailed
from server.store.configuration import ConfigurationStore


def document_of(server: RunningServer) -> dict[str, Any]:
    return copy.deepcopy(server.service.configuration.document)


async def test_the_file_seeds_the_database_once(tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    url = f"sqlite:///{tmp_path / 'q.db'}"
    first = await start_server(parse_settings(site_config()), host="127.0.0.1", port=0,
                               database_url=url)
    try:
        assert first.service.configuration.version == 1
        document = document_of(first)
        document["sites"][0]["notice"] = "Đổi từ trang quản trị"
        assert await first.service.configuration.change(document, "quantri", "thông báo") == 2
    finally:
        await first.stop()
    edited = site_config()
    edited["sites"][0]["notice"] = "Sửa trong tệp"  # the file changed meanwhile
    second = await start_server(parse_settings(edited), host="127.0.0.1", port=0,
                                database_url=url)
    try:
        assert second.service.configuration.version == 2
        assert second.service.sites[SITE].settings.notice == "Đổi từ trang quản trị"
        assert any("the file gives only its [server] table now" in record.getMessage()
                   for record in caplog.records)
    finally:
        await second.stop()


async def test_a_counter_renamed_reaches_a_display(server: RunningServer) -> None:
    async with ProtocolClient(server.ws_url, "display", DISPLAY_TOKEN, SITE,
                              subscribe=["config.", "counter."]) as display:
        document = document_of(server)
        document["sites"][0]["counters"][2]["name"] = "Quầy Hộ tịch"
        await server.service.configuration.change(document, "quantri", "đổi tên quầy 3")
        await display.next_event("config.changed")
        counters = (await display.request("snapshot"))["state"]["counters"]
        assert {item["code"]: item["name"] for item in counters}["3"] == "Quầy Hộ tịch"


async def test_a_site_added_and_removed_live(server: RunningServer) -> None:
    document = document_of(server)
    commune = copy.deepcopy(document["sites"][0])
    commune["code"] = "xa-moi"
    commune["name_vi"] = "Xã mới"
    commune["tokens"] = [{"name": "ki-ốt xã", "role": "kiosk", "token": "xa-moi-kiosk-0001"}]
    document["sites"].append(commune)
    await server.service.configuration.change(document, "tinh", "thêm xã")
    async with ProtocolClient(server.ws_url, "kiosk", "xa-moi-kiosk-0001", None) as kiosk:
        ticket = (await kiosk.request("issue", service="HT", request_key="x"))["ticket"]
        assert ticket["id"].startswith("xa-moi:")
        # A site with a day under way cannot be removed.
        without = document_of(server)
        without["sites"] = [site for site in without["sites"] if site["code"] != "xa-moi"]
        with pytest.raises(ChangeRefused):
            await server.service.configuration.change(without, "tinh", "bỏ xã")
        assert "xa-moi" in server.service.sites


async def test_changes_are_validated_weighed_and_restorable(server: RunningServer) -> None:
    configuration = server.service.configuration
    document = document_of(server)
    document["sites"][0]["counters"][0]["services"] = ["NO-SUCH"]
    with pytest.raises(ConfigError) as invalid:
        await configuration.change(document, "quantri", "sai")
    assert invalid.value.key == "sites[0].counters[0].services[0]"
    document = document_of(server)
    document["sites"][0]["tokens"] = [token for token in document["sites"][0]["tokens"]
                                      if token["role"] != "display"]
    with pytest.raises(ConfirmationNeeded):
        await configuration.change(document, "quantri", "thu hồi màn hình")
    assert configuration.version == 1
    assert await configuration.change(document, "quantri", "thu hồi", confirmed=True) == 2
    with pytest.raises(RequestFailed):
        async with ProtocolClient(server.ws_url, "display", DISPLAY_TOKEN, SITE):
            pass
    restored = await configuration.restore(1, "tinh", confirmed=True)
    assert restored == 3
    async with ProtocolClient(server.ws_url, "display", DISPLAY_TOKEN, SITE) as display:
        assert display.hello_result["role"] == "display"
    history = await configuration.history()
    assert [(item.version, item.author) for item in history] == [
        (3, "tinh"), (2, "quantri"), (1, "seed")]
    assert history[0].comment == "restored version 1"


@pytest.mark.parametrize("settings", [parse_settings(two_sites())], ids=["two sites"])
async def test_only_the_sites_a_change_touches_hear_of_it(server: RunningServer) -> None:
    here = ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE)
    there = ProtocolClient(server.ws_url, "kiosk", "xa-kiosk-token-0001", OTHER_SITE)
    await here.connect()
    await there.connect()
    configuration = server.service.configuration

    def rename(document: dict[str, Any]) -> None:
        site = next(item for item in document["sites"] if item["code"] == OTHER_SITE)
        site["name_vi"] = "Bộ phận Một cửa xã Tân An"

    version = await configuration.edit(rename, "test", "rename the commune")
    changed = await there.next_event("config.changed")
    assert changed.data == {"version": version}
    # The first site's kiosk heard nothing: the next event it gets is its own ticket's.
    await here.request("issue", service="HT", request_key="after")
    assert (await here.next_event()).event == "ticket.issued"
    await here.close()
    await there.close()


async def test_a_change_prepared_before_another_is_refused_not_lost(
        server: RunningServer) -> None:
    configuration = server.service.configuration
    before = configuration.version
    stale = copy.deepcopy(configuration.document)
    stale["sites"][0]["notice"] = "Thông báo cũ"

    def notice(document: dict[str, Any]) -> None:
        document["sites"][0]["ticket_footer"] = "Xin cảm ơn!"

    await configuration.edit(notice, "other admin", "footer")
    with pytest.raises(ChangedMeanwhile):
        await configuration.change(stale, "late admin", "notice", based_on=before)
    assert configuration.document["sites"][0]["ticket_footer"] == "Xin cảm ơn!"
    assert configuration.document["sites"][0].get("notice", "") != "Thông báo cũ"


async def test_a_process_that_loses_the_race_to_seed_takes_the_saved_version(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Several processes started at once on a new database each find no configuration and
    each save the file as version 1; one wins, and the others must take what it saved
    instead of failing on the duplicate version."""
    url = f"sqlite:///{tmp_path / 'q.db'}"
    winner_config = site_config()
    winner_config["sites"][0]["notice"] = "Tệp của tiến trình thắng"
    winner = await start_server(parse_settings(winner_config), host="127.0.0.1", port=0,
                                database_url=url)
    await winner.stop()
    # The loser read "no configuration yet" just before the winner's version 1 was saved.
    original = ConfigurationStore.latest
    calls: list[int] = []

    def latest_after_the_race(store: ConfigurationStore) -> Any:
        calls.append(1)
        return None if len(calls) == 1 else original(store)

    monkeypatch.setattr(ConfigurationStore, "latest", latest_after_the_race)
    loser = await start_server(parse_settings(site_config()), host="127.0.0.1", port=0,
                               database_url=url)
    try:
        assert len(calls) >= 2
        assert loser.service.configuration.version == 1
        assert loser.service.sites[SITE].settings.notice == "Tệp của tiến trình thắng"
    finally:
        await loser.stop()
