"""The managers' feedback inbox (``/manage/feedback``): the citizens' feedback of the sites an
account may see, each opened, given a state and answered; and its CSV export.

- ``GET /manage/feedback``: newest first, :data:`server.feedback.desk.PAGE_SIZE` a page
  (``?page=``), filtered by state (``?state=new|in_progress|answered``) and site (``?site=``;
  every site the account sees without it). A site the account may not see is answered like
  one that does not exist (404), as everywhere in the managers' pages (server.web.access).
- ``GET``/``POST /manage/feedback/{id}``: one feedback, with its contact (the manager may
  need it to answer) and a form for its state and answer, which the citizen then sees on
  their page. The form carries the session's CSRF token and the revision it was drawn from:
  a change saved meanwhile by someone else is not overwritten (409, the form again).
- ``GET /manage/feedback/export?from=&to=&site=``: the feedback sent in those days (each
  site's local days) as CSV, UTF-8 with a byte-order mark like the reports'. It holds no
  contact: a file copied elsewhere keeps no personal data beyond its time (docs/privacy.md).
"""

from __future__ import annotations

import logging
import math
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.app.runtime import QueueService
from server.audit.model import Action
from server.config.settings import SiteSettings
from server.feedback.desk import PAGE_SIZE
from server.feedback.model import ANSWER_LIMIT, Feedback, State, read_answer
from server.feedback.texts import category_name, state_name, translator
from server.store.database import StoreError
from server.web.access import visible_sites
from server.web.auth import SignedIn, language, signed_in_endpoint, web_actor
from server.web.feedback import problem_text, site_name
from server.web.forms import FormRefused, read_form
from server.web.templating import page

logger = logging.getLogger(__name__)

INBOX_PATH = "/manage/feedback"
FORM_LIMIT = 24 * 1024
LONGEST_EXPORT_DAYS = 366


def feedback_inbox_routes(service: QueueService) -> list[Route]:
    """The managers' feedback pages of ``service``."""
    desk = service.feedback

    def _common(request: Request, who: SignedIn) -> dict[str, Any]:
        lang = language(request)
        kept = [(key, value) for key, value in request.query_params.multi_items()
                if key not in ("lang", "saved")]
        path = request.url.path + (f"?{urlencode(kept)}" if kept else "")
        return {"t": translator(lang), "lang": lang, "path": path, "account": who.account,
                "csrf": service.web_sessions.csrf_token(who.session),
                "sites": visible_sites(service, who.account)}

    def _message(request: Request, who: SignedIn, status_code: int, message: str) -> Response:
        return page("message.html", status_code, **_common(request, who), message=message)

    def _not_yours(request: Request, who: SignedIn) -> Response:
        return _message(request, who, 404, translator(language(request))("not_yours"))

    def _chosen(request: Request, who: SignedIn) -> tuple[list[SiteSettings],
                                                          list[SiteSettings]] | None:
        """The sites the account sees, and those of them the query's ``site`` picks (all
        when it names none); ``None`` when it names a site the account may not see."""
        visible = [runtime.settings for runtime in visible_sites(service, who.account)]
        chosen = request.query_params.get("site", "")
        if chosen and chosen not in {site.code for site in visible}:
            return None
        return visible, [site for site in visible if not chosen or site.code == chosen]

    async def inbox(request: Request, who: SignedIn) -> Response:
        return await _inbox(request, who)

    async def _inbox(request: Request, who: SignedIn, status_code: int = 200,
                     export: dict[str, str] | None = None, export_error: str | None = None,
                     export_field: str | None = None) -> Response:
        """The inbox page; with ``export_error``, the export's problem beside its field."""
        query = request.query_params
        lang = language(request)
        t = translator(lang)
        picked = _chosen(request, who)
        if picked is None:
            return _not_yours(request, who)
        visible, sites = picked
        chosen = query.get("site", "")
        codes = [site.code for site in sites]
        state_text = query.get("state", "")
        state = next((item for item in State if item.value == state_text), None)
        page_text = query.get("page", "1")
        number = int(page_text) if page_text.isascii() and page_text.isdigit() \
            and 0 < len(page_text) < 7 else 1
        number = max(1, number)
        try:
            found = await desk.inbox(codes, state, number) if codes else None
        except StoreError as error:
            logger.error("feedback inbox of %s not read: %s", who.account.user, error)
            return _message(request, who, 503, t("not_saved"))
        total = found.total if found else 0
        pages = max(1, math.ceil(total / PAGE_SIZE))
        filters = [(key, value) for key, value in (("state", state.value if state else ""),
                                                   ("site", chosen)) if value]

        def page_url(target: int) -> str:
            return f"{INBOX_PATH}?{urlencode([*filters, ('page', str(target))])}"

        names = {site.code: site_name(site, lang) for site in visible}
        today = _today(service, visible)
        return page("feedback_inbox.html", status_code, **_common(request, who),
                    rows=[_row(item, names, visible, lang) for item in
                          (found.rows if found else [])],
                    states=[(item.value, state_name(item, lang)) for item in State],
                    state=state.value if state else "", site=chosen, visible=visible,
                    names=names, number=number, pages=pages, total=total,
                    previous_url=page_url(number - 1) if number > 1 else None,
                    next_url=page_url(number + 1) if number < pages else None,
                    export=export or {"from": today.replace(day=1).isoformat(),
                                      "to": today.isoformat()},
                    export_error=export_error, export_field=export_field)

    async def item(request: Request, who: SignedIn) -> Response:
        found = await _visible_item(request, who)
        if isinstance(found, Response):
            return found
        return _item_page(request, who, found, saved=request.query_params.get("saved") == "1")

    async def answer(request: Request, who: SignedIn) -> Response:
        t = translator(language(request))
        found = await _visible_item(request, who)
        if isinstance(found, Response):
            return found
        try:
            form = await read_form(request, service.server.public_url, FORM_LIMIT)
        except FormRefused as refused:
            return _message(request, who, refused.status_code, refused.message)
        if not service.web_sessions.csrf_valid(who.session, form.get("csrf", "")):
            return _message(request, who, 403, t("form_expired"))
        values = {"state": form.get("state", ""), "answer": form.get("answer", "")}
        if form.get("revision", "") != str(found.revision):
            return _item_page(request, who, found, status_code=409,
                              note=t("fb_changed_meanwhile"), values=values)
        chosen, problems = read_answer(form)
        if chosen is None:
            errors: dict[str, str] = {}
            for problem in problems:
                errors.setdefault(problem.field, problem_text(t, problem))
            return _item_page(request, who, found, status_code=400, errors=errors,
                              values=values)
        try:
            changed = await desk.change(found, chosen[0], chosen[1], who.account.user)
        except StoreError as error:
            logger.error("feedback %d not saved: %s", found.id, error)
            return _item_page(request, who, found, status_code=503, note=t("not_saved"),
                              values=values)
        if changed is None:
            fresh = await desk.item(found.id)
            return _item_page(request, who, fresh or found, status_code=409,
                              note=t("fb_changed_meanwhile"), values=values)
        await service.audit.record(service.audit.entry(
            web_actor(request, who.account), Action.FEEDBACK_ANSWER, found.site,
            f"feedback/{found.id}", {"state": found.state.value, "answer": found.answer},
            {"state": changed.state.value, "answer": changed.answer}))
        suffix = "&lang=en" if language(request).value == "en" else ""
        return RedirectResponse(f"{INBOX_PATH}/{found.id}?saved=1{suffix}", 303)

    async def export(request: Request, who: SignedIn) -> Response:
        query = request.query_params
        lang = language(request)
        t = translator(lang)
        picked = _chosen(request, who)
        if picked is None:
            return _not_yours(request, who)
        visible, sites = picked
        today = _today(service, visible)
        values = {"from": query.get("from", "") or today.replace(day=1).isoformat(),
                  "to": query.get("to", "") or today.isoformat()}
        days: dict[str, date] = {}
        for name, label in (("from", t("report_from")), ("to", t("report_to"))):
            try:
                days[name] = date.fromisoformat(values[name][:10])
            except ValueError:
                return await _export_refused(request, who, name,
                                             t("fb_range_wrong", field=label,
                                               value=values[name][:20]), values)
        if days["to"] < days["from"]:
            return await _export_refused(request, who, "to",
                                         t("fb_range_order", first=values["from"]), values)
        if days["to"] - days["from"] >= timedelta(days=LONGEST_EXPORT_DAYS):
            return await _export_refused(request, who, "to", t("fb_range_long"), values)
        try:
            content = await desk.export_csv(sites, days["from"], days["to"])
        except StoreError as error:
            logger.error("feedback export for %s failed: %s", who.account.user, error)
            return _message(request, who, 503, t("not_saved"))
        name = (f"gop-y-{query.get('site') or 'nhieu-trung-tam'}-{days['from']:%Y%m%d}-"
                f"{days['to']:%Y%m%d}.csv")
        logger.info("feedback CSV %s for %s", name, who.account.user)
        await service.audit.record(service.audit.entry(
            web_actor(request, who.account), Action.FEEDBACK_EXPORT,
            query.get("site") or None, name,
            after={"sites": [site.code for site in sites], "from": days["from"].isoformat(),
                   "to": days["to"].isoformat()}))
        return Response(content, media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{name}"',
                                 "cache-control": "no-store"})

    async def _export_refused(request: Request, who: SignedIn, field: str, message: str,
                              values: dict[str, str]) -> Response:
        """The inbox again (400), the export's problem beside its field."""
        return await _inbox(request, who, 400, {"from": values["from"][:20],
                                                "to": values["to"][:20]}, message, field)

    async def _visible_item(request: Request, who: SignedIn) -> Feedback | Response:
        text = request.path_params["item"]
        if not (text.isascii() and text.isdigit() and len(text) < 12):
            return _not_yours(request, who)
        try:
            found = await desk.item(int(text))
        except StoreError as error:
            logger.error("feedback %s not read: %s", text, error)
            return _message(request, who, 503, translator(language(request))("not_saved"))
        if found is None or not who.account.may_see(found.site):
            return _not_yours(request, who)
        return found

    def _item_page(request: Request, who: SignedIn, found: Feedback, status_code: int = 200,
                   saved: bool = False, note: str | None = None,
                   errors: dict[str, str] | None = None,
                   values: dict[str, str] | None = None) -> Response:
        lang = language(request)
        site = service.site_settings.get(found.site)  # whichever process serves it
        zone = site.timezone if site is not None else None
        return page("feedback_item.html", status_code, **_common(request, who), item=found,
                    site_label=site_name(site, lang) if site else found.site,
                    category=category_name(found.category, lang),
                    state_label=state_name(found.state, lang),
                    states=[(item.value, state_name(item, lang)) for item in State],
                    sent_at=found.created_at.astimezone(zone) if zone else found.created_at,
                    answered_at=(found.answered_at.astimezone(zone)
                                 if zone and found.answered_at else found.answered_at),
                    values=values or {"state": found.state.value,
                                      "answer": found.answer or ""},
                    errors=errors or {}, note=note, saved=saved, answer_limit=ANSWER_LIMIT,
                    contact_days=service.server.feedback_contact_days)

    return [
        Route(INBOX_PATH, signed_in_endpoint(service, inbox), methods=["GET"]),
        Route(INBOX_PATH + "/export", signed_in_endpoint(service, export), methods=["GET"]),
        Route(INBOX_PATH + "/{item}", signed_in_endpoint(service, item), methods=["GET"]),
        Route(INBOX_PATH + "/{item}", signed_in_endpoint(service, answer), methods=["POST"]),
    ]


def _row(item: Feedback, names: dict[str, str], visible: list[SiteSettings],
         lang: Any) -> dict[str, Any]:
    zone = next((site.timezone for site in visible if site.code == item.site), None)
    return {"item": item, "site": names.get(item.site, item.site),
            "sent_at": item.created_at.astimezone(zone) if zone else item.created_at,
            "category": category_name(item.category, lang),
            "state": state_name(item.state, lang),
            "excerpt": item.text if len(item.text) <= 140 else item.text[:139] + "…"}


def _today(service: QueueService, visible: list[SiteSettings]) -> date:
    now = service.clock()
    return now.astimezone(visible[0].timezone).date() if visible else now.date()
