"""The administration's device pages: a site's devices with their state, and enrolment codes.

- ``GET /admin/site/{code}/devices``: every device token of the site (the ``tokens``
  section) with its connection state (connected now or not), last contact, address, the
  app version it reports, its profile, its health (the ``device_status`` reports of its
  connections, as the managers' dashboard shows them: server.domain.hall through
  server.web.manage.figures_of, silent devices included), when it was enrolled, and a
  button for an enrolment code, an edit link and a revoke button (the tokens section's own
  delete, confirmed as there). Tokens no longer in the configuration whose device was seen
  or enrolled are listed as revoked, with the last refused attempt.
- ``POST /admin/site/{code}/tokens/{item}/enrol``: makes an enrolment code for that device
  (server.app.enrolment) and shows it once, with a QR code of the enrolment address drawn
  as inline SVG (no outside asset, no style attribute: the pages' CSP allows neither).

Only an account that administers the site (``admin`` of it, or ``province``) may see or use
them; every form carries the session's CSRF token.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import qrcode
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.app.device_registry import DeviceContact
from server.app.enrolment import Enrolment
from server.app.runtime import QueueService
from server.audit.model import Action
from server.config.settings import TokenSettings
from server.domain.model import DeviceReport
from server.store.database import StoreError
from server.store.enrolments import EnrolmentCode
from server.web.access import at_its_owner, visible_sites
from server.web.admin.sections import SECTIONS
from server.web.auth import SignedIn, language, signed_in_endpoint, web_actor
from server.web.forms import FormRefused, read_form
from server.web.manage import figures_of
from server.web.templating import page
from server.web.texts import translator

logger = logging.getLogger(__name__)

FORM_LIMIT = 4 * 1024


@dataclass(frozen=True, slots=True)
class Health:
    """One device a token's connections reported (its printer, ...): as last reported, and
    whether its connection has gone silent."""

    report: DeviceReport
    silent: bool


@dataclass(slots=True)
class DeviceRow:
    """One line of the device list."""

    name: str
    role: str
    token: TokenSettings | None  # None: revoked (no longer in the configuration)
    contact: DeviceContact | None
    health: list[Health] = field(default_factory=list)
    enrolled: EnrolmentCode | None = None  # the latest code used for it
    pending: EnrolmentCode | None = None  # an unused code still good

    @property
    def state(self) -> str:
        if self.token is None:
            return "revoked"
        if self.contact is not None and self.contact.connected:
            return "connected"
        return "offline"

    @property
    def faulty(self) -> bool:
        return any(item.silent or item.report.condition.value != "ok" for item in self.health)


def qr_svg(text: str) -> Markup:
    """A QR code of ``text`` as inline SVG: one path of dark modules, a quiet zone of 4."""
    code = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    cells = "".join(f"M{x} {y}h1v1h-1z" for y, row in enumerate(matrix)
                    for x, dark in enumerate(row) if dark)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="qr" viewBox="0 0 {size} {size}" '
        f'width="{size * 6}" height="{size * 6}" shape-rendering="crispEdges" role="img" '
        f'aria-label="QR"><rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{cells}"/></svg>')


def device_rows(service: QueueService, enrolment: Enrolment, site_code: str,
                codes: list[EnrolmentCode]) -> list[DeviceRow]:
    """The site's devices: each token in configuration order, then the revoked ones seen."""
    runtime = service.sites[site_code]
    now = runtime.clock()
    figures = figures_of(runtime)
    reports = {report.device: report for report in figures.devices}
    contacts = {contact.fingerprint: contact for contact in service.devices.of_site(site_code)}
    rows: list[DeviceRow] = []
    known: set[str] = set()
    for token in runtime.settings.tokens:
        fingerprint = enrolment.fingerprint(token.token)
        known.add(fingerprint)
        rows.append(_row(token.name, token.role.value, token, contacts.get(fingerprint),
                         fingerprint, codes, now))
    revoked: dict[str, DeviceRow] = {}
    for fingerprint, contact in contacts.items():
        if fingerprint not in known:
            revoked[fingerprint] = _row(contact.name, contact.role, None, contact,
                                        fingerprint, codes, now)
    for code in codes:
        if code.token_hash not in known and code.token_hash not in revoked \
                and code.used_at is not None:
            revoked[code.token_hash] = _row(code.device, code.role, None, None,
                                            code.token_hash, codes, now)
    rows.extend(revoked.values())
    for row in rows:
        if row.contact is not None:
            row.health = [Health(reports[name], name in figures.silent_since)
                          for name in sorted(row.contact.reported) if name in reports]
    return rows


def _row(name: str, role: str, token: TokenSettings | None, contact: DeviceContact | None,
         fingerprint: str, codes: list[EnrolmentCode], now: datetime) -> DeviceRow:
    mine = [code for code in codes if code.token_hash == fingerprint]  # newest first
    enrolled = next((code for code in mine if code.used_at is not None), None)
    pending = next((code for code in mine if code.used_at is None and code.replaced_at is None
                    and code.expires_at > now), None)
    return DeviceRow(name, role, token, contact, enrolled=enrolled,
                     pending=pending if token is not None else None)


def device_routes(service: QueueService, enrolment: Enrolment) -> list[Route]:
    """The device list and the enrolment code page (placed before the sections' routes)."""

    def guarded(handler: Callable[[Request, SignedIn, str], Awaitable[Response]]
                ) -> Callable[[Request], Awaitable[Response]]:
        async def administered(request: Request, who: SignedIn) -> Response:
            code = request.path_params["code"]
            if code in service.site_settings and who.account.may_administer(code):
                # Several processes: devices are known where the site is served.
                moved = await at_its_owner(service, request, code)
                if moved is not None:
                    return moved
            if code not in service.sites or not who.account.may_administer(code):
                return _page(request, who, "message.html", 404,
                             message=translator(language(request))("not_yours"))
            return await handler(request, who, code)
        return signed_in_endpoint(service, administered)

    def _page(request: Request, who: SignedIn, template: str, status_code: int = 200,
              **context: Any) -> Response:
        lang = language(request)
        sites = visible_sites(service, who.account)
        return page(template, status_code, t=translator(lang), lang=lang,
                    path=request.url.path, account=who.account, sites=sites,
                    csrf=service.web_sessions.csrf_token(who.session), sections=SECTIONS,
                    **context)

    async def devices(request: Request, who: SignedIn, code: str) -> Response:
        try:
            codes = await enrolment.codes_of(code)
        except StoreError as error:
            logger.error("enrolment codes of %s not read: %s", code, error)
            codes = []
        runtime = service.sites[code]
        rows = device_rows(service, enrolment, code, codes)
        return _page(request, who, "admin_devices.html", code=code, site=runtime.settings,
                     rows=rows, now=runtime.clock(), timezone=runtime.settings.timezone)

    async def make_code(request: Request, who: SignedIn, code: str) -> Response:
        t = translator(language(request))
        try:
            form = await read_form(request, service.server.public_url, FORM_LIMIT)
        except FormRefused as refused:
            return _page(request, who, "message.html", refused.status_code,
                         message=refused.message)
        if not service.web_sessions.csrf_valid(who.session, form.get("csrf", "")):
            return _page(request, who, "message.html", 403, message=t("form_expired"))
        runtime = service.sites[code]
        name = request.path_params["item"]
        token = next((item for item in runtime.settings.tokens if item.name == name), None)
        if token is None:
            return _page(request, who, "message.html", 404, message=t("not_found"))
        try:
            made = await enrolment.create(code, token, who.account.user)
        except StoreError as error:
            logger.error("enrolment code for %r of %s not saved: %s", name, code, error)
            return _page(request, who, "message.html", 503, message=t("not_saved"))
        # The code itself is never recorded: only that one was made, for which device, and
        # until when.
        await service.audit.record(service.audit.entry(
            web_actor(request, who.account), Action.DEVICE_ENROL_CODE, code,
            f"{code}/tokens/{token.name}",
            after={"role": token.role.value,
                   "expires_at": made.expires_at.isoformat(timespec="seconds")}))
        # Shown once, on this answer only; never in an address (the QR's is the server's).
        return _page(request, who, "admin_enrol.html", code=code, site=runtime.settings,
                     token=token, made=made, qr=qr_svg(made.url),
                     timezone=runtime.settings.timezone)

    return [
        Route("/admin/site/{code}/devices", guarded(devices)),
        Route("/admin/site/{code}/tokens/{item}/enrol", guarded(make_code), methods=["POST"]),
    ]
