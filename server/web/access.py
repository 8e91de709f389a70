"""Who may see which site: the one place that decides it for every page and the live socket.

A ``province`` account sees every site of the deployment; a ``manager`` the sites its
account lists (server.config.settings.AccountSettings). A site outside an account's list is
answered exactly like a site that does not exist, so site codes cannot be probed.

Every site of the configuration is visible, whichever server process serves it: with
several processes on one PostgreSQL database (docs/architecture.md) a site served by another
process has no runtime here (``runtime`` is ``None``); pages that need its live state send
the browser to its owner or read its day from the database (server.web.remote_halls).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse

from server.app.runtime import QueueService, SiteRuntime
from server.config.settings import AccountSettings, SiteSettings


@dataclass(frozen=True, slots=True)
class VisibleSite:
    """A site a signed-in account may see: its ``settings``, and its ``runtime`` when this
    process serves it (``None``: another server process does, or none right now)."""

    settings: SiteSettings
    runtime: SiteRuntime | None


def visible_sites(service: QueueService, account: AccountSettings) -> list[VisibleSite]:
    """The sites ``account`` may see, in the configuration's order."""
    return [VisibleSite(settings, service.sites.get(code))
            for code, settings in service.site_settings.items() if account.may_see(code)]


def visible_site(service: QueueService, account: AccountSettings,
                 code: str) -> VisibleSite | None:
    """Site ``code`` when ``account`` may see it; ``None`` otherwise (unknown or not theirs)."""
    settings = service.site_settings.get(code)
    if settings is None or not account.may_see(code):
        return None
    return VisibleSite(settings, service.sites.get(code))


async def at_its_owner(service: QueueService, request: Request,
                       code: str) -> RedirectResponse | None:
    """For a page of site ``code`` opened on a process that does not serve it (several
    processes on one PostgreSQL database): the same page at the process that does (307,
    which keeps a form's method and body), after waiting a moment for an owner as ``hello``
    does while the site is being taken over. ``None`` when this process serves it (or came
    to, meanwhile), when it is not configured, or when nobody serves it now: the caller
    answers then (503, say)."""
    if code in service.sites or code not in service.site_settings:
        return None
    runtime, owner = await service.site_for_hello(code)
    if runtime is not None or owner is None:
        return None
    if owner.rstrip("/") == service.server.public_url.rstrip("/"):
        return None
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"{owner.rstrip('/')}{request.url.path}{query}", 307)
