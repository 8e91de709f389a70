"""The deployment's configuration in force, and changing it while the server runs.

The configuration (sites and accounts) lives in the database (server.store.configuration):
the first start seeds it from the ``--config`` file; afterwards the file gives only the
``[server]`` table (where to listen, the database, limits), and changes come from the
administration pages (or ``qms config import``, at the next start). A change is:

1. validated by the configuration's own rules (server.config: the same as the TOML file's;
   :class:`~server.config.ConfigError` names the key);
2. weighed against today's queue (server.domain.impact): refused while it would break it
   (:class:`ChangeRefused`), or held until the administrator confirms what it does
   (:class:`ConfirmationNeeded`);
3. saved as a new version (who, when, why, the whole document), through the writer process,
   with its audit log entry (who, from where, each changed path before and after, no
   secret: server.audit.redaction) in the same transaction;
4. applied at once: each site's rules, views and names follow the new settings, a
   ``config.changed`` event tells every client to take a fresh snapshot, a new site starts,
   a removed site's connections close, and every connection whose token (or manager) the new
   configuration no longer knows is closed (a revoked device).

Tickets keep their numbers and places throughout: nothing of the queue itself changes.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from server.audit.model import Action, Actor, AuditEntry
from server.audit.redaction import configuration_changes
from server.config import ConfigError, Settings, parse_settings
from server.domain.impact import Impact, ImpactLevel, removed_site_impacts, site_change_impacts
from server.store.configuration import ConfigurationStore, ConfigurationVersion
from server.store.errors import StoreError

if TYPE_CHECKING:  # the runtime imports this module: a type-only import keeps the cycle out
    from server.app.runtime import QueueService

logger = logging.getLogger(__name__)


class ConfigurationChangeError(Exception):
    """A change that was not made; ``impacts`` say why (each with its key)."""

    def __init__(self, impacts: list[Impact]) -> None:
        super().__init__("; ".join(f"{impact.key}: {impact.message}" for impact in impacts))
        self.impacts = impacts


class ChangedMeanwhile(Exception):
    """Another change was made since the one being saved was prepared; nothing changed."""

    def __init__(self, based_on: int, current: int) -> None:
        super().__init__(f"the configuration changed meanwhile (version {based_on} is now "
                         f"{current}); nothing was saved: prepare the change again")
        self.based_on = based_on
        self.current = current


class ChangeRefused(ConfigurationChangeError):
    """The change would break today's queue; nothing was changed."""


class ConfirmationNeeded(ConfigurationChangeError):
    """The change does what ``impacts`` say; it is made when asked again with confirmation."""


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """How the audit log records a change: who made it and from where (``actor``), as
    which action, and its target (``site/section/item``; the version's number without)."""

    actor: Actor
    action: Action = Action.CONFIG_CHANGE
    target: str | None = None


@dataclass(frozen=True, slots=True)
class SiteImpacts:
    """The impacts of a change on one site (``site`` its code)."""

    site: str
    impacts: tuple[Impact, ...]


def settings_from_document(settings: Settings, document: dict[str, Any]) -> Settings:
    """``settings``' server part with the sites and accounts of ``document`` (validated;
    raises :class:`ConfigError` naming the key, as the TOML file would)."""
    parsed = parse_settings({"sites": document.get("sites", []),
                             "accounts": document.get("accounts", [])})
    admin_tokens = set(settings.server.admin_tokens)
    for site_index, site in enumerate(parsed.sites):
        for index, token in enumerate(site.tokens):
            if token.token in admin_tokens:
                raise ConfigError(f"sites[{site_index}].tokens[{index}].token",
                                  "is the same token as a server-wide admin token; every "
                                  "token must be unique")
    return replace(parsed, server=settings.server)


class Configuration:
    """The configuration in force for ``service``, its versions, and changes to it."""

    def __init__(self, service: QueueService, store: ConfigurationStore) -> None:
        self.service = service
        self.store = store
        self.version = 0
        self.document: dict[str, Any] = {}
        self.settings: Settings | None = None
        self._lock = asyncio.Lock()

    async def load(self, seed: Settings, seed_document: dict[str, Any]) -> Settings:
        """The settings to start with: the database's version when it has one, else
        ``seed`` (the ``--config`` file), saved as version 1."""
        latest = await asyncio.to_thread(self.store.latest)
        if latest is None:
            version = ConfigurationVersion(1, self.service.clock(), "seed",
                                           "từ tệp cấu hình (from the configuration file)",
                                           seed_document)
            try:
                await asyncio.to_thread(self.store.insert, version)
            except StoreError:
                # Several processes started on a new database at once: another one saved
                # version 1 first (the version is the key). Its document is the deployment's.
                latest = await asyncio.to_thread(self.store.latest)
                if latest is None:
                    raise
            else:
                logger.info("configuration saved in the database as version 1, from the file")
                self._set(version, seed)
                return seed
        settings = settings_from_document(seed, latest.document)
        logger.info("configuration version %d from the database (%s, %s); the file gives "
                    "only its [server] table now", latest.version, latest.author,
                    latest.created_at.isoformat(timespec="seconds"))
        self._set(latest, settings)
        return settings

    def impacts(self, settings: Settings) -> list[SiteImpacts]:
        """What replacing the configuration by ``settings`` would do to each site today."""
        found = []
        new_sites = {site.code: site for site in settings.sites}
        for code, runtime in self.service.sites.items():
            new = new_sites.get(code)
            impacts = (site_change_impacts(runtime.settings, new, runtime.working)
                       if new is not None else removed_site_impacts(
                           runtime.settings, runtime.working,
                           [contact.name for contact in self.service.devices.of_site(code)
                            if contact.connected]))
            if impacts:
                found.append(SiteImpacts(code, tuple(impacts)))
        if self.service.ownership is not None:
            # Several processes: only the one serving a site knows its day and devices.
            for code in self.service.site_settings:
                if code not in new_sites and code not in self.service.sites:
                    owner = self.service.owner_url(code) or "?"
                    found.append(SiteImpacts(code, (Impact(
                        ImpactLevel.REFUSED, code,
                        f"Trung tâm {code} do tiến trình máy chủ khác phục vụ ({owner}): gỡ "
                        f"bỏ trên trang quản trị của tiến trình đó. / Site {code} is served by "
                        f"another server process ({owner}): remove it on that process's "
                        "administration pages."),)))
        return found

    async def change(self, document: dict[str, Any], author: str, comment: str,
                     confirmed: bool = False, based_on: int | None = None,
                     record: ChangeRecord | None = None) -> int:
        """Make ``document`` the configuration; returns its version.

        ``based_on``: the version ``document`` was made from; if another change came in
        since, nothing is changed (:class:`ChangedMeanwhile`), so no change is lost.
        ``record``: the audit log's entry of it, written with the version.
        Raises :class:`ConfigError` (invalid), :class:`ChangeRefused`,
        :class:`ConfirmationNeeded` (nothing changed), or StoreError (not saved; nothing
        changed)."""
        async with self._lock:
            if based_on is not None and based_on != self.version:
                raise ChangedMeanwhile(based_on, self.version)
            return await self._change(document, author, comment, confirmed, record)

    async def edit(self, change: Callable[[dict[str, Any]], None], author: str, comment: str,
                   confirmed: bool = False, record: ChangeRecord | None = None) -> int:
        """Apply ``change`` (it edits a copy of the document in force in place) and make the
        result the configuration, with no other change in between; as :meth:`change`
        otherwise (``change`` may raise ConfigError too)."""
        async with self._lock:
            document = copy.deepcopy(self.document)
            change(document)
            return await self._change(document, author, comment, confirmed, record)

    async def _change(self, document: dict[str, Any], author: str, comment: str,
                      confirmed: bool, record: ChangeRecord | None) -> int:
        """:meth:`change` with the lock held."""
        assert self.settings is not None
        settings = settings_from_document(self.settings, document)
        impacts = [impact for site in self.impacts(settings) for impact in site.impacts]
        refused = [impact for impact in impacts if impact.level is ImpactLevel.REFUSED]
        if refused:
            raise ChangeRefused(refused)
        if impacts and not confirmed:
            raise ConfirmationNeeded(impacts)
        version = ConfigurationVersion(self.version + 1, self.service.clock(), author,
                                       comment, document)
        plan = self.store.insert_plan(version)
        if record is not None:
            plan += self.service.audit.plan([self._entry(record, document, version.version)])
        await self.service.writer.write(plan)
        self._set(version, settings)
        await self.service.apply_settings(settings, version.version)
        logger.info("configuration version %d by %s: %s", version.version, author,
                    comment or "(no comment)")
        return version.version

    def _entry(self, record: ChangeRecord, document: dict[str, Any],
               version: int) -> AuditEntry:
        """The audit entry of the change from the document in force to ``document`` (made
        version ``version``): each changed path before and after, secrets hidden."""
        before, after, sites = configuration_changes(self.document, document)
        before["version"], after["version"] = self.version, version
        return self.service.audit.entry(record.actor, record.action,
                                        next(iter(sites)) if len(sites) == 1 else None,
                                        record.target or f"version/{version}", before, after)

    async def restore(self, number: int, author: str, confirmed: bool = False,
                      record: ChangeRecord | None = None) -> int:
        """Make version ``number`` the configuration again, as a new version."""
        old = await asyncio.to_thread(self.store.version, number)
        if old is None:
            raise ConfigError("version", f"there is no version {number}")
        return await self.change(old.document, author, f"restored version {number}",
                                 confirmed, record=record)

    async def follow(self) -> None:
        """Run on the newest version in the database when another server process saved it
        (several processes on one PostgreSQL database): applied here as if made here, to
        the sites this process serves."""
        async with self._lock:
            latest = await asyncio.to_thread(self.store.latest)
            if latest is None or latest.version <= self.version or self.settings is None:
                return
            settings = settings_from_document(self.settings, latest.document)
            self._set(latest, settings)
            await self.service.apply_settings(settings, latest.version)
            logger.info("configuration version %d (by %s, saved by another server process) "
                        "applied", latest.version, latest.author)

    async def history(self, limit: int = 100) -> list[ConfigurationVersion]:
        return await asyncio.to_thread(self.store.history, limit)

    async def version_of(self, number: int) -> ConfigurationVersion | None:
        return await asyncio.to_thread(self.store.version, number)

    def _set(self, version: ConfigurationVersion, settings: Settings) -> None:
        self.version = version.version
        self.document = version.document
        self.settings = settings
        self.changed_at: datetime = version.created_at
