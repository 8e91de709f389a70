"""The web display's voice routes: the clips of an announcement, the same as the Qt display
renders, and the clip files of the shipped pack (and nothing else)."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest

from display.announcing import announcement_for
from display.board import Call, CallKind
from display.voice import DEFAULT_PACK_DIRECTORY, AnnouncementRenderer, VoicePack
from display.voice.phrases import PhraseSettings
from server.app.serve import RunningServer


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get("content-type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("content-type", ""), error.read()


async def get(server: RunningServer, path: str, **query: str) -> tuple[int, str, bytes]:
    url = f"{server.http_url}{path}" + (f"?{urlencode(query)}" if query else "")
    return await asyncio.to_thread(_get, url)


async def get_json(server: RunningServer, path: str, **query: str) -> tuple[int, object]:
    status, _, body = await get(server, path, **query)
    return status, json.loads(body)


async def test_a_call_is_the_clips_the_qt_display_would_play(server: RunningServer) -> None:
    status, body = await get_json(server, "/display/voice/announcement", ticket="A001",
                                  counter="Q03", counter_name="Quầy 3 - Hộ tịch", kind="call")
    assert status == 200
    assert body == {
        "ticket": "A001", "counter": "3", "kind": "call",
        "sentences": [["chime"], ["vi/xin_moi_cong_dan_co_so_thu_tu", "vi/letter_a", "vi/mot",
                                  "vi/den_quay_so", "vi/ba"]],
        "word_gap_ms": 60, "sentence_gap_ms": 450, "clip_base": "/display/voice/clips/"}
    # The same list the Qt display renders from the same call.
    call = Call("id", "A001", "Q03", "Quầy 3 - Hộ tịch", "HT", "", "", CallKind.CALL)
    renderer = AnnouncementRenderer(VoicePack.load(DEFAULT_PACK_DIRECTORY), PhraseSettings())
    assert isinstance(body, dict) and body["sentences"] == renderer.clips(announcement_for(call))


async def test_recall_languages_and_digit_reading(server: RunningServer) -> None:
    status, body = await get_json(server, "/display/voice/announcement", ticket="1005",
                                  counter="12", kind="recall", lang="vi,en",
                                  number_reading="digits")
    assert status == 200 and isinstance(body, dict)
    assert body["sentences"] == [
        ["chime"],
        ["vi/nhac_lai", "vi/xin_moi_cong_dan_co_so_thu_tu", "vi/mot", "vi/khong", "vi/khong",
         "vi/nam", "vi/den_quay_so", "vi/muoi", "vi/hai"],
        ["en/once_again", "en/ticket_number", "en/one", "en/zero", "en/zero", "en/five",
         "en/please_go_to_counter", "en/twelve"]]


@pytest.mark.parametrize(("query", "message"), [
    ({"counter": "3"}, "'ticket' is required"),
    ({"ticket": "A001"}, "'counter' is required"),
    ({"ticket": "A" * 40, "counter": "3"}, "longer than 32"),
    ({"ticket": "A001", "counter": "3", "kind": "shout"}, "call or recall"),
    ({"ticket": "A001", "counter": "3", "lang": "fr"}, "languages"),
    ({"ticket": "A001", "counter": "3", "number_reading": "roman"}, "ticket_reading"),
    ({"ticket": "Ă001", "counter": "3"}, "cannot read"),
])
async def test_bad_queries_are_refused_naming_the_field(
    server: RunningServer, query: dict[str, str], message: str
) -> None:
    status, body = await get_json(server, "/display/voice/announcement", **query)
    assert status == 400 and isinstance(body, dict) and message in body["error"]


async def test_the_clips_are_the_shipped_pack_files(server: RunningServer) -> None:
    status, kind, body = await get(server, "/display/voice/clips/vi/mot.wav")
    assert (status, kind) == (200, "audio/wav")
    assert body == (DEFAULT_PACK_DIRECTORY / "vi" / "mot.wav").read_bytes()
    status, _, body = await get(server, "/display/voice/clips/chime.wav")
    assert status == 200 and body == (DEFAULT_PACK_DIRECTORY / "chime.wav").read_bytes()


@pytest.mark.parametrize("path", ["vi/nothing.wav", "pack.toml", "../pack.toml",
                                  "%2e%2e/%2e%2e/__init__.py", "vi/mot.txt", "vi/mot"])
async def test_nothing_but_catalogue_clips_is_served(server: RunningServer, path: str) -> None:
    status, _, _ = await get(server, f"/display/voice/clips/{path}")
    assert status == 404
