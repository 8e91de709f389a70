"""The administration pages (``/admin``): a centre changed from a browser, without a restart.

An account with the ``admin`` role administers the sites it lists, a ``province`` account
every site (server.config.settings.AccountSettings.may_administer). Each page edits one part
of one site's configuration (:mod:`.sections`); saving makes the whole configuration anew and
hands it to :class:`server.app.configuration.Configuration`, which validates it with the
configuration's own rules, weighs it against today's queue, saves it as a new version and
applies it at once. So a form shows exactly the errors the TOML file would give, beside the
input they name; a change that would break today's queue is refused with the reason; one
that changes what people see asks for confirmation with the consequence stated. Every version
is kept (who, when, why, the whole document) and can be compared and restored.
"""

from __future__ import annotations

import copy
import difflib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.app.configuration import (
    ChangedMeanwhile,
    ChangeRecord,
    ChangeRefused,
    ConfigurationChangeError,
    ConfirmationNeeded,
    settings_from_document,
)
from server.app.runtime import QueueService
from server.audit.model import Action
from server.config import ConfigError
from server.config.new_site import new_site_document
from server.config.settings import AccountRole
from server.domain.impact import Impact, ImpactLevel
from server.security import hash_password, password_problem
from server.store.database import StoreError
from server.web.access import at_its_owner, visible_sites
from server.web.admin.reasons import in_vietnamese
from server.web.admin.sections import (
    BY_SLUG,
    NEW_SITE,
    SECTIONS,
    SERVED_BY,
    Section,
    all_but_unticked,
    field_of_key,
    form_to_item,
    form_values,
    item_values,
    serve_by,
    served_by,
)
from server.web.auth import SignedIn, language, signed_in_endpoint, web_actor
from server.web.forms import FormRefused, read_form
from server.web.templating import page
from server.web.texts import translator

logger = logging.getLogger(__name__)

FORM_LIMIT = 16 * 1024
NEW = "new"
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
# How long adding a site waits for a server process to take it (several on PostgreSQL).
NEW_SITE_WAIT_SECONDS = 5.0


def admin_routes(service: QueueService) -> list[Route]:
    """The administration pages."""

    def guarded(handler: Callable[[Request, SignedIn], Awaitable[Response]]
                ) -> Callable[[Request], Awaitable[Response]]:
        async def administered(request: Request, who: SignedIn) -> Response:
            code = request.path_params.get("code")
            t = translator(language(request))
            if code is not None and code in service.site_settings \
                    and code not in service.sites and who.account.may_administer(code):
                # Several processes: the site's day and devices are known where it is
                # served; the same page there (307 keeps a form's method and fields, and
                # its CSRF token is good at every process), else where to go.
                moved = await at_its_owner(service, request, code)
                if moved is not None:
                    return moved
                if code not in service.sites:
                    owner = service.owner_url(code)
                    return _page(request, who, "message.html", 409, message=t(
                        "served_elsewhere", code=code,
                        where=f"{owner}/admin/site/{code}" if owner else "?"))
            if code is not None and (code not in service.sites
                                     or not who.account.may_administer(code)):
                return _page(request, who, "message.html", 404, message=t("not_yours"))
            return await handler(request, who)
        return signed_in_endpoint(service, administered)

    def _page(request: Request, who: SignedIn, template: str, status_code: int = 200,
              **context: Any) -> Response:
        lang = language(request)
        sites = visible_sites(service, who.account)
        return page(template, status_code, t=translator(lang), lang=lang,
                    path=request.url.path, account=who.account, sites=sites,
                    csrf=service.web_sessions.csrf_token(who.session), sections=SECTIONS,
                    **context)

    def _site_document(code: str) -> tuple[int, dict[str, Any]]:
        sites = service.configuration.document.get("sites", [])
        index = next(index for index, site in enumerate(sites) if site.get("code") == code)
        return index, sites[index]

    async def home(request: Request, who: SignedIn) -> Response:
        # Every site of the configuration: on several server processes, a site another
        # process serves is administered on that process's pages (its address is shown).
        administered = [settings for code, settings in service.site_settings.items()
                        if who.account.may_administer(code)]
        province = who.account.role is AccountRole.PROVINCE
        if len(administered) == 1 and not province:
            return RedirectResponse(f"/admin/site/{administered[0].code}", 303)
        elsewhere = {code: service.owner_url(code) for code in service.site_settings
                     if code not in service.sites}
        removed = request.query_params.get("removed", "")
        return _page(request, who, "admin_home.html", administered=administered,
                     version=service.configuration.version, province=province,
                     elsewhere=elsewhere, added=request.query_params.get("added"),
                     removed=removed if removed and removed not in service.site_settings
                     else None)

    # --- a whole site added or removed (province accounts) -------------------------------

    async def new_site(request: Request, who: SignedIn) -> Response:
        if who.account.role is not AccountRole.PROVINCE:
            return _page(request, who, "message.html", 403,
                         message=translator(language(request))("province_sites_only"))
        if request.method == "GET":
            return _page(request, who, "admin_site_new.html", fields=NEW_SITE.fields,
                         values={"timezone": DEFAULT_TIMEZONE}, errors={}, problems=[])
        form_or_refusal = await _form(request, who)
        if isinstance(form_or_refusal, Response):
            return form_or_refusal
        form = form_or_refusal
        values = {spec.name: form.get(spec.name, "").strip()[:200] for spec in NEW_SITE.fields}
        based_on = service.configuration.version
        document = copy.deepcopy(service.configuration.document)
        document.setdefault("sites", []).append(new_site_document(**values))
        site_index = len(document["sites"]) - 1
        code = values["code"]
        comment = form.get("comment", "").strip()[:200] or f"Thêm trung tâm {code}"
        t = translator(language(request))
        errors: dict[str, str] = {}
        problems: list[str] = []
        try:
            version = await service.configuration.change(
                document, who.account.user, comment, based_on=based_on,
                record=ChangeRecord(web_actor(request, who.account), Action.CONFIG_CHANGE,
                                    f"{code}/site/add"))
        except ChangedMeanwhile:
            problems.append(t("changed_meanwhile"))
        except ConfigError as error:
            _sort_problems(request, error, site_index, NEW_SITE, None, errors, problems)
        except ConfigurationChangeError as refused:
            # Adding a site weighs only the others, which it leaves as they are; said anyway.
            problems += [impact.text(language(request).value == "en")
                         for impact in refused.impacts]
        except StoreError as error:
            logger.error("site %s not added by %s: %s", code, who.account.user, error)
            problems.append(t("not_saved"))
        if errors or problems:
            return _page(request, who, "admin_site_new.html", 400, fields=NEW_SITE.fields,
                         values=values, errors=errors, problems=problems)
        logger.info("site %s added by %s (configuration version %d)", code, who.account.user,
                    version)
        if code not in service.sites and service.ownership is not None:
            # Several processes: one of them takes the new site within a few seconds.
            await service.ownership.owner_of(code, NEW_SITE_WAIT_SECONDS)
        if code in service.sites:
            return RedirectResponse(f"/admin/site/{code}?added={version}", 303)
        return RedirectResponse(f"/admin?added={code}", 303)

    async def remove_site(request: Request, who: SignedIn) -> Response:
        code = request.path_params["code"]
        t = translator(language(request))
        english = language(request).value == "en"
        if who.account.role is not AccountRole.PROVINCE:
            return _page(request, who, "message.html", 403, message=t("province_sites_only"))
        form_or_refusal = await _form(request, who)
        if isinstance(form_or_refusal, Response):
            return form_or_refusal
        form = form_or_refusal
        based_on = service.configuration.version
        document = copy.deepcopy(service.configuration.document)
        document["sites"] = [site for site in document.get("sites", [])
                             if site.get("code") != code]
        # Accounts lose the site; one that administered or saw only it goes with it.
        gone_accounts = []
        for account in list(document.get("accounts", [])):
            listed = account.get("sites", [])
            if code not in listed:
                continue
            account["sites"] = [item for item in listed if item != code]
            if not account["sites"]:
                document["accounts"].remove(account)
                gone_accounts.append(f"{account.get('user')} ({account.get('role')})")
        comment = form.get("comment", "").strip()[:200] or f"Gỡ bỏ trung tâm {code}"
        try:
            version = await service.configuration.change(
                document, who.account.user, comment, confirmed=form.get("confirmed") == "1",
                based_on=based_on,
                record=ChangeRecord(web_actor(request, who.account), Action.CONFIG_CHANGE,
                                    f"{code}/site/remove"))
        except ConfirmationNeeded as needed:
            impacts = list(needed.impacts)
            if gone_accounts:
                impacts.append(Impact(
                    ImpactLevel.CONFIRM, "accounts",
                    f"Tài khoản chỉ dùng cho trung tâm này bị xóa: {', '.join(gone_accounts)}. "
                    f"/ Accounts of this site only are removed: {', '.join(gone_accounts)}."))
            return _page(request, who, "admin_confirm.html", code=code, section=None,
                         identity=None, form=form, impacts=impacts, action=request.url.path)
        except ChangeRefused as refused:
            return _site_page(request, who, code, 409,
                              refusals=[impact.text(english) for impact in refused.impacts])
        except ChangedMeanwhile:
            return _site_page(request, who, code, 409, refusals=[t("changed_meanwhile")])
        except ConfigError as error:
            reasons = [f"{problem.key}: "
                       f"{problem.reason if english else in_vietnamese(problem.reason)}"
                       for problem in error.problems]
            return _site_page(request, who, code, 400, refusals=reasons)
        except StoreError as error:
            logger.error("site %s not removed by %s: %s", code, who.account.user, error)
            return _site_page(request, who, code, 503, refusals=[t("not_saved")])
        logger.info("site %s removed by %s (configuration version %d)", code,
                    who.account.user, version)
        return RedirectResponse(f"/admin?removed={code}", 303)

    async def site_home(request: Request, who: SignedIn) -> Response:
        return _site_page(request, who, request.path_params["code"])

    def _site_page(request: Request, who: SignedIn, code: str, status_code: int = 200,
                   refusals: list[str] | None = None) -> Response:
        _, site = _site_document(code)
        counts = {section.slug: len(site.get(section.key, [])) for section in SECTIONS
                  if not section.single}
        added = request.query_params.get("added", "")
        return _page(request, who, "admin_site.html", status_code, code=code, site=site,
                     counts=counts, version=service.configuration.version,
                     province=who.account.role is AccountRole.PROVINCE,
                     refusals=refusals or [], added=added if added.isdigit() else None)

    async def section_list(request: Request, who: SignedIn) -> Response:
        code, section = request.path_params["code"], _section(request)
        if section is None:
            return _not_found(request, who)
        if section.single:
            return await _edit(request, who, code, section, None,
                               saved=request.query_params.get("saved"))
        _, site = _site_document(code)
        return _page(request, who, "admin_list.html", code=code, site=site, section=section,
                     items=site.get(section.key, []),
                     saved=request.query_params.get("saved"))

    async def item_form(request: Request, who: SignedIn) -> Response:
        code, section = request.path_params["code"], _section(request)
        if section is None or section.single:
            return _not_found(request, who)
        return await _edit(request, who, code, section, request.path_params["item"])

    async def _edit(request: Request, who: SignedIn, code: str, section: Section,
                    identity: str | None, saved: str | None = None) -> Response:
        _, site = _site_document(code)
        if section.single:
            item: dict[str, Any] | None = site
        elif identity == NEW:
            item = None
        else:
            item = _find(site, section, identity)
            if item is None:
                return _not_found(request, who)
        values = item_values(section, item or {})
        if section.slug == "services" and item is not None:
            values[SERVED_BY] = ", ".join(served_by(site, str(item.get("code"))))
        return _page(request, who, "admin_form.html", code=code, site=site, section=section,
                     identity=identity, values=values,
                     is_new=item is None, errors={}, problems=[], impacts=[],
                     saved=saved if saved is not None and saved.isdigit() else None)

    async def save(request: Request, who: SignedIn) -> Response:
        code, section = request.path_params["code"], _section(request)
        if section is None:
            return _not_found(request, who)
        identity = request.path_params.get("item")
        form_or_refusal = await _form(request, who)
        if isinstance(form_or_refusal, Response):
            return form_or_refusal
        form = form_or_refusal
        based_on = service.configuration.version
        document = copy.deepcopy(service.configuration.document)
        site_index, site = next((index, item) for index, item in enumerate(document["sites"])
                                if item.get("code") == code)
        t = translator(language(request))
        errors: dict[str, str] = {}
        made_token: str | None = None
        if section.single:
            changed = form_to_item(section, form, site)
            # An emptied input leaves its key out (its default applies): out of the site too.
            for gone in set(site) - set(changed):
                del site[gone]
            site.update(changed)
            item_index: int | None = None
            name = code
        else:
            items = site.setdefault(section.key, [])
            previous = None if identity == NEW else _find(site, section, identity)
            if identity != NEW and previous is None:
                return _not_found(request, who)
            item = form_to_item(section, form, previous)
            if section.slug == "officers":
                password = form.get("password_hash", "")
                if password or previous is None:
                    # The one password rule (the counter terminal's too).
                    problem = password_problem(password, str(item.get("user", "")))
                    if problem is not None:
                        english = language(request).value == "en"
                        errors["password_hash"] = problem if english else \
                            in_vietnamese(problem)
                    else:
                        item["password_hash"] = await service.run_blocking(hash_password,
                                                                           password)
            if section.slug == "services":
                chosen = [code.strip() for code in form.get(SERVED_BY, "").split(",")
                          if code.strip()]
                known = {str(counter.get("code")) for counter in site.get("counters", [])}
                unknown = [code for code in chosen if code not in known]
                if unknown:
                    errors[SERVED_BY] = t("unknown_counters", codes=", ".join(unknown))
                elif not chosen:
                    errors[SERVED_BY] = t("no_counter")
                serve_by(site, str(item.get("code", "")), chosen)
            for name, unticked in all_but_unticked(section, form, site).items():
                errors[name] = t("all_but_unticked", codes=", ".join(unticked))
            if section.slug == "tokens" and previous is None:
                made_token = secrets.token_urlsafe(24)
                item["token"] = made_token
            if previous is None:
                items.append(item)
                item_index = len(items) - 1
            else:
                item_index = items.index(previous)
                items[item_index] = item
            name = str(item.get(section.identity, ""))
        if errors:
            # The rules' reasons too, so every field is corrected in one go.
            assert service.configuration.settings is not None
            others: list[str] = []
            try:
                settings_from_document(service.configuration.settings, document)
            except ConfigError as error:
                _sort_problems(request, error, site_index, section, item_index, errors, others)
            return _form_again(request, who, code, section, identity, form, errors, others, [])
        comment = form.get("comment", "").strip()[:200] or (
            f"{section.title_vi}: {'thêm' if identity == NEW else 'sửa'} {name}")
        action = Action.DEVICE_ADD if section.slug == "tokens" and identity == NEW \
            else Action.CONFIG_CHANGE
        record = ChangeRecord(web_actor(request, who.account), action,
                              f"{code}/{section.slug}" + ("" if section.single else f"/{name}"))
        return await _change(request, who, code, section, identity, form, document,
                             comment, site_index, item_index, made_token, based_on, record)

    async def delete(request: Request, who: SignedIn) -> Response:
        code, section = request.path_params["code"], _section(request)
        identity = request.path_params["item"]
        if section is None or section.single:
            return _not_found(request, who)
        form_or_refusal = await _form(request, who)
        if isinstance(form_or_refusal, Response):
            return form_or_refusal
        based_on = service.configuration.version
        document = copy.deepcopy(service.configuration.document)
        site_index, site = next((index, item) for index, item in enumerate(document["sites"])
                                if item.get("code") == code)
        previous = _find(site, section, identity)
        if previous is None:
            return _not_found(request, who)
        site[section.key].remove(previous)
        if section.slug == "services":
            serve_by(site, identity, [])  # no counter's list may name a service that is gone
        form = form_or_refusal
        comment = form.get("comment", "").strip()[:200] or f"{section.title_vi}: xóa {identity}"
        record = ChangeRecord(web_actor(request, who.account),
                              Action.DEVICE_REVOKE if section.slug == "tokens"
                              else Action.CONFIG_CHANGE, f"{code}/{section.slug}/{identity}")
        return await _change(request, who, code, section, identity, form, document,
                             comment, site_index, None, None, based_on, record)

    async def _change(request: Request, who: SignedIn, code: str, section: Section,
                      identity: str | None, form: dict[str, str], document: dict[str, Any],
                      comment: str, site_index: int, item_index: int | None,
                      made_token: str | None, based_on: int, record: ChangeRecord
                      ) -> Response:
        try:
            # Based on the version read above: a change saved meanwhile (another
            # administrator, an officer's new password) is never overwritten.
            version = await service.configuration.change(
                document, who.account.user, comment, confirmed=form.get("confirmed") == "1",
                based_on=based_on, record=record)
        except ChangedMeanwhile:
            return _form_again(request, who, code, section, identity, form, {},
                               [translator(language(request))("changed_meanwhile")], [],
                               status_code=409)
        except ConfigError as error:
            errors: dict[str, str] = {}
            others: list[str] = []
            _sort_problems(request, error, site_index, section, item_index, errors, others)
            return _form_again(request, who, code, section, identity, form, errors, others,
                               [], status_code=400)
        except ConfirmationNeeded as needed:
            return _page(request, who, "admin_confirm.html", code=code, section=section,
                         identity=identity, form=form, impacts=needed.impacts,
                         action=request.url.path)
        except ChangeRefused as refused:
            return _form_again(request, who, code, section, identity, form, {}, [],
                               refused.impacts, status_code=409)
        except StoreError as error:
            logger.error("configuration change by %s not saved: %s", who.account.user, error)
            return _form_again(request, who, code, section, identity, form, {},
                               [translator(language(request))("not_saved")], [],
                               status_code=503)
        if made_token is not None:
            # Shown once, on this answer only: it is a secret and goes into no address.
            return _page(request, who, "admin_token.html", code=code, section=section,
                         token=made_token, name=form.get("name", ""), version=version)
        target = f"/admin/site/{code}/{section.slug}"
        if form.get("back") == "devices":  # revoked from the device list: back to it
            target = f"/admin/site/{code}/devices"
        return RedirectResponse(f"{target}?saved={version}", 303)

    def _form_again(request: Request, who: SignedIn, code: str, section: Section,
                    identity: str | None, form: dict[str, str], errors: dict[str, str],
                    problems: list[str], impacts: list[Any], status_code: int = 400
                    ) -> Response:
        _, site = _site_document(code)
        values = form_values(section, form)
        return _page(request, who, "admin_form.html", status_code, code=code, site=site,
                     section=section, identity=identity or NEW, values=values,
                     is_new=identity in (None, NEW) and not section.single, errors=errors,
                     problems=problems, impacts=impacts)

    async def history(request: Request, who: SignedIn) -> Response:
        versions = await service.configuration.history()
        return _page(request, who, "admin_history.html", versions=versions,
                     current=service.configuration.version,
                     restored=request.query_params.get("restored"))

    async def version(request: Request, who: SignedIn) -> Response:
        number_text = request.path_params["number"]
        number = int(number_text) if number_text.isdigit() and len(number_text) < 10 else -1
        shown = await service.configuration.version_of(number)
        if shown is None:
            return _not_found(request, who)
        before = await service.configuration.version_of(number - 1)
        visible = {code for code in service.sites if who.account.may_see(code)}
        return _page(request, who, "admin_version.html", shown=shown,
                     current=service.configuration.version,
                     diff=_diff(before.document if before else {}, shown.document, visible))

    async def restore(request: Request, who: SignedIn) -> Response:
        if who.account.role is not AccountRole.PROVINCE:
            return _page(request, who, "message.html", 403,
                         message=translator(language(request))("province_only"))
        form_or_refusal = await _form(request, who)
        if isinstance(form_or_refusal, Response):
            return form_or_refusal
        number_text = request.path_params["number"]
        number = int(number_text) if number_text.isdigit() and len(number_text) < 10 else -1
        try:
            made = await service.configuration.restore(
                number, who.account.user, confirmed=form_or_refusal.get("confirmed") == "1",
                record=ChangeRecord(web_actor(request, who.account), Action.CONFIG_RESTORE,
                                    f"version/{number}"))
        except ConfirmationNeeded as needed:
            return _page(request, who, "admin_confirm.html", code=None, section=None,
                         identity=None, form=form_or_refusal, impacts=needed.impacts,
                         action=request.url.path)
        except (ConfigError, ConfigurationChangeError) as error:
            return _page(request, who, "message.html", 409, message=str(error))
        return RedirectResponse(f"/admin/history?restored={made}", 303)

    async def _form(request: Request, who: SignedIn) -> dict[str, str] | Response:
        t = translator(language(request))
        try:
            form = await read_form(request, service.server.public_url, FORM_LIMIT)
        except FormRefused as refused:
            return _page(request, who, "message.html", refused.status_code,
                         message=refused.message)
        if not service.web_sessions.csrf_valid(who.session, form.get("csrf", "")):
            return _page(request, who, "message.html", 403, message=t("form_expired"))
        return form

    def _not_found(request: Request, who: SignedIn) -> Response:
        return _page(request, who, "message.html", 404,
                     message=translator(language(request))("not_found"))

    return [
        Route("/admin", guarded(home)),
        Route("/admin/history", guarded(history)),
        Route("/admin/history/{number}", guarded(version)),
        Route("/admin/history/{number}/restore", guarded(restore), methods=["POST"]),
        Route("/admin/sites/new", guarded(new_site), methods=["GET", "POST"]),
        Route("/admin/site/{code}", guarded(site_home)),
        Route("/admin/site/{code}/remove-site", guarded(remove_site), methods=["POST"]),
        Route("/admin/site/{code}/{section}", guarded(section_list)),
        Route("/admin/site/{code}/{section}", guarded(save), methods=["POST"]),
        Route("/admin/site/{code}/{section}/{item}", guarded(item_form)),
        Route("/admin/site/{code}/{section}/{item}", guarded(save), methods=["POST"]),
        Route("/admin/site/{code}/{section}/{item}/delete", guarded(delete),
              methods=["POST"]),
    ]


def _sort_problems(request: Request, error: ConfigError, site_index: int, section: Section,
                   item_index: int | None, errors: dict[str, str], others: list[str]) -> None:
    """Put each of ``error``'s problems beside its field of the item being edited
    (``errors``; a field's first reason is kept) or, when it is about something else (or
    nothing is being edited), above the form (``others``); in the page's language."""
    english = language(request).value == "en"
    for problem in error.problems:
        reason = problem.reason if english else in_vietnamese(problem.reason)
        name = field_of_key(problem.key, site_index, section, item_index) \
            if item_index is not None or section.single else None
        if name is not None:
            errors.setdefault(name, reason)
        else:
            others.append(f"{problem.key}: {reason}")


def _section(request: Request) -> Section | None:
    return BY_SLUG.get(request.path_params["section"])


def _find(site: dict[str, Any], section: Section, identity: str | None) -> dict[str, Any] | None:
    for item in site.get(section.key, []):
        if str(item.get(section.identity, "")) == identity:
            found: dict[str, Any] = item
            return found
    return None


def _diff(before: dict[str, Any], after: dict[str, Any], sites: set[str]) -> list[str]:
    """What changed between two documents, for the sites the reader may see, as a unified
    diff of their JSON (secrets shown as their last four characters only)."""
    def lines(document: dict[str, Any]) -> list[str]:
        shown = {"sites": [_masked(site) for site in document.get("sites", [])
                           if site.get("code") in sites]}
        return json.dumps(shown, ensure_ascii=False, indent=2, sort_keys=True).splitlines()
    return list(difflib.unified_diff(lines(before), lines(after), "trước / before",
                                     "sau / after", lineterm="", n=2))


def _masked(site: dict[str, Any]) -> dict[str, Any]:
    masked = copy.deepcopy(site)
    for token in masked.get("tokens", []):
        token["token"] = "…" + str(token.get("token", ""))[-4:]
    for officer in masked.get("officers", []):
        officer["password_hash"] = "(scrypt)"
    return masked
