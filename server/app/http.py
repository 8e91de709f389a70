"""The ASGI application: the WebSocket endpoint and the HTTP pages on one port.

Why Starlette on uvicorn: the ``websockets`` library's own server answers GET only and closes
after each answer; the project also needs routing, static assets for the web display, report
downloads and room for outside systems' POSTs. uvicorn runs the WebSocket side on the
``websockets`` library (its sans-I/O implementation), Starlette routes the HTTP side.

``/ws`` is answered by a plain ASGI handler placed in front of Starlette: every event goes to
every display through it, and Starlette's WebSocket wrapper and middleware added a third to
the cost of each frame (measured with bench/server_bench.py).
"""

from __future__ import annotations

import logging
import time
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from server import SERVER_NAME, __version__
from server.app.frames import frame_sender
from server.app.runtime import QueueService
from server.app.session import Session
from server.app.status_page import render_status_page
from server.domain.commands import Rate
from server.domain.errors import DomainError
from server.domain.model import RatingSource
from server.store.database import StoreError

logger = logging.getLogger(__name__)

WEBSOCKET_PATH = "/ws"

Scope = dict[str, Any]
Message = dict[str, Any]


class QueueApplication:
    """ASGI entry: WebSocket ``/ws`` to :class:`Session`, everything else to Starlette."""

    def __init__(self, service: QueueService, database: str) -> None:
        self.service = service
        self.pages = _pages(service, database)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            if scope["path"] == WEBSOCKET_PATH:
                await self._websocket(receive, send)
            else:
                await send({"type": "websocket.close", "code": 1008, "reason": "not found"})
            return
        await self.pages(scope, receive, send)

    async def _websocket(self, receive: Any, send: Any) -> None:
        message: Message = await receive()
        if message["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})

        async def close(code: int, reason: str) -> None:
            try:
                await send({"type": "websocket.close", "code": code, "reason": reason})
            except (OSError, RuntimeError) as error:  # the peer has already gone
                logger.debug("close after disconnect: %s", error)

        session = Session(self.service, frame_sender(send), close)
        try:
            while not session.closing:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                await session.handle(text if text is not None else message.get("bytes") or b"")
        finally:
            await session.detach()


def _pages(service: QueueService, database: str) -> Starlette:
    started = time.monotonic()
    web_display = Path(str(resources.files("display").joinpath("web")))

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({
            "status": "ok",
            "server": {"name": SERVER_NAME, "version": __version__},
            "database": database,
            "uptime_seconds": round(time.monotonic() - started, 1),
            "sites": [{"code": code, "seq": runtime.committed.seq,
                       "business_date": runtime.committed.business_date.isoformat(),
                       "connections": runtime.connections}
                      for code, runtime in service.sites.items()],
        })

    async def display_page(request: Request) -> Response:
        index = web_display / "index.html"
        if not index.is_file():
            return PlainTextResponse("web display not installed", status_code=404)
        return FileResponse(index, media_type="text/html; charset=utf-8")

    async def ticket_status(request: Request) -> Response:
        return _status_response(request, note=None)

    async def rate_ticket(request: Request) -> Response:
        found = service.find_track(request.path_params["track"])
        if found is None:
            return _status_response(request, note=None)
        runtime, ticket = found
        body = (await request.body()).decode("utf-8", errors="replace")
        score_text = parse_qs(body).get("score", [""])[0]
        if not score_text.isdigit():
            return _status_response(request, note="Vui lòng chọn một mức đánh giá.",
                                    status_code=400)
        try:
            await runtime.execute(Rate(ticket.id, int(score_text), RatingSource.WEB))
        except DomainError as error:
            return _status_response(request, note=error.message, status_code=409)
        except StoreError:
            return _status_response(request, note="Chưa lưu được đánh giá, vui lòng thử lại.",
                                    status_code=503)
        return _status_response(request, note=None)

    def _status_response(request: Request, note: str | None,
                         status_code: int = 200) -> HTMLResponse:
        track = request.path_params["track"]
        found = service.find_track(track)
        if found is None:
            site = next(iter(service.sites.values())).settings
            return HTMLResponse(render_status_page(site, None, None, ""), status_code=404)
        runtime, ticket = found
        state = runtime.committed
        rating = state.ratings.get(ticket.id)
        page = render_status_page(runtime.settings, runtime.views.ticket(state, ticket),
                                  rating.score if rating else None, f"/t/{track}/rate", note)
        return HTMLResponse(page, status_code=status_code)

    return Starlette(routes=[
        Route("/health", health),
        Route("/display", display_page),
        Mount("/display/assets", app=StaticFiles(directory=web_display / "assets",
                                                 check_dir=False)),
        Route("/t/{track}", ticket_status),
        Route("/t/{track}/rate", rate_ticket, methods=["POST"]),
    ])


def create_app(service: QueueService, database: str) -> QueueApplication:
    """Build the application serving ``service``; ``database`` names the backend for /health."""
    return QueueApplication(service, database)
