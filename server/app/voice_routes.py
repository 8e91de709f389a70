"""The web display's voice: which clips make up an announcement, and the clips themselves.

    GET /display/voice/announcement?ticket=A001&counter=Q03&counter_name=Quầy 3&kind=call
                                   [&lang=vi,en][&number_reading=words|digits]
        200 {"ticket": "A001", "counter": "3", "kind": "call",
             "sentences": [["chime"], ["vi/xin_moi_cong_dan_co_so_thu_tu", "vi/letter_a", ...]],
             "word_gap_ms": 60, "sentence_gap_ms": 450, "clip_base": "/display/voice/clips/"}
        400 {"error": "..."} for a missing, over-long or unreadable field
    GET /display/voice/clips/<clip>.wav      a clip of the shipped voice pack (audio/wav)

Why here: a smart TV has only its browser, so the page cannot render sound itself. Which clips
make up an announcement is decided once, in Python (``display.voice.phrases`` with the
counter read as ``display.counter_names.spoken_counter`` says), for the Qt display and the web
display alike; the page only fetches the clips named here and plays them in order, with these
gaps (display/web/assets/voice.js). The clips are the pack the Qt display ships with
(``display/voice/packs/default``); only names in its catalogue are served, so no other file
of the server can be asked for. Nothing here needs a token: the answers are a function of the
query and of files shipped with the software, and say nothing about the queue.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from display.counter_names import spoken_counter
from display.voice import (
    CATALOGUE,
    DEFAULT_PACK_DIRECTORY,
    Announcement,
    AnnouncementKind,
    VoiceError,
    announcement_clips,
    parse_voice_settings,
)
from display.voice.clips import clip_file

__all__ = ["ANNOUNCEMENT_PATH", "CLIPS_PATH", "voice_routes"]

ANNOUNCEMENT_PATH = "/display/voice/announcement"
CLIPS_PATH = "/display/voice/clips/"
# Ticket and counter codes are a few characters; a counter's name a few words.
_CODE_LIMIT = 32
_NAME_LIMIT = 200
# The pack's clips change only with the software: a TV may keep them for a day.
_CLIP_CACHE = "public, max-age=86400"


class _BadQuery(Exception):
    """A query refused with 400 and a message naming the field."""


def voice_routes(pack_directory: Path = DEFAULT_PACK_DIRECTORY) -> list[Route]:
    """The two routes above, serving the clips of the pack in ``pack_directory``."""

    async def announcement(request: Request) -> Response:
        try:
            body = _announcement_body(request)
        except _BadQuery as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse(body)

    async def clip(request: Request) -> Response:
        requested = str(request.path_params["clip"])
        name = requested.removesuffix(".wav")
        path = pack_directory / clip_file(name)
        # Only names of the catalogue: no other file of the server can be reached from here.
        if name == requested or name not in CATALOGUE or not path.is_file():
            return JSONResponse({"error": f"no clip {name!r}"}, status_code=404)
        return FileResponse(path, media_type="audio/wav",
                            headers={"Cache-Control": _CLIP_CACHE})

    return [
        Route(ANNOUNCEMENT_PATH, announcement),
        Route(CLIPS_PATH + "{clip:path}", clip),
    ]


def _field(request: Request, name: str, limit: int, *, required: bool = True) -> str:
    value = request.query_params.get(name, "").strip()
    if required and not value:
        raise _BadQuery(f"field {name!r} is required")
    if len(value) > limit:
        raise _BadQuery(f"field {name!r} is longer than {limit} characters")
    return value


def _announcement_body(request: Request) -> dict[str, object]:
    """The answer to ``GET /display/voice/announcement`` (see the module docstring)."""
    ticket = _field(request, "ticket", _CODE_LIMIT)
    counter = _field(request, "counter", _CODE_LIMIT)
    counter_name = _field(request, "counter_name", _NAME_LIMIT, required=False)
    kind_text = request.query_params.get("kind", AnnouncementKind.CALL.value)
    try:
        kind = AnnouncementKind(kind_text)
    except ValueError:
        raise _BadQuery(f"field 'kind' must be call or recall, got {kind_text[:20]!r}") from None
    raw: dict[str, object] = {}  # the Qt display's --lang and --number-reading, same checks
    languages = _field(request, "lang", _CODE_LIMIT, required=False)
    if languages:
        raw["languages"] = list(dict.fromkeys(part.strip() for part in languages.split(",")))
    reading = _field(request, "number_reading", _CODE_LIMIT, required=False)
    if reading:
        raw["ticket_reading"] = reading
    spoken = Announcement(ticket, spoken_counter(counter, counter_name), kind)
    try:
        settings = parse_voice_settings(raw)
        sentences = announcement_clips(spoken, settings.phrases)
    except VoiceError as error:
        raise _BadQuery(str(error)) from error
    return {"ticket": spoken.ticket, "counter": spoken.counter, "kind": spoken.kind.value,
            "sentences": sentences, "word_gap_ms": settings.word_gap_ms,
            "sentence_gap_ms": settings.sentence_gap_ms, "clip_base": CLIPS_PATH}
