"""The province's side of a centre's forwarded events (docs/protocol.md "A centre's own
server"; docs/architecture.md "A centre that keeps working alone").

A site marked ``forwarded_from_centre`` is run by the centre's own server; the province keeps
a copy for its reports and dashboards. The centre's ``centre`` connection sends the events of
the site's log in ``seq`` order, each with the stored values of its subject, and
:func:`apply_forward` persists them through the store's own event persistence
(:meth:`server.store.repository.Repository.plan`: tickets, counters, ratings, the day's
numbers and the event log, with the site's row first as the fence) in one transaction, then
reads the site back from the database and publishes the events to the site's subscribers
(a manager's dashboard, a display).

Idempotent and resumable: events at or below the site's stored ``seq`` are skipped (a batch
sent again after a lost reply applies nothing), and a batch that does not start right after
it is refused with ``gap`` (the centre asks again from the ``seq`` the province holds).
Forwards of one site run one at a time.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from server.app.audience import public_event_data
from server.domain.model import (
    CounterState,
    CounterStatus,
    DayReset,
    Event,
    EventName,
    Rating,
    RatingSource,
    SiteState,
    Ticket,
    TicketStatus,
)
from server.protocol import messages as wire
from server.protocol.messages import ErrorCode, ProtocolError
from server.security import track_code
from server.store.errors import NotOwner
from server.store.repository import SiteChanges, StoredEvent
from server.store.writer import WriterFenced

if TYPE_CHECKING:
    from server.app.runtime import QueueService, SiteRuntime

logger = logging.getLogger(__name__)

# The record each event must come with (``None``: none).
_RECORD_KIND = {
    **{name.value: "ticket" for name in EventName if name.value.startswith("ticket.")},
    EventName.COUNTER_CHANGED.value: "counter",
    EventName.RATING_RECEIVED.value: "rating",
    EventName.DAY_RESET.value: "day_reset",
    EventName.CONFIG_CHANGED.value: None,
    EventName.DEVICE_STATUS.value: None,
}

_locks: WeakKeyDictionary[SiteRuntime, asyncio.Lock] = WeakKeyDictionary()


async def apply_forward(service: QueueService, runtime: SiteRuntime,
                        request: wire.ForwardRequest) -> dict[str, Any]:
    """Persist the events of ``request`` for ``runtime``'s site; the reply's result:
    ``acknowledged`` (the site's ``seq`` now stored) and ``applied`` (how many were new).

    Raises :class:`ProtocolError` (``forbidden``, ``bad_request``, ``gap``: nothing
    written), :class:`NotOwner` (another process serves the site now) or
    :class:`~server.store.database.StoreError`.
    """
    site = runtime.settings.code
    if request.site != site:
        raise ProtocolError(ErrorCode.FORBIDDEN, f"field 'site': this connection forwards "
                                                 f"the events of site {site!r} only")
    if not runtime.settings.forwarded_from_centre:
        raise ProtocolError(ErrorCode.FORBIDDEN, f"site {site!r} is not fed by a centre "
                                                 "here (forwarded_from_centre is off)")
    events = request.events
    for index in range(1, len(events)):
        if events[index].seq != events[index - 1].seq + 1:
            raise ProtocolError(ErrorCode.BAD_REQUEST,
                                f"field 'events.{index}.seq': {events[index].seq} does not "
                                f"follow {events[index - 1].seq} (events go in seq order, "
                                "one by one)")
    for index, event in enumerate(events):
        _check_record(site, index, event)
    lock = _locks.setdefault(runtime, asyncio.Lock())
    async with lock:
        if runtime.gone is not None:
            raise runtime.not_owner()
        stored = runtime.committed.seq
        fresh = [event for event in events if event.seq > stored]
        if not fresh:
            return {"acknowledged": stored, "applied": 0}
        if fresh[0].seq != stored + 1:
            raise ProtocolError(ErrorCode.GAP, f"field 'events.0.seq': {fresh[0].seq} is not "
                                               f"the next event of site {site!r}; expected "
                                               f"seq {stored + 1}")
        changes = _changes(runtime, fresh)
        plan = service.repository.plan([changes])
        try:
            await service.writer.write(plan)
        except WriterFenced:
            if service.committer.on_fenced is not None:
                service.committer.on_fenced(site)  # dropped here: clients go to the owner
            raise NotOwner(site) from None
        # Stored: the next batch starts after it even if reading the site back fails.
        runtime.committed = runtime.working = replace(
            runtime.committed, seq=changes.state.seq,
            business_date=changes.state.business_date)
        await _read_back(service, runtime)
        for stored_event in changes.wire:
            runtime.recent.append(stored_event)
            public = public_event_data(stored_event.name, _data(fresh, stored_event.seq))
            runtime.deliver(stored_event, None if public is None else wire.encode_data(public))
        logger.info("site %s: %d events forwarded by its centre applied (seq %d to %d)", site,
                    len(fresh), fresh[0].seq, fresh[-1].seq)
        return {"acknowledged": runtime.committed.seq, "applied": len(fresh)}


def _data(events: list[wire.ForwardedEvent], seq: int) -> dict[str, Any]:
    return events[seq - events[0].seq].data


def _check_record(site: str, index: int, event: wire.ForwardedEvent) -> None:
    """The record an event needs, of this site's own tickets."""
    kind = _RECORD_KIND[event.event]
    key = f"field 'events.{index}.record'"
    record = event.record
    if kind is None:
        if record is not None:
            raise ProtocolError(ErrorCode.BAD_REQUEST, f"{key}: a {event.event} event has none")
        return
    if record is None or record.kind != kind:
        raise ProtocolError(ErrorCode.BAD_REQUEST,
                            f"{key}: a {event.event} event comes with a {kind} record")
    owned = f"{site}:"
    if isinstance(record, wire.TicketRecord | wire.RatingRecord):
        ticket_id = record.id if isinstance(record, wire.TicketRecord) else record.ticket_id
        if not ticket_id.startswith(owned):
            raise ProtocolError(ErrorCode.FORBIDDEN,
                                f"{key}: ticket {ticket_id!r} is not of site {site!r}")
    elif isinstance(record, wire.DayResetRecord):
        for position, ticket_id in enumerate(record.cancelled):
            if not ticket_id.startswith(owned):
                raise ProtocolError(ErrorCode.FORBIDDEN,
                                    f"{key}.cancelled.{position}: ticket {ticket_id!r} is not "
                                    f"of site {site!r}")


def _changes(runtime: SiteRuntime, events: list[wire.ForwardedEvent]) -> SiteChanges:
    """What the store writes for ``events``: each with its subject, the wire form as the
    centre sent it, and the site's row (its day, the last ``seq``, a queue key above every
    ticket's) fenced with this process's epoch."""
    site = runtime.settings.code
    state = runtime.committed
    business_date: date = state.business_date
    next_queue_key = state.next_queue_key
    domain: list[Event] = []
    stored: list[StoredEvent] = []
    for event in events:
        stored.append(StoredEvent(site, event.seq, event.event, event.at,
                                  wire.encode_data(event.data)))
        record = event.record
        if record is None:
            continue
        subject: Ticket | CounterState | Rating | DayReset
        if isinstance(record, wire.TicketRecord):
            subject = _ticket(record)
            business_date = max(business_date, record.business_date)
            next_queue_key = max(next_queue_key, record.queue_key + 1)
        elif isinstance(record, wire.CounterRecord):
            subject = CounterState(record.code, CounterStatus(record.status), record.officer,
                                   record.ticket_id, record.pause_reason,
                                   record.priority_streak, record.normal_streak,
                                   record.changed_at)
        elif isinstance(record, wire.RatingRecord):
            subject = Rating(record.ticket_id, record.score, RatingSource(record.source),
                             record.rated_at, record.counter, record.officer, record.service,
                             record.case_code)
        else:
            subject = DayReset(record.business_date, record.previous_date,
                               tuple(record.cancelled))
            business_date = max(business_date, record.business_date)
        domain.append(Event(event.seq, EventName(event.event), event.at, subject))
    after = SiteState(site=site, business_date=business_date, seq=events[-1].seq,
                      next_queue_key=next_queue_key)
    return SiteChanges(after, tuple(domain), tuple(stored), runtime.fence)


def _ticket(record: wire.TicketRecord) -> Ticket:
    return Ticket(
        id=record.id, number=record.number, sequence=record.sequence,
        number_group=record.number_group, service=record.service, priority=record.priority,
        status=TicketStatus(record.status), queue_key=record.queue_key,
        business_date=record.business_date, issued_at=record.issued_at,
        request_key=record.request_key, counter=record.counter,
        target_counter=record.target_counter, officer=record.officer,
        called_at=record.called_at, serving_at=record.serving_at,
        finished_at=record.finished_at, call_count=record.call_count,
        requeue_count=record.requeue_count, transfer_count=record.transfer_count,
        case_code=record.case_code, appointment_at=record.appointment_at,
        first_called_at=record.first_called_at, remote=record.remote)


async def _read_back(service: QueueService, runtime: SiteRuntime) -> None:
    """The site's state as the database now holds it (what a restart would read)."""
    loop = asyncio.get_running_loop()
    state = await loop.run_in_executor(service.readers, service.repository.load_site,
                                       runtime.settings)
    if state is None:  # written just now: only a bug could lose it
        raise ProtocolError(ErrorCode.INTERNAL, "the forwarded events could not be read back")
    runtime.committed = runtime.working = state
    runtime.tracks = {track_code(runtime.secret, ticket_id): ticket_id
                      for ticket_id in state.tickets}
