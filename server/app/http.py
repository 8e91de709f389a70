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
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    PlainTextResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from server.app.enrolment import Enrolment, enrol_routes
from server.app.frames import frame_sender
from server.app.health import health_route
from server.app.runtime import QueueService
from server.app.security_headers import with_security_headers
from server.app.session import Session
from server.app.ticket_pages import ticket_routes
from server.app.voice_routes import voice_routes
from server.web.admin.devices import device_routes
from server.web.admin.feedback_poster import feedback_poster_routes
from server.web.admin.pages import admin_routes
from server.web.audit import audit_routes
from server.web.auth import auth_routes
from server.web.booking import booking_routes
from server.web.feedback import feedback_routes
from server.web.feedback_inbox import feedback_inbox_routes
from server.web.manage import manage_routes
from server.web.reports import report_routes

logger = logging.getLogger(__name__)

WEBSOCKET_PATH = "/ws"

Scope = dict[str, Any]
Message = dict[str, Any]


class QueueApplication:
    """ASGI entry: WebSocket ``/ws`` to :class:`Session`, everything else to Starlette (with
    the security headers on every answer)."""

    def __init__(self, service: QueueService, database: str) -> None:
        self.service = service
        self.pages = with_security_headers(_pages(service, database))

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            if scope["path"] == WEBSOCKET_PATH:
                await self._websocket(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 1008, "reason": "not found"})
            return
        await self.pages(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Any, send: Any) -> None:
        message: Message = await receive()
        if message["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})

        async def close(code: int, reason: str) -> None:
            try:
                await send({"type": "websocket.close", "code": code, "reason": reason})
            except (OSError, RuntimeError) as error:  # the peer has already gone
                logger.debug("close after disconnect: %s", error)

        client = scope.get("client")
        session = Session(self.service, frame_sender(send), close,
                          str(client[0]) if client else "unknown")
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
    web_display = Path(str(resources.files("display").joinpath("web")))
    static = Path(str(resources.files("server.web").joinpath("static")))
    enrolment = Enrolment(service)

    async def display_page(request: Request) -> Response:
        index = web_display / "index.html"
        if not index.is_file():
            return PlainTextResponse("web display not installed", status_code=404)
        return FileResponse(index, media_type="text/html; charset=utf-8")

    async def favicon(request: Request) -> Response:
        # Browsers ask every site for one; a 404 in a phone's console is noise to everyone.
        return FileResponse(static / "favicon.png", media_type="image/png",
                            headers={"cache-control": "public, max-age=86400"})

    application = Starlette(routes=[
        health_route(service, database),
        Route("/favicon.ico", favicon),
        Route("/display", display_page),
        Mount("/display/assets", app=StaticFiles(directory=web_display / "assets",
                                                 check_dir=False)),
        Mount("/static", app=StaticFiles(directory=static, check_dir=False)),
        *ticket_routes(service),
        *voice_routes(),
        *auth_routes(service),
        *manage_routes(service),
        *report_routes(service),
        *feedback_routes(service),
        *booking_routes(service),
        *feedback_inbox_routes(service),
        *audit_routes(service),
        *enrol_routes(service, enrolment),
        *device_routes(service, enrolment),  # before the sections' /admin/site/{code}/...
        *feedback_poster_routes(service),  # so too
        *admin_routes(service),
    ])
    # No redirect of "/path/" to "/path": Starlette builds it from the request's Host
    # header, which the client chooses, so it would send people to any address named there.
    application.router.redirect_slashes = False
    return application


def create_app(service: QueueService, database: str) -> QueueApplication:
    """Build the application serving ``service``; ``database`` names the backend for /health."""
    return QueueApplication(service, database)
