"""The ticket status page behind the QR code (``/t/{track}``) and rating from it.

Who may rate: only the person holding the ticket. The QR link carries, besides the tracking
code, the ticket's rating key (``?k=``), which only the kiosk that took the number is ever
told (server.app.audience); the rating form sends it back. A rating posted from another
site's page (``Origin`` or ``Sec-Fetch-Site`` saying so) is refused. Every bad input is
answered 400 (or 403, 413) with a plain message; nothing is changed by it.
"""

from __future__ import annotations

import logging
import re

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from server.app.runtime import QueueService
from server.app.status_page import render_status_page
from server.domain.commands import Rate
from server.domain.errors import DomainError
from server.domain.model import RatingSource
from server.security import rating_key, tokens_equal
from server.store.database import StoreError
from server.web.access import at_its_owner
from server.web.forms import FormRefused, read_form

logger = logging.getLogger(__name__)

# A rating form is a score and a key: anything much longer is not ours.
RATE_BODY_LIMIT = 1024
_SCORE = re.compile(r"[0-9]{1,3}")  # ASCII digits only: str.isdigit() takes "²" and "٣"


def ticket_routes(service: QueueService) -> list[Route]:
    """``GET /t/{track}`` and ``POST /t/{track}/rate``."""

    async def ticket_status(request: Request) -> Response:
        return await _at_its_owner(request) or _status_response(request, note=None)

    async def rate_ticket(request: Request) -> Response:
        found = service.find_track(request.path_params["track"])
        if found is None:
            return await _at_its_owner(request) or _status_response(request, note=None)
        runtime, ticket = found
        key: str | None = None
        try:
            form = await read_form(request, service.server.public_url, RATE_BODY_LIMIT)
            key, score_text = form.get("k", ""), form.get("score", "")
            if not tokens_equal(key, rating_key(service.server.secret, ticket.id)):
                key = None
                raise FormRefused(403, "Quét mã QR trên phiếu để đánh giá. / Scan the QR code "
                                       "on your ticket to rate.")
            if not _SCORE.fullmatch(score_text):
                raise FormRefused(400, "Vui lòng chọn một mức đánh giá. / Please choose a "
                                       "rating.")
            await runtime.execute(Rate(ticket.id, int(score_text), RatingSource.WEB))
        except FormRefused as refused:
            logger.info("rating form for %s from %s refused: %s", ticket.number,
                        request.client.host if request.client else "?", refused.message)
            return _status_response(request, refused.message, refused.status_code, key)
        except DomainError as error:
            return _status_response(request, error.message, 409, key)
        except StoreError:
            return _status_response(request, "Chưa lưu được đánh giá, vui lòng thử lại. / "
                                             "The rating could not be saved, try again.", 503,
                                    key)
        return _status_response(request, None, 200, key)

    async def _at_its_owner(request: Request) -> Response | None:
        """With several processes: the same page (307: a rating form keeps its method and
        body) at the process serving the ticket's site, when it is another one."""
        track = request.path_params["track"]
        if service.ownership is None or service.find_track(track) is not None:
            return None
        site = await service.remote_tracks.site_of(track)
        return None if site is None else await at_its_owner(service, request, site)

    def _status_response(request: Request, note: str | None, status_code: int = 200,
                         key: str | None = None) -> Response:
        """The page; ``key`` is a rating key already checked (a form just posted), else the
        one in the link's query is checked here."""
        track = request.path_params["track"]
        found = service.find_track(track)
        headers = {"cache-control": "no-store"}
        if found is None:
            # Named after the first site: a process of several may serve none right now.
            site = next(iter(service.site_settings.values()), None)
            return HTMLResponse(render_status_page(site, None, None, ""), status_code=404,
                                headers=headers)
        runtime, ticket = found
        state = runtime.committed
        rating = state.ratings.get(ticket.id)
        if key is None:
            given = request.query_params.get("k", "")
            key = given if given and tokens_equal(
                given, rating_key(service.server.secret, ticket.id)) else None
        page = render_status_page(runtime.settings, runtime.views.ticket(state, ticket),
                                  rating.score if rating else None, f"/t/{track}/rate", note,
                                  key, len(state.queues.get(ticket.service, ())))
        return HTMLResponse(page, status_code=status_code, headers=headers)

    return [Route("/t/{track}", ticket_status),
            Route("/t/{track}/rate", rate_ticket, methods=["POST"])]
