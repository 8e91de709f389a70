"""Which site a tracking code belongs to, when another server process serves that site.

A ticket's QR code holds a tracking code (an HMAC of the ticket id with the deployment's
secret: it cannot be turned back into the id). The process that serves the site knows its
codes (``SiteRuntime.tracks``); with several processes on one PostgreSQL database a
citizen's phone may reach another one. That process reads the ids of today's tickets of the
sites it does not serve from the database, computes their codes with the shared secret, and
sends the phone on to the owner (the status page: a 307; its live socket: ``moved``).

The codes are read again only when one is not found and the last read is at least
:data:`REFRESH_SECONDS` old, one read at a time (pages asking together share it): a made-up
code costs at most one read every few seconds, whoever sends it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from server.security import track_code
from server.store.errors import StoreError

if TYPE_CHECKING:  # the runtime imports this module
    from server.app.runtime import QueueService

logger = logging.getLogger(__name__)

# A code not found reads the others' codes again only once the last read is this old.
REFRESH_SECONDS = 5.0


class RemoteTracks:
    """Tracking codes of the sites this process does not serve, read from the database."""

    def __init__(self, service: QueueService,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._service = service
        self._monotonic = monotonic
        self._sites: dict[str, str] = {}
        self._read_at: float | None = None
        self._reading: asyncio.Task[None] | None = None
        self.reads = 0

    async def site_of(self, track: str) -> str | None:
        """The site whose ticket of today has tracking code ``track`` and which this process
        does not serve; ``None`` when there is none (or the database cannot say now)."""
        site = self._known(track)
        if site is not None:
            return site
        if self._reading is None:
            if self._read_at is not None and \
                    self._monotonic() - self._read_at < REFRESH_SECONDS:
                return None
            self._reading = asyncio.get_running_loop().create_task(self._read())
            self._reading.add_done_callback(self._read_done)
        # Shielded: a page that goes away does not cancel the read the others wait on.
        await asyncio.shield(self._reading)
        return self._known(track)

    def _read_done(self, _task: asyncio.Task[None]) -> None:
        self._reading = None

    def _known(self, track: str) -> str | None:
        site = self._sites.get(track)
        # A site taken over here since the read is answered from its runtime, not from here.
        return None if site is None or site in self._service.sites else site

    async def _read(self) -> None:
        service = self._service
        others = [code for code in service.site_settings if code not in service.sites]
        secret = service.server.secret

        def codes() -> dict[str, str]:
            return {track_code(secret, ticket_id): site
                    for site, ticket_id in service.repository.current_ticket_ids(others)}

        try:
            self._sites = await asyncio.get_running_loop().run_in_executor(
                service.readers, codes)
        except (StoreError, SQLAlchemyError) as error:
            logger.warning("could not read the other processes' tracking codes: %s", error)
        finally:
            self._read_at = self._monotonic()
            self.reads += 1
