"""The audit log's page (``/manage/audit``) and its CSV download.

- ``GET /manage/audit``: the entries of a range of days (the last seven by default), newest
  first, :data:`PAGE_SIZE` a page (``?page=``), filtered by actor (any part of the name, any
  case), action (a code, or a family such as ``ticket``) and site.
- ``GET /manage/audit/export``: the same filters as CSV (server.audit.export), streamed in
  batches; the download itself is recorded (``audit.export``).

Only administrators see it: a ``province`` account every entry (those of no one site too:
web sign-ins, accounts, changes across sites), an ``admin`` account the entries of the sites
it administers. A ``manager`` account is refused (403); a site outside an account's list is
answered like one that does not exist (404), as everywhere in the managers' pages. Every
problem with a filter is said beside it, in the page's language, and nothing is read.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from server.app.runtime import QueueService
from server.audit.export import csv_header, csv_rows
from server.audit.model import Action, StoredEntry, action_name, actor_kind_name
from server.audit.store import AuditQuery
from server.audit.texts import translator
from server.config.settings import AccountRole, AccountSettings
from server.store.database import StoreError
from server.web.access import visible_sites
from server.web.auth import SignedIn, language, signed_in_endpoint, web_actor
from server.web.templating import page
from server.web.texts import Language

logger = logging.getLogger(__name__)

AUDIT_PATH = "/manage/audit"
PAGE_SIZE = 100
LONGEST_DAYS = 366
EXPORT_BATCH = 2000
ACTOR_LIMIT = 64
# A before/after value is shown on the page up to this many characters (the CSV has it all).
SHOWN_LIMIT = 240
DEFAULT_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
FAMILIES = tuple(sorted({action.value.split(".")[0] for action in Action}))
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})|(\d{1,2})/(\d{1,2})/(\d{4})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass
class Filters:
    """The filters asked for (``values``, as typed, for the form), and the query they make
    (``None`` while a problem remains: ``errors``, per field)."""

    values: dict[str, str]
    query: AuditQuery | None = None
    first: date | None = None
    last: date | None = None
    errors: dict[str, str] = field(default_factory=dict)


def administered_sites(account: AccountSettings) -> tuple[str, ...] | None:
    """The sites whose entries ``account`` sees: ``None`` for every entry (province),
    its own sites (admin); a manager sees none (``()``)."""
    if account.role is AccountRole.PROVINCE:
        return None
    if account.role is AccountRole.ADMIN:
        return tuple(account.sites)
    return ()


def audit_routes(service: QueueService) -> list[Route]:
    """The audit log's pages of ``service``."""
    # Accounts with a file being written: one at a time each.
    exporting: set[str] = set()

    def _zone(account: AccountSettings) -> ZoneInfo:
        sites = list(service.site_settings.values())
        mine = [site for site in sites if account.may_administer(site.code)] or sites
        return mine[0].timezone if mine else DEFAULT_ZONE

    def _site_choices(account: AccountSettings) -> list[tuple[str, str]]:
        allowed = administered_sites(account)
        return [(site.code, site.name_vi) for site in service.site_settings.values()
                if allowed is None or site.code in allowed]

    def _common(request: Request, who: SignedIn) -> dict[str, Any]:
        lang = language(request)
        kept = [(key, value) for key, value in request.query_params.multi_items()
                if key != "lang"]
        path = request.url.path + (f"?{urlencode(kept)}" if kept else "")
        return {"t": translator(lang), "lang": lang, "path": path, "account": who.account,
                "csrf": service.web_sessions.csrf_token(who.session),
                "sites": visible_sites(service, who.account)}

    def _message(request: Request, who: SignedIn, status_code: int, key: str) -> Response:
        t = translator(language(request))
        return page("message.html", status_code, **_common(request, who), message=t(key))

    def _filters(request: Request, who: SignedIn) -> Filters | None:
        """The filters of the request; ``None`` when it names a site not the account's."""
        query = request.query_params
        t = translator(language(request))
        zone = _zone(who.account)
        today = service.clock().astimezone(zone).date()
        values = {"from": query.get("from", "")[:20] or (today - timedelta(days=6)).isoformat(),
                  "to": query.get("to", "")[:20] or today.isoformat(),
                  "actor": query.get("actor", "").strip(),
                  "action": query.get("action", "").strip()[:48],
                  "site": query.get("site", "").strip()[:32]}
        allowed = administered_sites(who.account)
        if values["site"] and (values["site"] not in service.site_settings
                               or (allowed is not None and values["site"] not in allowed)):
            return None
        found = Filters(values)
        for name, label in (("from", "au_from"), ("to", "au_to")):
            day = _day(values[name])
            if day is None:
                found.errors[name] = t("au_day_wrong", field=t(label), value=values[name])
            elif name == "from":
                found.first = day
            else:
                found.last = day
        if found.first and found.last:
            if found.last < found.first:
                found.errors["to"] = t("au_order", first=found.first.strftime("%d/%m/%Y"))
            elif (found.last - found.first).days >= LONGEST_DAYS:
                found.errors["to"] = t("au_long")
        if len(values["actor"]) > ACTOR_LIMIT or _CONTROL.search(values["actor"]):
            found.errors["actor"] = t("au_too_long", field=t("au_actor"), limit=ACTOR_LIMIT)
            values["actor"] = values["actor"][:ACTOR_LIMIT]
        if values["action"] and values["action"] not in {item.value for item in Action} \
                and values["action"] not in FAMILIES:
            found.errors["action"] = t("au_action_unknown", value=values["action"])
            values["action"] = ""
        if found.errors or found.first is None or found.last is None:
            return found
        sites = (values["site"],) if values["site"] else allowed
        found.query = AuditQuery(
            datetime.combine(found.first, time(), zone),
            datetime.combine(found.last + timedelta(days=1), time(), zone),
            sites, values["actor"] or None, values["action"] or None)
        return found

    def _page(request: Request, who: SignedIn, filters: Filters, rows: list[StoredEntry],
              number: int, more: bool, status_code: int = 200) -> Response:
        lang = language(request)
        english = lang is Language.ENGLISH
        zone = _zone(who.account)
        kept = [(name, value) for name, value in filters.values.items() if value]

        def page_url(target: int) -> str:
            return f"{AUDIT_PATH}?{urlencode([*kept, ('page', str(target))])}"

        return page("audit.html", status_code, **_common(request, who),
                    filters=filters.values, errors=filters.errors,
                    rows=[_row(stored, zone, english) for stored in rows],
                    actions=[(item.value, action_name(item.value, english)) for item in Action],
                    site_choices=_site_choices(who.account),
                    export_url=f"{AUDIT_PATH}/export?{urlencode(kept)}",
                    previous_url=page_url(number - 1) if number > 1 else None,
                    next_url=page_url(number + 1) if more else None, number=number,
                    days=service.server.audit_retention_days)

    async def audit_page(request: Request, who: SignedIn) -> Response:
        if administered_sites(who.account) == ():
            return _message(request, who, 403, "au_admins_only")
        filters = _filters(request, who)
        if filters is None:
            return _message(request, who, 404, "not_yours")
        if filters.query is None:
            return _page(request, who, filters, [], 1, False, 400)
        text = request.query_params.get("page", "1")
        number = max(1, int(text)) if text.isascii() and text.isdigit() and len(text) < 6 \
            else 1
        try:
            rows = await service.audit.page(filters.query, (number - 1) * PAGE_SIZE,
                                            PAGE_SIZE + 1)
        except StoreError as error:
            logger.error("audit log not read for %s: %s", who.account.user, error)
            return _message(request, who, 503, "au_unreadable")
        return _page(request, who, filters, rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE)

    async def export(request: Request, who: SignedIn) -> Response:
        if administered_sites(who.account) == ():
            return _message(request, who, 403, "au_admins_only")
        filters = _filters(request, who)
        if filters is None:
            return _message(request, who, 404, "not_yours")
        query = filters.query
        if query is None or filters.first is None or filters.last is None:
            return _page(request, who, filters, [], 1, False, 400)
        user = who.account.user
        if user in exporting:
            return _message(request, who, 429, "au_busy")
        zone = _zone(who.account)
        site = filters.values["site"] or None
        name = (f"nhat-ky-{site or 'tat-ca'}-{filters.first:%Y%m%d}-"
                f"{filters.last:%Y%m%d}.csv")
        exporting.add(user)
        await service.audit.record(service.audit.entry(
            web_actor(request, who.account), Action.AUDIT_EXPORT, site, name,
            after={name: value for name, value in filters.values.items() if value}))
        logger.info("audit CSV %s for %s", name, user)

        async def rows() -> AsyncIterator[bytes]:
            try:
                yield csv_header()
                last = 0
                while True:
                    batch = await service.audit.batch(query, last, EXPORT_BATCH)
                    if batch:
                        yield await asyncio.to_thread(csv_rows, batch, zone)
                        last = batch[-1].id
                    if len(batch) < EXPORT_BATCH:
                        return
            except StoreError as error:
                # The answer has begun: the file ends here, and the log says why.
                logger.error("audit CSV %s for %s cut short: %s", name, user, error)
            finally:
                exporting.discard(user)

        return StreamingResponse(rows(), media_type="text/csv; charset=utf-8",
                                 headers={"content-disposition":
                                          f'attachment; filename="{name}"',
                                          "cache-control": "no-store"})

    return [
        Route(AUDIT_PATH, signed_in_endpoint(service, audit_page), methods=["GET"]),
        Route(AUDIT_PATH + "/export", signed_in_endpoint(service, export), methods=["GET"]),
    ]


def _day(text: str) -> date | None:
    """A day written ``yyyy-mm-dd`` (what a date input sends) or ``dd/mm/yyyy``."""
    found = _DAY.fullmatch(text.strip())
    if found is None:
        return None
    try:
        if found[1]:
            return date(int(found[1]), int(found[2]), int(found[3]))
        return date(int(found[6]), int(found[5]), int(found[4]))
    except ValueError:
        return None


def _shown(text: str | None) -> str:
    if text is None:
        return ""
    return text if len(text) <= SHOWN_LIMIT else text[:SHOWN_LIMIT - 1] + "…"


def _row(stored: StoredEntry, zone: ZoneInfo, english: bool) -> dict[str, Any]:
    entry = stored.entry
    actor = entry.actor
    counter = "" if actor.counter is None else \
        f"{'counter' if english else 'quầy'} {actor.counter}"
    # The channel once when the device token is named after its role (a "counter" token).
    channel = "" if actor.channel.value == actor.device else actor.channel.value
    where = " · ".join(part for part in (actor.device, channel, counter, actor.address)
                       if part)
    return {"id": stored.id, "when": entry.at.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S"),
            "site": entry.site or "", "kind": actor_kind_name(actor.kind.value, english),
            "actor": actor.name, "where": where, "code": entry.action,
            "action": action_name(entry.action, english), "target": entry.target or "",
            "before": _shown(entry.before), "after": _shown(entry.after),
            "ok": entry.outcome.value == "ok", "error": entry.error or ""}
