"""The ASGI application: the WebSocket endpoint and the HTTP pages on one port.

Why Starlette on uvicorn: the ``websockets`` library's own server answers GET only and closes
after each answer; the project also needs routing, static assets for the web display, report
downloads and room for outside systems' POSTs. uvicorn runs the WebSocket side on the
``websockets`` library (its sans-I/O implementation), Starlette does the routing.
"""

from __future__ import annotations

import logging
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from server import SERVER_NAME, __version__
from server.app.runtime import QueueService
from server.app.session import Session

logger = logging.getLogger(__name__)


def create_app(service: QueueService, database: str) -> Starlette:
    """Build the application serving ``service``; ``database`` names the backend for /health."""
    started = time.monotonic()

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({
            "status": "ok",
            "server": {"name": SERVER_NAME, "version": __version__},
            "database": database,
            "uptime_seconds": round(time.monotonic() - started, 1),
            "sites": [{"code": code, "seq": runtime.committed.seq,
                       "business_date": runtime.committed.business_date.isoformat(),
                       "connections": len(runtime.subscribers)}
                      for code, runtime in service.sites.items()],
        })

    async def websocket_endpoint(websocket: WebSocket) -> None:
        await websocket.accept()

        async def close(code: int, reason: str) -> None:
            try:
                await websocket.close(code=code, reason=reason)
            except RuntimeError as error:  # already closed by the peer
                logger.debug("close after disconnect: %s", error)

        session = Session(service, websocket.send_text, close)
        try:
            while not session.closing:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                await session.handle(text if text is not None else message.get("bytes") or b"")
        except WebSocketDisconnect:
            pass
        finally:
            await session.detach()

    return Starlette(routes=[
        Route("/health", health),
        WebSocketRoute("/ws", websocket_endpoint),
    ])
