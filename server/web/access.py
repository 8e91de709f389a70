"""Who may see which site: the one place that decides it for every page and the live socket.

A ``province`` account sees every site of the deployment; a ``manager`` the sites its
account lists (server.config.settings.AccountSettings). A site outside an account's list is
answered exactly like a site that does not exist, so site codes cannot be probed.
"""

from __future__ import annotations

from server.app.runtime import QueueService, SiteRuntime
from server.config.settings import AccountSettings


def visible_sites(service: QueueService, account: AccountSettings) -> list[SiteRuntime]:
    """The sites ``account`` may see, in the configuration's order."""
    return [runtime for code, runtime in service.sites.items() if account.may_see(code)]


def visible_site(service: QueueService, account: AccountSettings,
                 code: str) -> SiteRuntime | None:
    """Site ``code`` when ``account`` may see it; ``None`` otherwise (unknown or not theirs)."""
    runtime = service.sites.get(code)
    return runtime if runtime is not None and account.may_see(code) else None
