"""A centre's own server forwards its site's events to the province's deployment: store and
forward (docs/architecture.md "A centre that keeps working alone").

The centre's server runs its site alone on its own database: kiosks and counters in the
building keep working whatever the link to the province does. :class:`Forwarder` is one
long-lived task (supervised by the service: if it ever ends, the server reports itself
failed and stops, to be restarted) that:

- connects to the province as a ``centre`` connection (``[server.upstream]``: the addresses
  of the province's processes, any of which may be asked; ``moved`` is followed), whose hello
  says the ``seq`` the province holds for the site;
- reads the local event log after that ``seq`` (:func:`server.store.forwarding.read_batch`),
  and sends it in ``forward`` batches of at most ``batch_bytes``, one at a time, each after
  the previous one's reply, which says the ``seq`` now stored there;
- when nothing is left, waits for the site's next committed event (or, after a quiet
  while, pings the province to know the link is still there);
- on any failure (link down, province stopped, a refusal) logs it, waits (doubling from
  0.5 s up to ``retry_seconds``, with jitter) and starts again from the province's ``seq``:
  nothing is lost, and nothing is applied twice (the province skips what it holds).

Its state (link up or down and since when, the ``seq`` acknowledged, the backlog, the last
error) is :meth:`Forwarder.status`, shown by ``/health`` to an admin token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from datetime import datetime
from typing import TYPE_CHECKING, Any

from websockets.exceptions import WebSocketException

from server.config.settings import UpstreamSettings
from server.protocol.client import ClientError, ProtocolClient, RequestFailed
from server.protocol.client_options import websocket_urls
from server.protocol.messages import ErrorCode
from server.store.forwarding import read_batch

if TYPE_CHECKING:
    from server.app.runtime import Clock, QueueService, SiteRuntime

logger = logging.getLogger(__name__)

# Events read from the log at a time; a batch holds as many of them as fit its bytes.
READ_LIMIT = 500
# A reply slower than this means the link is gone (a province that answers nothing).
REPLY_SECONDS = 30.0
# With nothing to send for this long, the province is pinged: the link's state stays true.
QUIET_SECONDS = 15.0
FIRST_RETRY_SECONDS = 0.5


class _Wake:
    """Subscribed to the site: told of every committed event, it wakes the forwarder."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def deliver(self, seq: int, name: str, frame: str, public_frame: str | None) -> None:
        self.event.set()


class Refused(Exception):
    """The province refused what this centre sent, or holds more than this centre has."""


class Forwarder:
    """Forwards the events of ``upstream.site`` to the province, for ever (module doc)."""

    def __init__(self, service: QueueService, upstream: UpstreamSettings,
                 clock: Clock) -> None:
        self.service = service
        self.upstream = upstream
        self.clock = clock
        self.urls = websocket_urls(",".join(upstream.urls))
        self._wake = _Wake()
        self._watched: SiteRuntime | None = None
        # What status() reports.
        self.link_up = False
        self.since: datetime | None = None
        self.acknowledged: int | None = None
        self.forwarded = 0
        self.last_error: str | None = None
        # Whether the current connection got a batch through (a failure after that is
        # retried at once rather than after a long pause).
        self._progressed = False
        # Set whenever the state above changes (tests and pages wait on it; clear it first).
        self.changed = asyncio.Event()

    def status(self) -> dict[str, Any]:
        """The forwarder's state: the link, the ``seq`` the province acknowledged, the
        backlog (events of the site not yet stored there, when known) and the last error."""
        runtime = self.service.sites.get(self.upstream.site)
        local = None if runtime is None else runtime.committed.seq
        return {
            "site": self.upstream.site,
            "urls": list(self.upstream.urls),
            "link": "up" if self.link_up else "down",
            "since": None if self.since is None else self.since.isoformat(timespec="seconds"),
            "seq": local,
            "acknowledged": self.acknowledged,
            "backlog": (None if local is None or self.acknowledged is None
                        else max(local - self.acknowledged, 0)),
            "forwarded": self.forwarded,
            "last_error": self.last_error,
        }

    async def run(self) -> None:
        """Forward for ever; every failure is logged and retried after a pause."""
        pause = FIRST_RETRY_SECONDS
        while True:
            try:
                await self._forward()
            except Refused as error:
                self._down(str(error), logging.ERROR)
            except (ClientError, OSError, TimeoutError, WebSocketException) as error:
                self._down(f"{type(error).__name__}: {error}", logging.WARNING)
            else:
                pause = FIRST_RETRY_SECONDS
                continue
            if self._progressed:
                pause = FIRST_RETRY_SECONDS  # it was working: try again soon
            await asyncio.sleep(pause * random.uniform(0.8, 1.2))
            pause = min(pause * 2, self.upstream.retry_seconds)

    def _down(self, reason: str, level: int) -> None:
        if self.link_up or self.last_error != reason:
            logger.log(level, "forwarding site %s to %s: %s; trying again", self.upstream.site,
                       self.urls, reason)
        if self.link_up:
            self.since = self.clock()
        self.link_up = False
        self.last_error = reason
        self.changed.set()

    async def _forward(self) -> None:
        """One connection: forward until the link fails (raises) or a gap is answered
        (returns, to start again from the province's ``seq``)."""
        self._progressed = False
        site = self.upstream.site
        client = ProtocolClient(self.urls, "centre", self.upstream.token, site,
                                subscribe=[], open_timeout=REPLY_SECONDS,
                                ca_file=(None if self.upstream.ca_file is None
                                         else str(self.upstream.ca_file)))
        try:
            async with asyncio.timeout(REPLY_SECONDS):
                hello = await client.connect()
            acknowledged = int(hello["seq"])
            runtime = self._runtime()
            if acknowledged > runtime.committed.seq:
                raise Refused(f"the province holds {acknowledged} events of site {site!r}, "
                              f"more than this centre's {runtime.committed.seq}: it is not "
                              "this centre's copy (a new database here?); nothing is sent")
            self._acknowledge(acknowledged)
            if not self.link_up:
                self.link_up, self.since, self.last_error = True, self.clock(), None
                logger.info("forwarding site %s to %s: link up, the province holds seq %d",
                            site, client.url, acknowledged)
            while True:
                runtime = self._runtime()
                self._wake.event.clear()
                if runtime.committed.seq <= acknowledged:
                    await self._idle(client)
                    continue
                batch = await self._batch(acknowledged)
                if not batch:
                    await self._idle(client)
                    continue
                try:
                    async with asyncio.timeout(REPLY_SECONDS):
                        reply = await client.request("forward", site=site, events=batch)
                except RequestFailed as refusal:
                    if refusal.code == ErrorCode.GAP.value:
                        logger.warning("forwarding site %s: %s; starting again from the "
                                       "province's seq", site, refusal.message)
                        return
                    raise Refused(f"the province refused the batch: {refusal}") from refusal
                acknowledged = int(reply["acknowledged"])
                self.forwarded += int(reply["applied"])
                self._progressed = True
                self._acknowledge(acknowledged)
        finally:
            await client.close()

    def _acknowledge(self, seq: int) -> None:
        self.acknowledged = seq
        self.changed.set()

    def _runtime(self) -> SiteRuntime:
        """The site's runtime, with this forwarder subscribed to its events."""
        runtime = self.service.sites.get(self.upstream.site)
        if runtime is None:
            raise Refused(f"site {self.upstream.site!r} is not served by this server")
        if runtime is not self._watched:
            if self._watched is not None:
                self._watched.subscribers.discard(self._wake)
            runtime.subscribers.add(self._wake)
            self._watched = runtime
        return runtime

    async def _idle(self, client: ProtocolClient) -> None:
        """Wait for the site's next event; after a quiet while, check the link."""
        try:
            await asyncio.wait_for(self._wake.event.wait(), QUIET_SECONDS)
        except TimeoutError:
            async with asyncio.timeout(REPLY_SECONDS):
                await client.ping()

    async def _batch(self, after: int) -> list[dict[str, Any]]:
        """The events after ``after`` that fit one ``forward`` frame (at least one)."""
        loop = asyncio.get_running_loop()
        events = await loop.run_in_executor(self.service.readers, read_batch,
                                            self.service.repository.engines,
                                            self.upstream.site, after, READ_LIMIT)
        batch: list[dict[str, Any]] = []
        size = 200  # the request's own fields
        for event in events:
            size += len(json.dumps(event, ensure_ascii=False).encode()) + 1
            if batch and size > self.upstream.batch_bytes:
                break
            batch.append(event)
        return batch
