"""Who a counter calls next, its waiting list, and the expected service times.

Calling order for a counter (summarised in docs/architecture.md, "Queue rules"):
1. tickets transferred to this very counter (they have already waited once);
2. appointment check-ins whose slot has come, earliest slot first, across its services;
3. the pool of ordinary queued tickets: with ``preference`` order, the first service in the
   counter's list that has anyone waiting; with ``arrival`` order, all its services together;
4. within the pool, the site's priority policy picks a priority or an ordinary ticket, and
   each kind is first come, first served (smallest queue key).

Where a ticket stands among all the open counters, and when it will be called, is
:mod:`server.domain.forecast`, built on :func:`choose_next`'s order.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from server.config.settings import (
    CallOrder,
    CounterSettings,
    PriorityPolicy,
    PriorityPolicyKind,
    SiteSettings,
)
from server.domain.model import CounterState, CounterStatus, SiteState, Ticket

RECENT_SERVICE_TIMES = 20


def choose_next(
    site: SiteSettings, state: SiteState, counter: CounterSettings, now: datetime
) -> Ticket | None:
    """The ticket ``counter`` should call now, or ``None`` when nobody waits for it."""
    targeted = state.counter_queues.get(counter.code)
    if targeted:
        return _earliest(state, targeted.keys())

    due, pools = _split_queues(state, counter, now)
    if due:
        return min(due, key=_appointment_order)
    for priority, ordinary in pools:
        if priority or ordinary:
            break
    else:
        return None
    if not priority or not ordinary:
        return min(priority or ordinary, key=_queue_order)
    take_priority = _priority_turn(site.priority_policy, state.counter(counter.code))
    return min(priority if take_priority else ordinary, key=_queue_order)


Pool = tuple[list[Ticket], list[Ticket]]
"""Priority tickets and ordinary tickets, in no particular order."""


def _split_queues(state: SiteState, counter: CounterSettings,
                  now: datetime) -> tuple[list[Ticket], list[Pool]]:
    """One pass over ``counter``'s queues: the appointments that are due, and the pools the
    other tickets are called from: one per service in the counter's list with ``preference``
    order, one for all its services with ``arrival`` order."""
    due: list[Ticket] = []
    pools: list[Pool] = []
    for service in counter.services:
        priority: list[Ticket] = []
        ordinary: list[Ticket] = []
        for ticket in _queued(state, (service,)):
            if ticket.appointment_at is not None and ticket.appointment_at <= now:
                due.append(ticket)
            elif ticket.priority is not None:
                priority.append(ticket)
            else:
                ordinary.append(ticket)
        pools.append((priority, ordinary))
    if counter.order is not CallOrder.PREFERENCE:
        pools = [([ticket for pool in pools for ticket in pool[0]],
                  [ticket for pool in pools for ticket in pool[1]])]
    return due, pools


def _appointment_order(ticket: Ticket) -> tuple[datetime, int]:
    assert ticket.appointment_at is not None
    return ticket.appointment_at, ticket.queue_key


def _priority_turn(policy: PriorityPolicy, counter: CounterState) -> bool:
    """With both kinds waiting, whether this call goes to a priority ticket."""
    return priority_turn(policy, counter.priority_streak, counter.normal_streak)


def priority_turn(policy: PriorityPolicy, priority_streak: int, normal_streak: int | None) -> bool:
    """With both kinds waiting, whether a counter with these streaks (see
    :class:`~server.domain.model.CounterState`) calls a priority ticket next."""
    if policy.kind is PriorityPolicyKind.STRICT:
        return True
    if priority_streak > 0:
        return priority_streak < policy.priority
    # ``None``: no call yet, so the priority group is owed its turn first.
    return normal_streak is None or normal_streak >= policy.normal


def record_call(counter: CounterState, ticket: Ticket) -> CounterState:
    """The counter's streaks after calling ``ticket``."""
    if ticket.priority is not None:
        return replace(counter, priority_streak=counter.priority_streak + 1, normal_streak=0)
    return replace(counter, priority_streak=0, normal_streak=(counter.normal_streak or 0) + 1)


def open_counters(site: SiteSettings, state: SiteState, service: str) -> int:
    """Counters that serve ``service`` and have an officer who is not on a pause."""
    return sum(
        1
        for counter in site.counters_serving(service)
        if state.counter(counter.code).status is CounterStatus.OPEN
    )


def average_service_seconds(site: SiteSettings, state: SiteState, service: str) -> float:
    """Median of recent service times, or the service's configured expectation."""
    recent = state.service_seconds.get(service)
    if recent:
        return float(statistics.median(recent))
    settings = site.service(service)
    return 60.0 * (settings.expected_minutes if settings else 10.0)


def add_service_time(recent: tuple[float, ...] | None, seconds: float) -> tuple[float, ...]:
    """Keep the last :data:`RECENT_SERVICE_TIMES` durations, newest last."""
    return ((recent or ()) + (max(seconds, 0.0),))[-RECENT_SERVICE_TIMES:]


def _queued(state: SiteState, services: Iterable[str]) -> Iterable[Ticket]:
    for service in services:
        queue = state.queues.get(service)
        if queue:
            for ticket_id in queue:
                yield state.tickets[ticket_id]


def _earliest(state: SiteState, ticket_ids: Iterable[str]) -> Ticket:
    return min((state.tickets[ticket_id] for ticket_id in ticket_ids), key=_queue_order)


def _queue_order(ticket: Ticket) -> int:
    return ticket.queue_key


def calling_order(
    site: SiteSettings, state: SiteState, counter: CounterSettings, now: datetime,
    limit: int = 50,
) -> list[Ticket]:
    """The queued tickets in the order ``counter`` would call them, at most ``limit``.

    Exactly what pressing "next" again and again would do (if nobody else called first),
    streaks included, but worked out with one sort rather than ``limit`` calls of
    :func:`choose_next`: a counter asks for this after every event of its services, and with
    a few hundred waiting the repeated scans cost milliseconds each time. A test checks it
    against the step-by-step simulation.
    """
    order: list[Ticket] = []
    streaks = state.counter(counter.code)

    def take(tickets: Iterable[Ticket]) -> bool:
        """Append ``tickets`` as calls; False once the list is full."""
        nonlocal streaks
        for ticket in tickets:
            if len(order) >= limit:
                return False
            order.append(ticket)
            streaks = record_call(streaks, ticket)
        return len(order) < limit

    # 1. Tickets transferred to this counter, then 2. every due appointment: while one of
    # them is left, it is called before anything else.
    targeted = state.counter_queues.get(counter.code)
    if targeted and not take(sorted((state.tickets[ticket_id] for ticket_id in targeted),
                                    key=_queue_order)):
        return order
    due, pools = _split_queues(state, counter, now)
    if not take(sorted(due, key=_appointment_order)):
        return order
    # 3. The pools, in the counter's order of services (or one for all of them).
    for priority, ordinary in pools:
        priority.sort(key=_queue_order)
        ordinary.sort(key=_queue_order)
        next_priority = next_ordinary = 0
        while next_priority < len(priority) or next_ordinary < len(ordinary):
            if next_priority < len(priority) and next_ordinary < len(ordinary):
                # 4. Both kinds waiting: the site's policy, with the streaks so far.
                take_priority = _priority_turn(site.priority_policy, streaks)
            else:
                take_priority = next_priority < len(priority)
            if take_priority:
                ticket, next_priority = priority[next_priority], next_priority + 1
            else:
                ticket, next_ordinary = ordinary[next_ordinary], next_ordinary + 1
            if not take((ticket,)):
                return order
    return order
