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
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from server import SERVER_NAME, __version__
from server.app.runtime import QueueService
from server.app.session import Session

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

        async def send_text(text: str) -> None:
            await send({"type": "websocket.send", "text": text})

        async def close(code: int, reason: str) -> None:
            try:
                await send({"type": "websocket.close", "code": code, "reason": reason})
            except (OSError, RuntimeError) as error:  # the peer has already gone
                logger.debug("close after disconnect: %s", error)

        session = Session(self.service, send_text, close)
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

    return Starlette(routes=[Route("/health", health)])


def create_app(service: QueueService, database: str) -> QueueApplication:
    """Build the application serving ``service``; ``database`` names the backend for /health."""
    return QueueApplication(service, database)
