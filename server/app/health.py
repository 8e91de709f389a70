"""``/health``: a liveness answer for anyone, the details for whoever holds an admin token.

Unauthenticated, it says only ``ok`` (200), ``failed`` (503) or ``no_database_primary``
(503: PostgreSQL is failing over; the server serves what it holds and refuses changes until
a primary answers again): a load balancer or a service monitor needs no more, and site
codes, connection counts and event numbers are nobody else's business. With
``Authorization: Bearer <admin token>`` it adds the server, database, uptime, the reason of
a failure, and per site its ``seq``, business day and connections; on a centre's own server,
``upstream``: the forwarding of its events to the province (server.app.forwarder).
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from server import SERVER_NAME, __version__
from server.app.runtime import QueueService
from server.security import tokens_equal


def health_route(service: QueueService, database: str) -> Route:
    """The ``/health`` route for ``service`` (``database`` names the backend)."""
    started = time.monotonic()

    async def health(request: Request) -> JSONResponse:
        failure = service.failure
        problem = service.database_problem
        status = "failed" if failure else "no_database_primary" if problem else "ok"
        body: dict[str, Any] = {"status": status}
        if _holds_admin_token(service, request.headers.get("authorization", "")):
            body.update({
                "reason": failure or problem,
                "server": {"name": SERVER_NAME, "version": __version__},
                "database": database,
                "uptime_seconds": round(time.monotonic() - started, 1),
                "sites": [{"code": code, "seq": runtime.committed.seq,
                           "business_date": runtime.committed.business_date.isoformat(),
                           "connections": runtime.connections}
                          for code, runtime in service.sites.items()],
            })
            if service.forwarder is not None:
                # A centre's own server: how forwarding to the province goes.
                body["upstream"] = service.forwarder.status()
        return JSONResponse(body, status_code=200 if status == "ok" else 503,
                            headers={"cache-control": "no-store"})

    return Route("/health", health)


def _holds_admin_token(service: QueueService, authorization: str) -> bool:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    valid = False
    # Every token compared, so the time taken does not tell which one (nearly) matched.
    for admin_token in service.server.admin_tokens:
        valid |= tokens_equal(token.strip(), admin_token)
    return valid
