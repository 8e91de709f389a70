"""The feedback QR poster of a site (``/admin/site/{code}/feedback-poster``): one printable A4
page with the centre's name, a large QR code of the feedback form's address for that site
(``{public_url}/gop-y?site=CODE``), the address itself, and a line saying what to do, in
Vietnamese and English. The QR code is inline SVG (server.web.admin.devices.qr_svg): the
pages' Content-Security-Policy allows no outside image and no style attribute. For the
administrators of the site (``admin`` of it, or ``province``); placed before the sections'
``/admin/site/{code}/{section}`` routes.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.app.runtime import QueueService
from server.feedback.texts import FEEDBACK_TEXTS, translator
from server.web.access import visible_sites
from server.web.admin.devices import qr_svg
from server.web.auth import SignedIn, language, signed_in_endpoint
from server.web.templating import page
from server.web.texts import Language


def feedback_address(public_url: str, site: str) -> str:
    """The address the poster's QR code holds."""
    return f"{public_url.rstrip('/')}/gop-y?site={site}"


def feedback_poster_routes(service: QueueService) -> list[Route]:
    """The poster's page."""

    async def poster(request: Request, who: SignedIn) -> Response:
        lang = language(request)
        t = translator(lang)
        code = request.path_params["code"]
        common: dict[str, Any] = {
            "t": t, "lang": lang, "path": request.url.path, "account": who.account,
            "csrf": service.web_sessions.csrf_token(who.session),
            "sites": visible_sites(service, who.account)}
        # The configuration's: a poster is printed for any site, whichever process serves it
        # (its form stores feedback in the database, at any process).
        site = service.site_settings.get(code)
        if site is None or not who.account.may_administer(code):
            return page("message.html", 404, **common, message=t("not_yours"))
        address = feedback_address(service.server.public_url, code)
        return page("feedback_poster.html", **common, site=site, address=address,
                    qr=qr_svg(address), vi=FEEDBACK_TEXTS[Language.VIETNAMESE],
                    en=FEEDBACK_TEXTS[Language.ENGLISH])

    return [Route("/admin/site/{code}/feedback-poster", signed_in_endpoint(service, poster))]
