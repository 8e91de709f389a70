"""The citizens' feedback pages (``/gop-y``): send feedback, then follow it with its code.

- ``GET /gop-y``: the form. ``?site=CODE`` (the QR poster's link) fixes the centre; without
  it the citizen chooses one. ``&t=TRACK`` (the link on a ticket's status page) fills in
  that ticket's number. ``?lang=en`` switches to English (remembered, like the managers').
- ``POST /gop-y``: read with the one form reader (server.web.forms: our own origin only, a
  size limit, a deadline, UTF-8). No CSRF token: nothing is signed in, so there is nothing
  to borrow; a post from another site's page is refused by its ``Origin`` (403), like the
  ticket page's rating. Each address may send :class:`server.feedback.limits.BucketPolicy`
  (five at once, then one every six minutes): beyond it, 429. Every bad field is answered
  400 with the form again, the reason beside the field in the page's language, nothing
  stored. A stored feedback answers 303 to its own page with ``?sent=1``.
- ``GET /gop-y/{code}``: the feedback with that reference code, its state and the centre's
  answer; a wrong code is 404 (there is no listing: a feedback is reached with its code or
  not at all). ``GET /gop-y/tra-cuu?code=`` goes there from the lookup form.

No script anywhere: the pages are plain forms that work on any phone's browser, styled by
``static/feedback.css``.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.app.runtime import QueueService
from server.config.settings import SiteSettings
from server.feedback.model import (
    TEXT_LIMIT,
    TICKET_DAYS,
    Category,
    Problem,
    normal_ticket,
    normalized_code,
    read_submission,
    shown_code,
)
from server.feedback.texts import category_name, state_name, translator
from server.store.database import StoreError
from server.web.auth import finish, language
from server.web.forms import FormRefused, read_form
from server.web.templating import page
from server.web.texts import Language

logger = logging.getLogger(__name__)

FORM_PATH = "/gop-y"
LOOKUP_PATH = "/gop-y/tra-cuu"
# The text's 2,000 characters, each up to 9 bytes once UTF-8 is percent-encoded, and the rest.
FORM_LIMIT = 24 * 1024


def problem_text(t: Any, problem: Problem) -> str:
    """A refused field's reason in the page's language, naming the field."""
    values = dict(problem.values)
    label_key = f"field_{problem.field}"
    try:
        values["field"] = t(label_key)
    except KeyError:
        values["field"] = problem.field
    return str(t(problem.key, **values))


def site_name(site: SiteSettings, lang: Language) -> str:
    return site.name_en if lang is Language.ENGLISH and site.name_en else site.name_vi


def feedback_routes(service: QueueService) -> list[Route]:
    """The citizens' feedback pages of ``service``."""
    desk = service.feedback

    def _common(request: Request, site: SiteSettings | None) -> dict[str, Any]:
        lang = language(request)
        kept = [(key, value) for key, value in request.query_params.multi_items()
                if key not in ("lang", "sent")]
        switch = "en" if lang is Language.VIETNAMESE else "vi"
        return {"t": translator(lang), "lang": lang,
                "switch_url": f"{request.url.path}?{urlencode([*kept, ('lang', switch)])}",
                "site_name": site_name(site, lang) if site else None,
                "contact_days": service.server.feedback_contact_days}

    def _sites() -> list[SiteSettings]:
        # Every configured site, whichever server process serves it: feedback is stored in
        # the database, not in a site's day.
        return list(service.site_settings.values())

    def _form(request: Request, status_code: int = 200, values: dict[str, str] | None = None,
              errors: dict[str, str] | None = None, note: str | None = None) -> Response:
        values = values or {}
        site = service.site_settings.get(values.get("site", ""))
        sites = _sites()
        # The poster's link (or a deployment of one centre) fixes the centre.
        fixed = site if site is not None and (values.get("site_fixed") == "1"
                                              or len(sites) == 1) else None
        if fixed is None and len(sites) == 1:
            fixed = sites[0]
        common = _common(request, fixed)
        lang: Language = common["lang"]
        return finish(service, request, page(
            "feedback_form.html", status_code, **common, sites=sites, fixed=fixed,
            site_names={item.code: site_name(item, lang) for item in sites},
            categories=[(item.value, category_name(item, lang)) for item in Category],
            values=values, errors=errors or {}, note=note, text_limit=TEXT_LIMIT,
            ticket_days=TICKET_DAYS,
            action=FORM_PATH + ("?lang=en" if lang is Language.ENGLISH else "")))

    async def form_page(request: Request) -> Response:
        query = request.query_params
        values = {"site": query.get("site", "")[:32], "site_fixed": "",
                  "t": query.get("t", "")[:16]}
        if values["site"] in service.site_settings:
            values["site_fixed"] = "1"
        if values["t"]:
            found = service.find_track(values["t"])
            if found is not None:
                values["site"] = found[0].settings.code
                values["site_fixed"] = "1"
                values["ticket"] = found[1].number
            else:
                values["t"] = ""
        return _form(request, values=values)

    async def send(request: Request) -> Response:
        t = translator(language(request))
        address = request.client.host if request.client else "unknown"
        try:
            form = await read_form(request, service.server.public_url, FORM_LIMIT)
        except FormRefused as refused:
            logger.info("feedback form from %s refused: %s", address, refused.message)
            return _message(request, refused.message, refused.status_code)
        values = {name: form.get(name, "") for name in
                  ("site", "site_fixed", "category", "text", "ticket", "contact", "t")}
        if desk.limits.wait_seconds(address) > 0:
            logger.info("feedback from %s refused: too many in a short time", address)
            return _form(request, 429, values,
                         note=t("fb_too_many", minutes=desk.limits.wait_minutes(address)))
        submission, problems = read_submission(form, set(service.site_settings))
        ticket_id: str | None = None
        try:
            # The ticket is checked whenever its site and form are good, so that every
            # problem is told at once.
            site = service.site_settings.get(form.get("site", ""))
            ticket = normal_ticket(form.get("ticket", ""))
            if site is not None and ticket is not None:
                ticket_id = await desk.ticket_id(site, ticket, form.get("t", ""))
                if ticket_id is None:
                    problems.append(Problem("ticket", "err_ticket_unknown",
                                            (("number", ticket), ("days", TICKET_DAYS))))
            if problems:
                errors: dict[str, str] = {}
                for problem in problems:
                    errors.setdefault(problem.field, problem_text(t, problem))
                return _form(request, 400, values, errors, note=t("fb_fix"))
            assert submission is not None
            if not desk.limits.take(address):
                return _form(request, 429, values,
                             note=t("fb_too_many", minutes=desk.limits.wait_minutes(address)))
            code = await desk.submit(submission, ticket_id)
        except StoreError as error:
            logger.error("feedback from %s not saved: %s", address, error)
            return _form(request, 503, values, note=t("fb_not_saved"))
        suffix = "&lang=en" if language(request) is Language.ENGLISH else ""
        return RedirectResponse(f"{FORM_PATH}/{shown_code(code)}?sent=1{suffix}", 303)

    async def lookup(request: Request) -> Response:
        code = normalized_code(request.query_params.get("code", ""))
        if code is None:
            t = translator(language(request))
            return _form(request, 400, {"code": request.query_params.get("code", "")[:40]},
                         {"code": t("err_code")})
        return RedirectResponse(f"{FORM_PATH}/{shown_code(code)}", 303)

    async def status(request: Request) -> Response:
        t = translator(language(request))
        code = normalized_code(request.path_params["code"])
        try:
            feedback = await desk.find(code) if code is not None else None
        except StoreError as error:
            logger.error("feedback page not read: %s", error)
            return _message(request, t("fb_not_saved"), 503)
        if feedback is None or code is None:
            return _message(request, t("fb_not_found"), 404, lookup_form=True)
        site = service.site_settings.get(feedback.site)
        common = _common(request, site)
        lang: Language = common["lang"]
        shown = shown_code(code)
        zone = site.timezone if site is not None else None
        return finish(service, request, page(
            "feedback_status.html", **common, feedback=feedback, shown=shown,
            url=f"{service.server.public_url.rstrip('/')}{FORM_PATH}/{shown}",
            sent=request.query_params.get("sent") == "1",
            category=category_name(feedback.category, lang),
            state=state_name(feedback.state, lang),
            sent_at=feedback.created_at.astimezone(zone) if zone else feedback.created_at,
            answered_at=(feedback.answered_at.astimezone(zone) if zone and
                         feedback.answered_at else feedback.answered_at),
            back=FORM_PATH + (f"?site={feedback.site}" if site is not None else "")))

    def _message(request: Request, message: str, status_code: int,
                 lookup_form: bool = False) -> Response:
        return finish(service, request, page(
            "feedback_message.html", status_code, **_common(request, None), message=message,
            lookup_form=lookup_form, values={}, errors={}))

    return [
        Route(FORM_PATH, form_page, methods=["GET"]),
        Route(FORM_PATH, send, methods=["POST"]),
        Route(LOOKUP_PATH, lookup, methods=["GET"]),
        Route(FORM_PATH + "/{code}", status, methods=["GET"]),
    ]
