"""Where a waiting ticket stands: who the open counters call before it, and when (pure).

The model (docs/architecture.md, "Queue rules"), worked out at one moment ``now`` on a state
where nothing else happens (no new tickets, nobody pauses):

- Only **open** counters call; paused and closed ones do not.
- The counters **take turns**: the one free soonest calls next, a tie going to the counter
  listed first in the configuration. An idle counter is free at ``now``; one with a ticket in
  hand once that ticket has had its service's expected time, counted from when it was called
  (or started), and never later than that time from ``now``.
- Each call takes exactly the ticket :func:`~server.domain.calling.choose_next` would give that
  counter at ``now`` on the state the calls before it left, streaks included: its transferred
  tickets, due appointments, then its services by preference (or arrival) under the site's
  priority policy. That is the order the counter's own waiting list shows
  (:func:`~server.domain.calling.calling_order`), now shared with every other open counter.
- A call keeps the counter busy for the expected time of the called ticket's service
  (:func:`~server.domain.calling.average_service_seconds`: the median of recent service times,
  else the configured expectation). A counter with nobody left to call drops out.

A waiting ticket's :class:`Standing`:

- ``ahead``: the calls made before its own by the counters that could call it, that is the
  open counters serving its service, or for a ticket transferred to one counter, that counter
  alone. Calls at other counters do not count, even when they take tickets off its queue.
- ``wait_seconds``: when its call comes, from ``now``; ``eta_minutes`` rounds it up.
- ``known`` is False when no open counter could call it: any figure would be a guess. Then
  ``ahead`` is only a fact (the tickets of its own queue that came before it, so old clients
  that read nothing else still print a sensible number) and there is no wait.

A ticket that is not waiting stands nowhere: known, nobody ahead, no wait.
:meth:`Forecast.new_ticket` is what an ordinary walk-in ticket issued at ``now`` would get.

The press-by-press definition (pressing call-next at the counter free soonest, again and again,
on copies of the state) costs O(n) per call and O(n²) to reach the last ticket. Here the
tickets of each service are sorted once into shared lists (due appointments, priority,
ordinary) that every counter reads with its own pointers, skipping tickets another counter
took, and the turns come from a heap: O(n log n) for everyone in the linked counters, and one
run serves every ticket asked about on the same state. A property test
(``tests/server/domain/test_standing.py``) checks it against the press-by-press simulation.
"""

from __future__ import annotations

import bisect
import heapq
import math
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from server.config.settings import CallOrder, CounterSettings, SiteSettings
from server.domain.calling import average_service_seconds, priority_turn
from server.domain.model import CounterStatus, SiteState, Ticket

REUSE_SECONDS = 1.0
"""A forecast of the same state is reused for requests this close to its moment: an event and
the reply to the command that caused it are worked out once, not twice."""

FORECASTS_KEPT = 16
"""States whose forecasts :class:`Forecasts` keeps: replies come after the commit, by which time
later commands may already have made newer states."""


@dataclass(frozen=True, slots=True)
class Standing:
    """Where one ticket stands (see the module docstring for the model).

    ``known``: an open counter could call it. ``ahead``: calls before its own by the counters
    that could call it (when not known, only the earlier tickets of its own queue).
    ``wait_seconds``: seconds from the forecast's moment to its call; ``None`` when not known
    or not waiting.
    """

    known: bool
    ahead: int
    wait_seconds: float | None

    @property
    def eta_minutes(self) -> int | None:
        """The wait in whole minutes, rounded up; ``None`` when there is no wait to tell."""
        if self.wait_seconds is None:
            return None
        # Rounded first: sums of medians like 479.99999999 are 8 minutes, not 9.
        return math.ceil(round(self.wait_seconds, 6) / 60.0)


NOT_WAITING = Standing(known=True, ahead=0, wait_seconds=None)


class Forecast:
    """Standings on one state at one moment; computed lazily and remembered.

    Cheap to make: nothing is sorted until a ticket that an open counter could call is asked
    about, and then only the counters linked to it (by services they share) are simulated.
    """

    def __init__(self, site: SiteSettings, state: SiteState, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("now must carry a time zone")
        self.site = site
        self.state = state
        self.now = now
        self._open: frozenset[str] | None = None
        self._groups: dict[str, _Group] = {}
        self._seconds: dict[str, float] = {}

    def standing(self, ticket: Ticket) -> Standing:
        """Where ``ticket`` stands now.

        ``ticket`` as an event carried it: a ticket marked no-show and re-queued by the same
        command is not waiting in its ``ticket.no_show`` event, and waits in its
        ``ticket.requeued`` one.
        """
        if not ticket.queued:
            return NOT_WAITING
        ticket = self.state.tickets.get(ticket.id, ticket)
        if not ticket.queued:
            return NOT_WAITING
        if ticket.target_counter is not None:
            callers: tuple[str, ...] = (
                (ticket.target_counter,) if self._is_open(ticket.target_counter) else ())
        else:
            callers = self._open_serving(ticket.service)
        if not callers:
            return Standing(known=False, ahead=self._earlier_in_queue(ticket), wait_seconds=None)
        return self._group(callers[0]).standing(ticket)

    def new_ticket(self, service: str) -> Standing:
        """Where an ordinary ticket for ``service`` issued now would stand."""
        callers = self._open_serving(service)
        if not callers:
            return Standing(known=False, ahead=len(self.state.queues.get(service, ())),
                            wait_seconds=None)
        return self._group(callers[0]).new_ticket(service)

    def service_seconds(self, service: str) -> float:
        """The expected service time of ``service``, worked out once per forecast."""
        seconds = self._seconds.get(service)
        if seconds is None:
            seconds = self._seconds[service] = average_service_seconds(
                self.site, self.state, service)
        return seconds

    # --- which counters ---------------------------------------------------------------------

    def _is_open(self, code: str) -> bool:
        return self.state.counter(code).status is CounterStatus.OPEN

    def _open_serving(self, service: str) -> tuple[str, ...]:
        return tuple(counter.code for counter in self.site.counters_serving(service)
                     if self._is_open(counter.code))

    def _open_codes(self) -> frozenset[str]:
        if self._open is None:
            self._open = frozenset(counter.code for counter in self.site.counters
                                   if self._is_open(counter.code))
        return self._open

    def _group(self, code: str) -> _Group:
        """The simulation of the open counters linked to counter ``code`` by shared services.

        Counters not linked to it take nothing it could take, so leaving them out changes no
        call it makes and saves simulating the rest of the site.
        """
        group = self._groups.get(code)
        if group is not None:
            return group
        open_codes = self._open_codes()
        members = {code}
        services: set[str] = set()
        frontier = [code]
        while frontier:
            settings = self.site.counter(frontier.pop())
            assert settings is not None
            for service in settings.services:
                if service in services:
                    continue
                services.add(service)
                for other in self.site.counters_serving(service):
                    if other.code in open_codes and other.code not in members:
                        members.add(other.code)
                        frontier.append(other.code)
        counters = [counter for counter in self.site.counters if counter.code in members]
        group = _Group(self, counters, services)
        for member in members:
            self._groups[member] = group
        return group

    def _earlier_in_queue(self, ticket: Ticket) -> int:
        """Tickets of ``ticket``'s own queue that came before it: a fact, not a forecast."""
        if ticket.target_counter is not None:
            queue = self.state.counter_queues.get(ticket.target_counter)
        else:
            queue = self.state.queues.get(ticket.service)
        if not queue:
            return 0
        if ticket.queue_key >= self.state.next_queue_key - 1:
            # The newest ticket (the common case at issue time): everyone else came before.
            return len(queue) - 1 if ticket.id in queue else len(queue)
        return sum(1 for key in queue.values() if key < ticket.queue_key)


class _Group:
    """The static part of one simulation: linked open counters and their sorted queues.

    Tickets are named by their queue key (unique within a day). Each service's waiting tickets
    are split once into due appointments, priority and ordinary, each sorted in calling order;
    the lists are shared by every counter serving the service.
    """

    def __init__(self, forecast: Forecast, counters: list[CounterSettings],
                 services: set[str]) -> None:
        # Weak: the forecast keeps its groups, and a cycle would keep every state it was made
        # on until the cycle collector walked it (a server makes a state per command).
        self.forecast: Forecast = weakref.proxy(forecast)
        state, now = forecast.state, forecast.now
        self.counters = counters
        # What a turn needs to know of a called ticket, by queue key.
        self.busy_seconds: dict[int, float] = {}
        self.priority_keys: set[int] = set()
        due: dict[str, list[tuple[datetime, int]]] = {}
        priority: dict[str, list[int]] = {}
        ordinary: dict[str, list[int]] = {}
        for service in services:
            due[service], priority[service], ordinary[service] = [], [], []
            seconds = forecast.service_seconds(service)
            for ticket_id, key in (state.queues.get(service) or {}).items():
                ticket = state.tickets[ticket_id]
                self.busy_seconds[key] = seconds
                if ticket.priority is not None:
                    self.priority_keys.add(key)
                if ticket.appointment_at is not None and ticket.appointment_at <= now:
                    due[service].append((ticket.appointment_at, key))
                elif ticket.priority is not None:
                    priority[service].append(key)
                else:
                    ordinary[service].append(key)
            due[service].sort()
            priority[service].sort()
            ordinary[service].sort()
        # Per counter, in configuration order (a counter's slot is its index here).
        self.targeted: list[list[int]] = []
        self.due: list[list[int]] = []
        self.pools: list[list[tuple[list[int], list[int]]]] = []
        self.pool_services: list[tuple[tuple[str, ...], ...]] = []
        self.serving: dict[str, list[int]] = {service: [] for service in services}
        for slot, counter in enumerate(counters):
            for service in counter.services:
                self.serving[service].append(slot)
            targeted: Mapping[str, int] = state.counter_queues.get(counter.code) or {}
            for ticket_id, key in targeted.items():
                ticket = state.tickets[ticket_id]
                self.busy_seconds[key] = forecast.service_seconds(ticket.service)
                if ticket.priority is not None:
                    self.priority_keys.add(key)
            self.targeted.append(sorted(targeted.values()))
            self.due.append([key for _, key in sorted(
                item for service in counter.services for item in due[service])])
            if counter.order is CallOrder.PREFERENCE:
                self.pools.append([(priority[service], ordinary[service])
                                   for service in counter.services])
                self.pool_services.append(tuple((service,) for service in counter.services))
            else:
                # Arrival order: one pool of all its services; sorting the concatenated sorted
                # runs is a merge for Python's sort.
                self.pools.append([(
                    sorted(key for service in counter.services for key in priority[service]),
                    sorted(key for service in counter.services for key in ordinary[service]),
                )])
                self.pool_services.append((counter.services,))
        self._tickets_run: _Run | None = None
        self._new: dict[str, Standing] | None = None

    def standing(self, ticket: Ticket) -> Standing:
        if self._tickets_run is None:
            self._tickets_run = _Run(self, watch=False)
        run = self._tickets_run
        turn, at, slot = run.until_called(ticket.queue_key)
        # A ticket transferred to a counter is called by that counter only: this one.
        callers = [slot] if ticket.target_counter is not None else self.serving[ticket.service]
        ahead = sum(bisect.bisect_left(run.call_turns[other], turn) for other in callers)
        return Standing(known=True, ahead=ahead, wait_seconds=at)

    def new_ticket(self, service: str) -> Standing:
        if self._new is None:
            self._new = _Run(self, watch=True).new_tickets()
        return self._new[service]


class _Run:
    """One simulation over a :class:`_Group`: the counters' pointers, streaks and turns.

    ``watch``: also find, for every service of the group, when an ordinary ticket issued now
    (the newest of all) would be called. Calls before that are the same with or without it:
    being last in its lists, it changes no choice until the one that takes it, which is
    the first turn at a counter serving its service where (a) nothing transferred or due comes
    first, and (b) its pool is the first with anyone waiting once it is counted, and its
    ordinary list holds nobody else, and the policy does not give this call to a priority
    ticket (or the counter has nobody else at all).
    """

    def __init__(self, group: _Group, watch: bool) -> None:
        # Weak, as the group's forecast: the group keeps its tickets' run.
        self.group: _Group = weakref.proxy(group)
        forecast = group.forecast
        self.policy = forecast.site.priority_policy
        count = len(group.counters)
        self.taken: set[int] = set()
        # Queue key -> (the call's number in the run, seconds from now, the counter's slot).
        self.called: dict[int, tuple[int, float, int]] = {}
        # Per counter, the numbers of its calls (rising): calls before a turn are a bisection.
        self.call_turns: list[list[int]] = [[] for _ in range(count)]
        self.calls = 0
        self.targeted_next = [0] * count
        self.due_next = [0] * count
        self.pool_index = [0] * count
        self.pool_next = [[[0, 0] for _ in pools] for pools in group.pools]
        self.priority_streak: list[int] = []
        self.normal_streak: list[int | None] = []
        self.turns: list[tuple[float, int]] = []
        for slot, settings in enumerate(group.counters):
            counter = forecast.state.counter(settings.code)
            self.priority_streak.append(counter.priority_streak)
            self.normal_streak.append(counter.normal_streak)
            self.turns.append((self._free_in(counter.ticket_id), slot))
        heapq.heapify(self.turns)
        self.watch = watch
        self.watched_from = [0] * count
        self.new: dict[str, Standing] = {}

    def _free_in(self, ticket_id: str | None) -> float:
        """Seconds until a counter holding ``ticket_id`` is free: its service's expected time
        from when it began, between 0 and that time (a clock moved back stays sensible)."""
        if ticket_id is None:
            return 0.0
        forecast = self.group.forecast
        ticket = forecast.state.tickets[ticket_id]
        began = ticket.serving_at or ticket.called_at
        expected = forecast.service_seconds(ticket.service)
        if began is None:
            return expected
        return min(expected, max(0.0, expected - (forecast.now - began).total_seconds()))

    def until_called(self, key: int) -> tuple[int, float, int]:
        """Run turns until the ticket with queue key ``key`` is called: (the call's number,
        seconds from now, the calling counter's slot)."""
        called = self.called
        while key not in called:
            # The ticket waits for a counter of this group, which calls until its lists are
            # empty: it is called before the turns run out.
            assert self.turns, f"queue key {key} was never called"
            self._turn()
        return called[key]

    def new_tickets(self) -> dict[str, Standing]:
        """Run every turn, watching for each service's new ticket (see the class)."""
        while self.turns and len(self.new) < len(self.group.serving):
            self._turn()
        assert len(self.new) == len(self.group.serving)
        return self.new

    def _turn(self) -> None:
        """The counter free soonest calls what choose_next would give it, or drops out.

        Written out in one piece, with the lists in locals: it runs once per waiting ticket.
        """
        at, slot = heapq.heappop(self.turns)
        group, taken = self.group, self.taken
        key: int | None = None
        pool = -1  # -1: a transferred or due ticket, else the pool it came from
        ordinary_left = False
        targeted = group.targeted[slot]
        position = self.targeted_next[slot]
        if position < len(targeted):
            # 1. Transferred to this counter: nobody else takes them, nothing to skip.
            self.targeted_next[slot] = position + 1
            key = targeted[position]
        else:
            due = group.due[slot]
            if due:  # 2. Due appointments, skipping those another counter took.
                position = self.due_next[slot]
                while position < len(due) and due[position] in taken:
                    position += 1
                self.due_next[slot] = position
                if position < len(due):
                    key = due[position]
            if key is None:  # 3. The pools, in the counter's order; empty ones stay empty.
                pools, pointers = group.pools[slot], self.pool_next[slot]
                pool = self.pool_index[slot]
                while pool < len(pools):
                    priority, ordinary = pools[pool]
                    pointer = pointers[pool]
                    first_priority, first_ordinary = pointer
                    while first_priority < len(priority) and priority[first_priority] in taken:
                        first_priority += 1
                    while first_ordinary < len(ordinary) and ordinary[first_ordinary] in taken:
                        first_ordinary += 1
                    pointer[0], pointer[1] = first_priority, first_ordinary
                    has_priority = first_priority < len(priority)
                    ordinary_left = first_ordinary < len(ordinary)
                    if has_priority or ordinary_left:
                        # 4. Both kinds waiting: the site's policy, with the streaks so far.
                        if has_priority and (not ordinary_left or priority_turn(
                                self.policy, self.priority_streak[slot],
                                self.normal_streak[slot])):
                            key = priority[first_priority]
                        else:
                            key = ordinary[first_ordinary]
                        break
                    pool += 1
                self.pool_index[slot] = pool
        if self.watch:
            self._watch(slot, at, key, pool, ordinary_left)
        if key is None:
            return  # nobody left for this counter, and nobody new comes: it drops out
        taken.add(key)
        self.called[key] = (self.calls, at, slot)
        self.call_turns[slot].append(self.calls)
        self.calls += 1
        # The streaks as record_call keeps them.
        if key in group.priority_keys:
            self.priority_streak[slot] += 1
            self.normal_streak[slot] = 0
        else:
            self.priority_streak[slot] = 0
            self.normal_streak[slot] = (self.normal_streak[slot] or 0) + 1
        heapq.heappush(self.turns, (at + group.busy_seconds[key], slot))

    def _watch(self, slot: int, at: float, key: int | None, pool: int,
               ordinary_left: bool) -> None:
        """Note the services whose new ticket this turn would call instead (see the class)."""
        if pool < 0:
            return  # a transferred or due ticket comes first whatever else waits
        pool_services = self.group.pool_services[slot]
        # Every pool before the one chosen is empty: a new ticket there would be alone in it.
        start = self.watched_from[slot]
        for index in range(start, pool):
            self._new_called(pool_services[index], at)
        self.watched_from[slot] = max(start, pool)
        if key is not None and not ordinary_left and not priority_turn(
                self.policy, self.priority_streak[slot], self.normal_streak[slot]):
            # Only priority tickets in the chosen pool, and the policy owes ordinary a turn.
            self._new_called(pool_services[pool], at)

    def _new_called(self, services: tuple[str, ...], at: float) -> None:
        for service in services:
            if service not in self.new:
                ahead = sum(len(self.call_turns[other]) for other in self.group.serving[service])
                self.new[service] = Standing(known=True, ahead=ahead, wait_seconds=at)


class Forecasts:
    """The forecasts of one site's latest states, so that every view of a state (an event, the
    reply to its command, a waiting list of 50) shares one simulation.

    A forecast is reused for the same state object within :data:`REUSE_SECONDS` of its moment;
    at most :data:`FORECASTS_KEPT` are kept. The caller passes the moment: no clock here.
    """

    def __init__(self, site: SiteSettings) -> None:
        self.site = site
        # Keyed by id(state): the kept forecast holds the state, so the id is not reused.
        self._kept: OrderedDict[int, Forecast] = OrderedDict()

    def standing(self, state: SiteState, ticket: Ticket, now: datetime) -> Standing:
        """Where ``ticket`` stands in ``state`` at ``now`` (see :meth:`Forecast.standing`)."""
        if not ticket.queued:
            return NOT_WAITING  # no forecast needed, none kept
        return self.of(state, now).standing(ticket)

    def of(self, state: SiteState, now: datetime) -> Forecast:
        """A forecast of ``state`` at (about) ``now``."""
        kept = self._kept.get(id(state))
        if kept is not None and abs((now - kept.now).total_seconds()) <= REUSE_SECONDS:
            self._kept.move_to_end(id(state))
            return kept
        forecast = Forecast(self.site, state, now)
        self._kept[id(state)] = forecast
        self._kept.move_to_end(id(state))
        while len(self._kept) > FORECASTS_KEPT:
            self._kept.popitem(last=False)
        return forecast
