"""The running server's audit log: entries made and written, refusals bounded, old ones purged.

Where an entry is written:

- **A queue command** (an officer's call, a counter's login, an administrator's
  cancellation): its entry travels with the command's changes
  (:class:`server.store.repository.SiteChanges`) and is written by the committer in the same
  transaction as its events: both are saved or neither.
- **A configuration change** (the administration pages, an officer's new password, a
  restore): in the same transaction as the new version (server.app.configuration).
- **Anything else** (a sign-in, a feedback answer, a report downloaded, an enrolment code):
  by :meth:`AuditLog.record`, through the writer process, right after the action. If it
  cannot be written, that is logged and the action stands.
- **A refused attempt** (a failed sign-in, a request a connection may not make, a bad device
  token): :meth:`AuditLog.refused`, at most :data:`REFUSALS_PER_MINUTE` a minute from one
  address (bursts of :data:`REFUSAL_BURST`), so a flood from one machine cannot fill the
  database; the ones beyond are left to the server's log, which records every failure.

Reads run on worker threads of their own (``asyncio.to_thread``), never on the event loop or
the queue's reader threads.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from server.audit.model import Action, Actor, AuditEntry, AuditOutcome, StoredEntry
from server.audit.redaction import encoded
from server.audit.store import AuditQuery, AuditStore
from server.store.errors import StoreError
from server.store.plan import WritePlan

if TYPE_CHECKING:  # the runtime makes the log: a type-only import keeps the cycle out
    from server.app.runtime import QueueService

logger = logging.getLogger(__name__)

REFUSALS_PER_MINUTE = 20
REFUSAL_BURST = 20
# Addresses whose refusals are counted at once (the oldest is forgotten beyond).
ADDRESSES_KEPT = 4096


class RefusalAllowance:
    """How many refused attempts from each address are still recorded: a token bucket per
    address, :data:`REFUSAL_BURST` deep, refilled at :data:`REFUSALS_PER_MINUTE` a minute."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, address: str) -> bool:
        now = self.clock()
        tokens, updated = self._buckets.pop(address, (float(REFUSAL_BURST), now))
        tokens = min(float(REFUSAL_BURST),
                     tokens + (now - updated) * REFUSALS_PER_MINUTE / 60.0)
        allowed = tokens >= 1.0
        self._buckets[address] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > ADDRESSES_KEPT:
            self._buckets.popitem(last=False)
        return allowed

    def __len__(self) -> int:
        """How many addresses are remembered."""
        return len(self._buckets)


class AuditLog:
    """The audit log of ``service`` (see the module docstring)."""

    def __init__(self, service: QueueService) -> None:
        self.service = service
        self.store = AuditStore(service.repository.engines)
        self.refusals = RefusalAllowance()

    def entry(self, actor: Actor, action: Action | str, site: str | None = None,
              target: str | None = None, before: Any = None, after: Any = None,
              outcome: AuditOutcome = AuditOutcome.OK, error: str | None = None
              ) -> AuditEntry:
        """An entry made now; ``before`` and ``after`` are kept redacted
        (server.audit.redaction)."""
        return AuditEntry(self.service.clock(), site, actor, str(action), target,
                          encoded(before), encoded(after), outcome, error)

    def plan(self, entries: Sequence[AuditEntry]) -> WritePlan:
        """Adding ``entries``, to put in the plan of the change they record."""
        return self.store.insert_plan(entries)

    async def record(self, entry: AuditEntry) -> bool:
        """Write ``entry`` now; ``False`` (logged) when it could not be written."""
        try:
            await self.service.writer.write(self.store.insert_plan([entry]))
        except StoreError as error:
            logger.error("audit entry %s by %s (%s) not written: %s", entry.action,
                         entry.actor.name, entry.actor.address, error)
            return False
        return True

    async def refused(self, actor: Actor, action: Action | str, error: str,
                      site: str | None = None, target: str | None = None) -> bool:
        """Record a refused attempt, unless its address has had its share this minute
        (``False`` then, or when it could not be written)."""
        if not self.refusals.take(actor.address or "unknown"):
            logger.debug("refused %s from %s not recorded in the audit log: over the limit",
                         action, actor.address)
            return False
        return await self.record(self.entry(actor, action, site, target,
                                            outcome=AuditOutcome.REFUSED, error=error))

    async def purge_old(self) -> int:
        """Delete entries older than ``[server] audit_retention_days`` (the daily purge);
        returns how many. A failure is logged and tried again at the next purge."""
        cutoff = self.service.clock() - timedelta(
            days=self.service.server.audit_retention_days)
        try:
            purged = (await self.service.writer.write(self.store.purge_plan(cutoff)))[0]
        except StoreError as error:
            logger.error("purging audit entries older than %s failed (tried again at the "
                         "next purge): %s", cutoff.isoformat(), error)
            return 0
        if purged:
            logger.info("purged %d audit entries older than %s", purged, cutoff.isoformat())
        return purged

    async def page(self, query: AuditQuery, offset: int, limit: int) -> list[StoredEntry]:
        """Entries of ``query``, newest first (raises StoreError)."""
        return await asyncio.to_thread(self.store.page, query, offset, limit)

    async def batch(self, query: AuditQuery, after_id: int, limit: int) -> list[StoredEntry]:
        """Entries of ``query`` after row ``after_id``, oldest first (raises StoreError)."""
        return await asyncio.to_thread(self.store.batch, query, after_id, limit)
