"""The managers' live pages: one site's dashboard and the province view.

Each page is drawn whole by the server (it works without scripts and on any browser); its
script (``static/live.js``) then keeps it live: it says ``hello`` on the WebSocket as a
``manager`` with the socket ticket the page carries, and on every event of the site (or of
the province's sites) fetches the page's live part again (``.../live``), and again when the
next alert falls due. Nothing polls.

- ``GET /manage``: one site's dashboard, or the province view for an account with several.
- ``GET /manage/site/{code}`` and ``.../live``: a site's dashboard and its live part.
- ``GET /manage/province`` and ``.../live``: a row per site the account sees, sortable
  (``?sort=`` a column, ``&order=asc|desc``), each linking to the site's dashboard.

With several server processes on one PostgreSQL database, a site's dashboard lives at the
process that serves the site: another process answers its URL with a redirect there (307),
or 503 with ``Retry-After`` while nobody serves it (a takeover takes a second or two). The
province view shows every site the account sees: those served here live, the others from
the database (server.web.remote_halls), marked, at most a few seconds old, the page fetching
its live part again that often while it has such rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.app.runtime import QueueService, SiteRuntime
from server.domain.hall import HallFigures, ServiceNow, hall_figures
from server.feedback.texts import translator as feedback_translator
from server.store.database import StoreError
from server.web.access import VisibleSite, at_its_owner, visible_site, visible_sites
from server.web.auth import SignedIn, language, signed_in_endpoint
from server.web.remote_halls import FRESH_SECONDS, RemoteHalls
from server.web.templating import page
from server.web.texts import translator

logger = logging.getLogger(__name__)

PROVINCE_COLUMNS = ("site", "waiting", "longest_wait", "open_counters", "served",
                    "satisfaction")


@dataclass(frozen=True, slots=True)
class SiteRow:
    """One site in the province view."""

    code: str
    name: str
    figures: HallFigures
    # Served by another server process: figures read from the database (module docstring).
    elsewhere: bool = False

    def sort_key(self, column: str) -> Any:
        totals = self.figures.totals
        longest = min((service.longest_waiting_since for service in self.figures.services
                       if service.longest_waiting_since is not None), default=None)
        values: dict[str, Any] = {
            "site": self.name,
            "waiting": totals.waiting,
            # Oldest arrival first is the longest wait: sort on the negative age.
            "longest_wait": (self.figures.now - longest).total_seconds() if longest else -1,
            "open_counters": sum(1 for counter in self.figures.counters
                                 if counter.status.value == "open"),
            "served": totals.served,
            "satisfaction": (totals.satisfaction_percent
                             if totals.satisfaction_percent is not None else -1),
        }
        return values[column]


def figures_of(runtime: SiteRuntime) -> HallFigures:
    """The hall of ``runtime``'s site as committed, now."""
    return hall_figures(runtime.settings, runtime.committed, runtime.clock(),
                        runtime.silent_since)


def _by_wait(figures: HallFigures) -> list[ServiceNow]:
    """Services with the longest current wait first, then the others in code order."""
    return sorted(figures.services, key=lambda service: (
        service.longest_waiting_since is None,
        service.longest_waiting_since or figures.now, service.code))


def manage_routes(service: QueueService) -> list[Route]:
    """The managers' live pages."""
    remote_halls = RemoteHalls(service)

    async def home(request: Request, who: SignedIn) -> Response:
        sites = visible_sites(service, who.account)
        if len(sites) == 1:
            return RedirectResponse(f"/manage/site/{sites[0].settings.code}", 303)
        return RedirectResponse("/manage/province", 303)

    async def dashboard(request: Request, who: SignedIn) -> Response:
        # The citizens' new feedback (server.web.feedback_inbox), counted as the page loads.
        code = request.path_params["code"]
        label, count = None, 0
        if visible_site(service, who.account, code) is not None:
            try:
                count = await service.feedback.count_new(code)
                label = feedback_translator(language(request))("fb_new_count", count=count)
            except StoreError as error:
                logger.error("new feedback of %s not counted: %s", code, error)
        return await _dashboard(request, who, "dashboard.html", feedback_label=label,
                                new_feedback=count)

    async def dashboard_live(request: Request, who: SignedIn) -> Response:
        return await _dashboard(request, who, "hall.html")

    async def _dashboard(request: Request, who: SignedIn, template: str,
                   **extra: Any) -> Response:
        site = visible_site(service, who.account, request.path_params["code"])
        if site is None:
            return _not_yours(request, who)
        runtime = site.runtime
        if runtime is None:
            return await _elsewhere(request, who, site)
        figures = figures_of(runtime)
        return page(template, **_common(request, who), site=runtime.settings,
                    figures=figures, services_by_wait=_by_wait(figures),
                    socket_ticket=service.web_sessions.socket_ticket(who.session),
                    live_url=f"/manage/site/{runtime.settings.code}/live", **extra)

    async def _elsewhere(request: Request, who: SignedIn, site: VisibleSite) -> Response:
        """A site this process does not serve: the same page at the process that does."""
        code = site.settings.code
        moved = await at_its_owner(service, request, code)
        if moved is not None:
            return moved
        if code in service.sites:  # taken by this process meanwhile: the page again, here
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse(f"{request.url.path}{query}", 307)
        t = translator(language(request))
        response = page("message.html", 503, **_common(request, who),
                        message=t("site_moving"))
        response.headers["Retry-After"] = "2"
        return response

    async def province(request: Request, who: SignedIn) -> Response:
        return await _province(request, who, "province.html")

    async def province_live(request: Request, who: SignedIn) -> Response:
        return await _province(request, who, "province_table.html")

    async def _province(request: Request, who: SignedIn, template: str) -> Response:
        column = request.query_params.get("sort", "site")
        if column not in PROVINCE_COLUMNS:
            column = "site"
        descending = request.query_params.get("order") == "desc"
        english = language(request).value == "en"
        rows: list[SiteRow] = []
        unread: list[str] = []
        for site in visible_sites(service, who.account):
            settings = site.settings
            name = settings.name_en if english and settings.name_en else settings.name_vi
            if site.runtime is not None:
                rows.append(SiteRow(settings.code, name, figures_of(site.runtime)))
                continue
            figures = await remote_halls.figures(settings)
            if figures is None:
                unread.append(name)
            else:
                rows.append(SiteRow(settings.code, name, figures, elsewhere=True))
        rows.sort(key=lambda row: row.sort_key(column), reverse=descending)
        now = service.clock()
        # Rows read from the database are fetched again that often; live ones on events.
        next_change = now + timedelta(seconds=FRESH_SECONDS) \
            if unread or any(row.elsewhere for row in rows) else None
        return page(template, **_common(request, who), rows=rows, sort=column,
                    descending=descending, columns=PROVINCE_COLUMNS, unread=unread,
                    next_change=next_change,
                    socket_ticket=service.web_sessions.socket_ticket(who.session),
                    live_url=f"/manage/province/live?sort={column}"
                             f"&order={'desc' if descending else 'asc'}")

    def _not_yours(request: Request, who: SignedIn) -> Response:
        t = translator(language(request))
        return page("message.html", 404, **_common(request, who), message=t("not_yours"))

    def _common(request: Request, who: SignedIn) -> dict[str, Any]:
        lang = language(request)
        return {"t": translator(lang), "lang": lang, "path": request.url.path,
                "account": who.account, "csrf": service.web_sessions.csrf_token(who.session),
                "sites": visible_sites(service, who.account)}

    return [
        Route("/manage", signed_in_endpoint(service, home)),
        Route("/manage/site/{code}", signed_in_endpoint(service, dashboard)),
        Route("/manage/site/{code}/live",
              signed_in_endpoint(service, dashboard_live, for_script=True)),
        Route("/manage/province", signed_in_endpoint(service, province)),
        Route("/manage/province/live",
              signed_in_endpoint(service, province_live, for_script=True)),
    ]
