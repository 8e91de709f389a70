"""The hall of a site that another server process serves, read from the database.

With several server processes on one PostgreSQL database (docs/architecture.md), a page
opened on one process shows sites that others serve: the province view has a row for every
site its account sees. A site served here is shown from its live state; one served elsewhere
from its day as the database holds it (every committed ticket and counter: what a takeover
reads back), at most :data:`FRESH_SECONDS` old. Reads run on the service's reader pool, one
per site at a time, so a page opened by many managers reads each site once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from server.app.runtime import QueueService
from server.config.settings import SiteSettings
from server.domain import rules
from server.domain.hall import HallFigures, hall_figures
from server.domain.model import SiteState
from server.store.errors import StoreError

logger = logging.getLogger(__name__)

# How old a remote site's figures may be before a page reads them again.
FRESH_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class _Read:
    state: SiteState
    at: float


class RemoteHalls:
    """Figures of sites served by other processes, read from the database and kept for
    :data:`FRESH_SECONDS`."""

    def __init__(self, service: QueueService,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._service = service
        self._monotonic = monotonic
        self._reads: dict[str, _Read] = {}
        self._reading: dict[str, asyncio.Task[SiteState | None]] = {}

    async def figures(self, settings: SiteSettings) -> HallFigures | None:
        """The hall of ``settings``'s site as the database holds it now (at most
        :data:`FRESH_SECONDS` old); ``None`` when it cannot be read (logged)."""
        code = settings.code
        kept = self._reads.get(code)
        if kept is None or self._monotonic() - kept.at >= FRESH_SECONDS:
            state = await self._read(settings)
            if state is None:
                return None
            kept = self._reads[code] = _Read(state, self._monotonic())
        now = self._service.clock()
        state = kept.state
        if state.business_date != rules.local_date(settings, now):
            state = rules.new_site_state(settings, now)  # nobody has opened today yet
        return hall_figures(settings, state, now)

    async def _read(self, settings: SiteSettings) -> SiteState | None:
        code = settings.code
        task = self._reading.get(code)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._load(settings))
            self._reading[code] = task
            task.add_done_callback(lambda _: self._reading.pop(code, None))
        return await asyncio.shield(task)

    async def _load(self, settings: SiteSettings) -> SiteState | None:
        try:
            state = await self._service.run_blocking(self._service.repository.load_site,
                                                     settings)
        except (StoreError, SQLAlchemyError) as error:
            logger.error("site %s: its hall could not be read from the database: %s",
                         settings.code, error)
            return None
        if isinstance(state, SiteState):
            return state
        return rules.new_site_state(settings, self._service.clock())  # a new site
