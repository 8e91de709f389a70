"""A counter PC follows its profile on the server: the counter it opens at and its language
come in every hello and snapshot and are applied while nobody is logged in, never under an
officer; options fix them; an enrolled PC starts from its stored settings."""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any

from support.servers import COUNTER_TOKEN

from counter.models import CounterScreenModel
from counter.settings import Language, parse_settings
from counter.updates import SessionStarted
from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient
from server.protocol.enrolment_client import DeviceSettings, save, settings_path

NOW = datetime(2026, 11, 23, 8, 0).astimezone()


async def set_profile(server: RunningServer, **profile: str) -> None:
    configuration = server.service.configuration
    document = copy.deepcopy(configuration.document)
    token = next(item for item in document["sites"][0]["tokens"] if item["name"] == "counter")
    for key, value in profile.items():
        if value:
            token[key] = value
        else:
            token.pop(key, None)
    await configuration.change(document, "test", "counter profile", confirmed=True)


async def hello(server: RunningServer) -> dict[str, Any]:
    async with ProtocolClient(server.ws_url, "counter", COUNTER_TOKEN, None) as client:
        return client.hello_result


async def test_the_profile_is_followed_while_nobody_is_logged_in(server: RunningServer) -> None:
    await set_profile(server, counter="2", language="en")
    result = await hello(server)
    assert result["device"] == {"name": "counter",
                                "profile": {"counter": "2", "language": "en"}}
    started = SessionStarted(result["state"], result["seq"], device=result["device"])

    model = CounterScreenModel(Language.VIETNAMESE, None)
    model.apply(started, NOW)
    assert (model.preferred_counter, model.language) == ("2", Language.ENGLISH)

    at_work = CounterScreenModel(Language.VIETNAMESE, "1")
    at_work.user = "lan"
    at_work.apply(started, NOW)
    assert (at_work.preferred_counter, at_work.language) == ("1", Language.VIETNAMESE)

    fixed = CounterScreenModel(Language.VIETNAMESE, "3", frozenset({"counter", "language"}))
    fixed.apply(started, NOW)
    assert (fixed.preferred_counter, fixed.language) == ("3", Language.VIETNAMESE)

    # The profile taken back: the PC's own again.
    await set_profile(server, counter="", language="")
    token = next(item for item in server.service.configuration.document["sites"][0]["tokens"]
                 if item["name"] == "counter")
    assert "counter" not in token
    result = await hello(server)
    assert result["device"] == {"name": "counter", "profile": {}}
    model.apply(SessionStarted(result["state"], result["seq"], device=result["device"]), NOW)
    assert (model.preferred_counter, model.language) == (None, Language.VIETNAMESE)


def test_an_enrolled_counter_pc_starts_from_its_stored_settings(tmp_path: Path) -> None:
    environment = {"XDG_CONFIG_HOME": str(tmp_path)}
    save(DeviceSettings("ws://10.0.0.5:8765/ws", "hcc-tinh", "counter", "counter-token-9",
                        "Quầy 1", {"counter": "Q01", "language": "en"}),
         settings_path("counter", environment))
    settings = parse_settings([], environment)
    assert (settings.connection.server_url, settings.connection.token,
            settings.connection.site) == ("ws://10.0.0.5:8765/ws", "counter-token-9",
                                          "hcc-tinh")
    assert (settings.counter, settings.connection.language) == ("Q01", Language.ENGLISH)
    assert settings.overridden == frozenset()
    settings = parse_settings(["--counter", "Q02", "--lang", "vi"], environment)
    assert (settings.counter, settings.connection.language) == ("Q02", Language.VIETNAMESE)
    assert settings.overridden == {"counter", "language"}
