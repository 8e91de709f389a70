"""A realistic past for the demo database: the 30 days before today at every site.

``qms demo`` calls :func:`fill_demo_history` before its server starts; on a database that has
no ticket yet it writes a month of weekdays, so the managers' dashboard and every report show
real-looking figures on the first run. Nothing here runs for ``qms server``.

What a day looks like (each site, Monday to Friday):

- Opening hours: the provincial centre 07:00-11:30 and 13:30-17:00, a ward 07:30-11:30 and
  13:30-17:00 (:func:`profile_of`); citizens come from a quarter of an hour before opening,
  with a morning peak around 09:00 and an afternoon one around 14:30; Mondays are busier and
  Fridays quieter. A site with more than ten counters takes 400-560 tickets a day, a smaller
  one 50-150.
- Every counter is staffed by an officer allowed there (officers call from opening, or a few
  minutes later); one who has no counter left that day stays away. Each counter calls in its
  order (preference or arrival), priority tickets interleaved by the site's policy.
- Service times follow each procedure's ``expected_minutes`` (log-normal around it); about
  4 % of calls are no-shows (some come back after the re-queue), 2 % are transferred to
  another procedure of the same field, 1 % of citizens give up and their ticket is
  cancelled, and tickets still open when the day ends are cancelled as the midnight reset
  does.
- Citizens rate about 60 % of the served tickets, mostly positively, more often "Không hài
  lòng" after a wait beyond the service's target; submitting a file gets a case code (mã hồ
  sơ), and collecting results later reuses it.

The rows are exactly what the live server would have stored (the store's own bulk
statements write them), plus a ``sites`` row per site: its last business day, ``seq`` 0 (no
events are written: nothing replays history) and the number counters of each day, so the
server started on this database opens today as an empty new day.

Everything is deterministic for a seed. :func:`history_batches` is also the benchmark's
generator (``bench/report_bench.py``), with a volume scale.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
import random
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from server.config.settings import (
    CallOrder,
    CounterSettings,
    PriorityPolicyKind,
    ServiceKind,
    ServiceSettings,
    Settings,
    SiteSettings,
)
from server.domain.model import RatingSource, TicketStatus
from server.store.bulk import DriverStatement
from server.store.database import Engines, checkpoint, migrate, open_engines
from server.store.plan import run_plan
from server.store.tables import NumberCounterRow, RatingRow, SiteRow, TicketRow

logger = logging.getLogger(__name__)

HISTORY_DAYS = 30
DEFAULT_SEED = 766
# Rows per INSERT batch: large enough to be fast, small enough to keep memory flat.
BATCH_ROWS = 20_000

# Relative arrival intensity per half hour from the opening of each session (morning,
# afternoon): a peak around 09:00 and one around 14:30.
_MORNING_SHAPE = (0.7, 1.1, 1.5, 1.8, 1.9, 1.6, 1.2, 0.9, 0.6)
_AFTERNOON_SHAPE = (0.9, 1.3, 1.5, 1.3, 1.0, 0.7, 0.4)
# Busier on Mondays, quieter on Fridays.
_WEEKDAY_FACTOR = (1.15, 1.05, 1.0, 1.0, 0.85)
# Scores drawn for a rated ticket, best first, on a four-step scale; after a wait beyond the
# target the worse ones are likelier.
_SCORE_WEIGHTS = (0.55, 0.31, 0.09, 0.05)
_SCORE_WEIGHTS_LATE = (0.35, 0.33, 0.17, 0.15)


@dataclass(frozen=True, slots=True)
class SiteProfile:
    """How busy a site is and when it works."""

    daily_low: int
    daily_high: int
    sessions: tuple[tuple[time, time], ...]


def profile_of(site: SiteSettings) -> SiteProfile:
    """A provincial centre (more than ten counters) or a ward one-stop unit."""
    if len(site.counters) > 10:
        return SiteProfile(400, 560, ((time(7, 0), time(11, 30)), (time(13, 30), time(17, 0))))
    return SiteProfile(50, 150, ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0))))


def history_days(today: date, days: int = HISTORY_DAYS) -> list[date]:
    """The weekdays among the ``days`` days before ``today`` (today excluded), oldest first."""
    first = today - timedelta(days=days)
    return [first + timedelta(days=offset) for offset in range(days)
            if (first + timedelta(days=offset)).weekday() < 5]


@dataclass(slots=True)
class DayRows:
    """One site's day: rows for ``tickets``, ``ratings`` and ``number_counters``."""

    site: str
    day: date
    tickets: list[dict[str, Any]]
    ratings: list[dict[str, Any]]
    sequences: list[dict[str, Any]]
    next_queue_key: int


@dataclass
class HistorySummary:
    """What was written: tickets and ratings per site, and the days."""

    tickets: dict[str, int] = field(default_factory=dict)
    ratings: dict[str, int] = field(default_factory=dict)
    first_day: date | None = None
    last_day: date | None = None

    @property
    def ticket_count(self) -> int:
        return sum(self.tickets.values())


def history_batches(
    sites: Sequence[SiteSettings],
    days: Sequence[date],
    seed: int = DEFAULT_SEED,
    volume_scale: float = 1.0,
    profile: Callable[[SiteSettings], SiteProfile] = profile_of,
) -> Iterator[DayRows]:
    """Each site's rows for each of ``days``, day by day (every site of a day, then the next).

    ``volume_scale`` multiplies each site's daily volume (the benchmark's knob). One site's
    case codes carry over from day to day: results collected later name files submitted
    earlier.
    """
    cases = {site.code: _CaseBook(_agency_code(index)) for index, site in enumerate(sites)}
    mixes = {site.code: _service_mix(site, seed) for site in sites}
    for day in days:
        for site in sites:
            rng = random.Random(f"{seed}:{site.code}:{day.isoformat()}")
            simulation = _DaySimulation(site, profile(site), day, rng, cases[site.code],
                                        mixes[site.code], volume_scale)
            yield simulation.run()


def write_history(engines: Engines, batches: Iterable[DayRows]) -> HistorySummary:
    """Insert ``batches`` (and each site's ``sites`` row) in transactions of about
    :data:`BATCH_ROWS` rows, through the store's bulk statements; returns what was written.

    Blocking. For an empty database: a ticket already stored under the same id fails the
    whole call (``StoreError`` from the driver's integrity error is not caught here).
    """
    dialect = engines.writer.dialect
    tickets = DriverStatement(insert(TicketRow), dialect)
    ratings = DriverStatement(insert(RatingRow), dialect)
    sequences = DriverStatement(insert(NumberCounterRow), dialect)
    summary = HistorySummary()
    last_of_site: dict[str, DayRows] = {}
    pending: list[DayRows] = []
    size = 0

    def flush() -> None:
        nonlocal size
        if not pending:
            return
        plan = [statement.bind(rows) for statement, rows in (
            (tickets, [row for item in pending for row in item.tickets]),
            (ratings, [row for item in pending for row in item.ratings]),
            (sequences, [row for item in pending for row in item.sequences])) if rows]
        with engines.writer.connect() as connection:
            run_plan(connection.connection.driver_connection, tuple(plan), engines.is_sqlite)
        # The writer's connection never checkpoints by itself (the server runs checkpoints
        # beside it): without this, a large history would all stay in the WAL file.
        checkpoint(engines)
        pending.clear()
        size = 0

    for rows in batches:
        pending.append(rows)
        size += len(rows.tickets)
        summary.tickets[rows.site] = summary.tickets.get(rows.site, 0) + len(rows.tickets)
        summary.ratings[rows.site] = summary.ratings.get(rows.site, 0) + len(rows.ratings)
        summary.first_day = min(summary.first_day or rows.day, rows.day)
        summary.last_day = max(summary.last_day or rows.day, rows.day)
        if rows.tickets:
            last_of_site[rows.site] = rows
        if size >= BATCH_ROWS:
            flush()
    flush()
    if last_of_site:
        # The server reads its day and seq from here: the last day it worked, no events.
        site_rows = [{"code": code, "business_date": rows.day, "seq": 0,
                      "next_queue_key": rows.next_queue_key, "owner_epoch": 0,
                      "owner": None, "owned_since": None}
                     for code, rows in last_of_site.items()]
        plan = (DriverStatement(insert(SiteRow), dialect).bind(site_rows),)
        with engines.writer.connect() as connection:
            run_plan(connection.connection.driver_connection, plan, engines.is_sqlite)
    return summary


def has_tickets(engines: Engines) -> bool:
    """Whether the database holds any ticket at all."""
    with engines.reader.connect() as connection:
        return connection.execute(select(func.count()).select_from(
            select(TicketRow.id).limit(1).subquery())).scalar_one() > 0


def fill_history(settings: Settings, database_url: str, today: date,
                 seed: int = DEFAULT_SEED) -> HistorySummary | None:
    """Write the history of the :data:`HISTORY_DAYS` days before ``today`` (a weekday list,
    each site's own calendar) into ``database_url``, migrating it first, unless it already
    holds a ticket (then ``None``). Blocking."""
    engines = open_engines(database_url)
    try:
        migrate(engines)
        if has_tickets(engines):
            return None
        return write_history(engines, history_batches(settings.sites, history_days(today),
                                                      seed))
    finally:
        engines.dispose()


async def fill_demo_history(settings: Settings, database_url: str | None,
                            say: Callable[[str], None]) -> None:
    """The demo's first run: fill an empty database with history (off the event loop) and say
    so; a database with tickets is left as it is."""
    url = database_url or settings.server.resolved_database_url()
    zone = settings.sites[0].timezone if settings.sites else UTC
    today = datetime.now(zone).date()
    summary = await asyncio.to_thread(fill_history, settings, url, today)
    if summary is None or summary.first_day is None or summary.last_day is None:
        return
    per_site = ", ".join(f"{code} {count}" for code, count in summary.tickets.items())
    say(f"  history: filled {summary.ticket_count} tickets of the weekdays "
        f"{summary.first_day:%d/%m/%Y}-{summary.last_day:%d/%m/%Y} ({per_site}) "
        "for the dashboard and reports")


# --- the simulation -------------------------------------------------------------------------


def _agency_code(index: int) -> str:
    """A one-stop agency code as case codes (mã hồ sơ) begin with, one per site."""
    return f"000.{index:02d}.31.H10"


class _CaseBook:
    """One site's case codes: numbered per day; files submitted wait here to be collected."""

    def __init__(self, agency: str) -> None:
        self.agency = agency
        self.numbers: dict[date, int] = {}
        self.submitted: dict[str, deque[tuple[date, str]]] = {}

    def new(self, day: date, field_code: str, kind: ServiceKind) -> str:
        number = self.numbers.get(day, 0) + 1
        self.numbers[day] = number
        code = f"{self.agency}-{day:%y%m%d}-{number:04d}"
        if kind is ServiceKind.SUBMIT:
            self.submitted.setdefault(field_code, deque()).append((day, code))
        return code

    def collect(self, day: date, field_code: str) -> str | None:
        """A file of ``field_code`` submitted at least three days before ``day``."""
        waiting = self.submitted.get(field_code)
        if waiting and waiting[0][0] <= day - timedelta(days=3):
            return waiting.popleft()[1]
        return None


def _service_mix(site: SiteSettings, seed: int) -> tuple[list[ServiceSettings], list[float]]:
    """How often each procedure is asked for, fixed per site for the seed: in proportion to
    what the counters can serve (each counter's time shared among its procedures, divided by
    the procedure's expected minutes), give or take 40 %, so that no queue grows all day."""
    rng = random.Random(f"{seed}:{site.code}:mix")
    weights = []
    for service in site.services:
        share = sum(1 / len(counter.services) for counter in site.counters_serving(service.code))
        weights.append(share / max(service.expected_minutes, 1.0) * rng.uniform(0.6, 1.4))
    return list(site.services), weights


@dataclass(slots=True)
class _Ticket:
    """A ticket while the day is simulated; turned into a row at the end."""

    number: str
    sequence: int
    group: str
    service: ServiceSettings
    priority: str | None
    queue_key: int
    issued_at: datetime
    leaves_at: datetime | None
    status: TicketStatus = TicketStatus.WAITING
    counter: str | None = None
    officer: str | None = None
    called_at: datetime | None = None
    first_called_at: datetime | None = None
    serving_at: datetime | None = None
    finished_at: datetime | None = None
    call_count: int = 0
    requeue_count: int = 0
    transfer_count: int = 0
    target_counter: str | None = None
    case_code: str | None = None
    transferred: bool = False


@dataclass(slots=True)
class _Counter:
    settings: CounterSettings
    officer: str
    normal_streak: int = 0
    # Idle: nothing to call, woken by the next arrival it serves.
    idle: bool = False
    # The one turn of this counter still to come (the event's order number); an earlier
    # one that was overtaken (an arrival woke the counter before the afternoon) is stale.
    turn: int = 0


class _DaySimulation:
    """One site's day: arrivals, then counters calling in turn until the day closes."""

    def __init__(self, site: SiteSettings, profile: SiteProfile, day: date, rng: random.Random,
                 cases: _CaseBook, mix: tuple[list[ServiceSettings], list[float]],
                 volume_scale: float) -> None:
        self.site = site
        self.profile = profile
        self.day = day
        self.rng = rng
        self.cases = cases
        self.services, self.weights = mix
        self.volume_scale = volume_scale
        self.zone = site.timezone
        # Waiting tickets per service: heaps of (queue_key, ticket number) for priority
        # and ordinary tickets (numbers are unique within the day).
        self.priority: dict[str, list[tuple[int, str]]] = {}
        self.ordinary: dict[str, list[tuple[int, str]]] = {}
        self.tickets: dict[str, _Ticket] = {}
        self.ratings: list[dict[str, Any]] = []
        self.next_queue_key = 1
        self.sequences: dict[str, int] = {}
        self.idle: dict[str, list[str]] = {}
        self.counters: dict[str, _Counter] = {}
        self.events: list[tuple[datetime, int, int, str, str]] = []
        self.order = 0
        # Each session's opening, and the end of its calls (half an hour past closing, to
        # serve those who took a number), in UTC.
        self.sessions = [(self._at(opens), self._at(closes, 30))
                         for opens, closes in profile.sessions]

    # -- set-up --

    def _at(self, moment: time, minutes: float = 0.0) -> datetime:
        local = datetime.combine(self.day, moment, tzinfo=self.zone)
        return (local + timedelta(minutes=minutes)).astimezone(UTC)

    def _staff(self) -> None:
        """Give each counter an officer allowed there; a few officers are away each day."""
        officers = [item for item in self.site.officers if self.rng.random() > 0.05]
        counters = list(self.site.counters)
        self.rng.shuffle(counters)
        # Officers bound to few counters first, so the any-counter ones fill the gaps.
        officers.sort(key=lambda item: len(item.counters) or 1000)
        taken: set[str] = set()
        for officer in officers:
            for counter in counters:
                if counter.code not in taken and officer.may_work_at(counter.code):
                    taken.add(counter.code)
                    self.counters[counter.code] = _Counter(counter, officer.user)
                    break

    def _arrivals(self) -> None:
        weekday = self.day.weekday()
        base = self.rng.randint(self.profile.daily_low, self.profile.daily_high)
        total = round(base * _WEEKDAY_FACTOR[weekday] * self.volume_scale)
        # (start, length in minutes, weight) of each slot of the day.
        slots: list[tuple[datetime, float, float]] = []
        for (opens, _closes), shape in zip(self.profile.sessions,
                                           (_MORNING_SHAPE, _AFTERNOON_SHAPE), strict=False):
            # Citizens come from a quarter of an hour before opening.
            slots.append((self._at(opens, -15), 15.0, 0.3))
            slots += [(self._at(opens, 30 * index), 30.0, weight)
                      for index, weight in enumerate(shape)]
        chosen_slots = self.rng.choices(slots, [weight for _, _, weight in slots], k=total)
        arrivals = sorted(start + timedelta(minutes=self.rng.uniform(0, length))
                          for start, length, _weight in chosen_slots)
        services = self.rng.choices(self.services, self.weights, k=len(arrivals))
        groups = self.site.priority_groups
        for issued_at, service in zip(arrivals, services, strict=True):
            priority = (self.rng.choice(groups).code
                        if groups and self.rng.random() < 0.08 else None)
            if not self.site.schedule(service.code).is_open(issued_at.astimezone(self.zone)):
                continue  # outside the service's opening hours: the kiosk gives no number
            self._issue(service, priority, issued_at)

    def _issue(self, service: ServiceSettings, priority: str | None, issued_at: datetime) -> None:
        group = self.site.number_group(service.number_group)
        assert group is not None  # the loader checks every reference
        sequence = self.sequences.get(group.code, 0) + 1
        capacity = group.format.capacity
        if capacity is not None and sequence > capacity:
            return  # the kiosk says the numbers are used up
        self.sequences[group.code] = sequence
        number = group.format.render(sequence)
        leaves_at = (issued_at + timedelta(minutes=self.rng.uniform(10, 40))
                     if self.rng.random() < 0.01 else None)
        ticket = _Ticket(number, sequence, group.code, service, priority, self.next_queue_key,
                         issued_at, leaves_at)
        self.next_queue_key += 1
        self.tickets[number] = ticket
        self._push_event(issued_at, 0, "arrival", number)

    def _push_event(self, moment: datetime, kind: int, what: str, subject: str) -> int:
        # kind 0 (an arrival) before kind 1 (a counter's turn) at the same moment.
        self.order += 1
        heapq.heappush(self.events, (moment, kind, self.order, what, subject))
        return self.order

    def _schedule_turn(self, counter: _Counter, moment: datetime) -> None:
        counter.turn = self._push_event(moment, 1, "turn", counter.settings.code)

    # -- running --

    def run(self) -> DayRows:
        self._staff()
        self._arrivals()
        for code, counter in self.counters.items():
            self._schedule_turn(counter,
                                self.sessions[0][0] + timedelta(minutes=self.rng.uniform(0, 8)))
            for service in counter.settings.services:
                self.idle.setdefault(service, []).append(code)
        while self.events:
            moment, _kind, order, what, subject = heapq.heappop(self.events)
            if what == "turn":
                counter = self.counters[subject]
                if order == counter.turn:
                    self._turn(counter, moment)
            else:  # an arrival, or a no-show coming back
                self._enqueue(self.tickets[subject], moment)
        return self._rows()

    def _enqueue(self, ticket: _Ticket, moment: datetime) -> None:
        queues = self.priority if ticket.priority else self.ordinary
        heapq.heappush(queues.setdefault(ticket.service.code, []),
                       (ticket.queue_key, ticket.number))
        # Wake one idle counter serving it, a few seconds later (the officer presses the key).
        for code in self.idle.get(ticket.service.code, ()):
            counter = self.counters[code]
            if counter.idle:
                counter.idle = False
                self._schedule_turn(counter, moment + timedelta(seconds=self.rng.uniform(5, 40)))
                break

    def _session_at(self, moment: datetime) -> tuple[datetime, datetime] | None:
        """The session a counter calls in at ``moment`` (calls go on half an hour past
        closing, to serve those who took a number), or ``None`` after the last one."""
        for begin, end in self.sessions:
            if moment < end:
                return max(begin, moment), end
        return None

    def _turn(self, counter: _Counter, moment: datetime) -> None:
        session = self._session_at(moment)
        if session is None:
            return
        if session[0] > moment:
            # Lunch: back at the afternoon's opening, a few minutes late at most.
            self._schedule_turn(counter, session[0] + timedelta(minutes=self.rng.uniform(0, 6)))
            return
        ticket = self._choose(counter, moment)
        if ticket is None:
            counter.idle = True
            # Nobody waits now: an arrival wakes the counter, or the next session does.
            for begin, _end in self.sessions:
                if begin > moment:
                    self._schedule_turn(counter,
                                        begin + timedelta(minutes=self.rng.uniform(0, 6)))
                    break
            return
        free_at = self._serve(counter, ticket, moment)
        self._schedule_turn(counter, free_at + timedelta(seconds=self.rng.uniform(5, 30)))

    def _choose(self, counter: _Counter, moment: datetime) -> _Ticket | None:
        """The ticket this counter calls: by its order, priority interleaved by policy."""
        policy = self.site.priority_policy
        services = counter.settings.services
        while True:
            scope: Sequence[str]
            overdue = self._overdue(services, moment)
            if counter.settings.order is CallOrder.ARRIVAL:
                scope = services
            elif overdue:
                # Officers call a number that has waited far too long by hand (``call``),
                # whatever their order of preference says.
                scope = overdue
            else:
                scope = next(((code,) for code in services
                              if self.priority.get(code) or self.ordinary.get(code)), ())
            priority = self._first(self.priority, scope)
            ordinary = self._first(self.ordinary, scope)
            if priority is None and ordinary is None:
                return None
            take_priority = priority is not None and (
                ordinary is None or policy.kind is PriorityPolicyKind.STRICT
                or counter.normal_streak >= policy.normal)
            queues = self.priority if take_priority else self.ordinary
            chosen = priority if take_priority else ordinary
            assert chosen is not None
            heapq.heappop(queues[chosen[1]])
            ticket = self.tickets[chosen[2]]
            counter.normal_streak = 0 if take_priority else counter.normal_streak + 1
            if ticket.leaves_at is not None and ticket.leaves_at < moment:
                # The citizen gave up; an officer cancels the number.
                ticket.status = TicketStatus.CANCELLED
                ticket.finished_at = ticket.leaves_at
                continue
            return ticket

    def _overdue(self, services: Sequence[str], moment: datetime) -> tuple[str, ...]:
        """The services whose first ordinary ticket has waited over 1.5 times its target."""
        overdue = []
        for code in services:
            queue = self.ordinary.get(code)
            if queue:
                waited = moment - self.tickets[queue[0][1]].issued_at
                if waited > timedelta(minutes=1.5 * self.site.target_wait_minutes_of(code)):
                    overdue.append(code)
        return tuple(overdue)

    @staticmethod
    def _first(queues: dict[str, list[tuple[int, str]]],
               scope: Sequence[str]) -> tuple[int, str, str] | None:
        best: tuple[int, str, str] | None = None
        for code in scope:
            queue = queues.get(code)
            if queue and (best is None or queue[0][0] < best[0]):
                best = (queue[0][0], code, queue[0][1])
        return best

    def _serve(self, counter: _Counter, ticket: _Ticket, moment: datetime) -> datetime:
        """Call ``ticket`` at ``counter`` at ``moment``; returns when the counter is free."""
        rng = self.rng
        ticket.status = TicketStatus.CALLED
        ticket.counter = counter.settings.code
        ticket.officer = counter.officer
        ticket.called_at = moment
        ticket.first_called_at = ticket.first_called_at or moment
        ticket.call_count += 1
        ticket.target_counter = None
        if rng.random() < 0.04:
            # Nobody comes: recalled once, then marked no-show; re-queued once where the site
            # does so, and then the citizen comes back half the time.
            ticket.called_at = moment + timedelta(seconds=60)
            ticket.call_count += 1
            ended = moment + timedelta(seconds=rng.uniform(100, 160))
            ticket.status = TicketStatus.NO_SHOW
            ticket.finished_at = ended
            if self.site.requeue_no_show and ticket.requeue_count == 0 and rng.random() < 0.5:
                ticket.status = TicketStatus.WAITING
                ticket.requeue_count = 1
                ticket.counter = ticket.officer = ticket.finished_at = None
                ticket.queue_key = self.next_queue_key
                self.next_queue_key += 1
                self._push_event(ended + timedelta(minutes=rng.uniform(5, 30)), 0, "requeue",
                                 ticket.number)
            return ended
        began = moment + timedelta(seconds=rng.uniform(15, 60))
        started = rng.random() < 0.7  # otherwise finished straight from "called"
        ticket.serving_at = began if started else moment
        expected = ticket.service.expected_minutes
        minutes = min(max(rng.lognormvariate(math.log(expected * 0.9), 0.45), 0.5),
                      expected * 4)
        if not ticket.transferred and rng.random() < 0.02:
            target = self._transfer_target(ticket.service)
            if target is not None:
                # Part of the work here, then the ticket waits at the other procedure in the
                # place its number earned.
                ended = began + timedelta(minutes=minutes * 0.4)
                ticket.status = TicketStatus.TRANSFERRED
                ticket.service = target
                ticket.transfer_count += 1
                ticket.transferred = True
                ticket.serving_at = None
                self._enqueue(ticket, ended)
                return ended
        ended = began + timedelta(minutes=minutes)
        ticket.status = TicketStatus.DONE
        ticket.finished_at = ended
        self._case_and_rating(ticket)
        return ended

    def _transfer_target(self, service: ServiceSettings) -> ServiceSettings | None:
        others = [item for item in self.site.services
                  if item.field == service.field and item.code != service.code
                  and self.idle.get(item.code) is not None]
        return self.rng.choice(others) if others else None

    def _case_and_rating(self, ticket: _Ticket) -> None:
        rng = self.rng
        service = ticket.service
        if service.kind is ServiceKind.COLLECT:
            ticket.case_code = (self.cases.collect(self.day, service.field)
                                if rng.random() < 0.85 else None)
        elif service.kind is ServiceKind.SUBMIT:
            ticket.case_code = (self.cases.new(self.day, service.field, service.kind)
                                if rng.random() < 0.9 else None)
        elif rng.random() < 0.3:
            ticket.case_code = self.cases.new(self.day, service.field, service.kind)
        if rng.random() >= 0.6 or not self.site.rating_scale:
            return
        assert ticket.first_called_at is not None and ticket.finished_at is not None
        waited = (ticket.first_called_at - ticket.issued_at).total_seconds() / 60
        late = waited > self.site.target_wait_minutes_of(service.code)
        scale = sorted(self.site.rating_scale, key=lambda label: -label.score)
        score = rng.choices(scale, _score_weights(len(scale), late))[0].score
        by_pad = rng.random() < 0.8
        rated_at = ticket.finished_at + (timedelta(seconds=rng.uniform(3, 25)) if by_pad
                                         else timedelta(minutes=rng.uniform(10, 300)))
        self.ratings.append({
            "ticket_id": self._ticket_id(ticket), "site": self.site.code, "score": score,
            "source": (RatingSource.COUNTER if by_pad else RatingSource.WEB).value,
            "rated_at": rated_at, "counter": ticket.counter, "officer": ticket.officer,
            "service": service.code, "case_code": ticket.case_code,
        })

    # -- rows --

    def _ticket_id(self, ticket: _Ticket) -> str:
        return f"{self.site.code}:{self.day:%Y%m%d}:{ticket.number}"

    def _rows(self) -> DayRows:
        rows = []
        for ticket in self.tickets.values():
            if ticket.status in (TicketStatus.WAITING, TicketStatus.TRANSFERRED,
                                 TicketStatus.CALLED, TicketStatus.SERVING):
                # Still open when the day ended: the midnight reset cancels it (status only).
                ticket.status = TicketStatus.CANCELLED
            rows.append({
                "id": self._ticket_id(ticket), "site": self.site.code,
                "business_date": self.day, "number": ticket.number,
                "sequence": ticket.sequence, "number_group": ticket.group,
                "service": ticket.service.code, "priority": ticket.priority,
                "status": ticket.status.value, "queue_key": ticket.queue_key,
                "request_key": None, "counter": ticket.counter,
                "target_counter": ticket.target_counter, "officer": ticket.officer,
                "issued_at": ticket.issued_at, "called_at": ticket.called_at,
                "first_called_at": ticket.first_called_at, "serving_at": ticket.serving_at,
                "finished_at": ticket.finished_at, "appointment_at": None,
                "call_count": ticket.call_count, "requeue_count": ticket.requeue_count,
                "transfer_count": ticket.transfer_count, "case_code": ticket.case_code,
                "remote": False,
            })
        sequences = [{"site": self.site.code, "number_group": group, "business_date": self.day,
                      "last_sequence": last} for group, last in self.sequences.items()]
        return DayRows(self.site.code, self.day, rows, self.ratings, sequences,
                       self.next_queue_key)


def _score_weights(steps: int, late: bool) -> list[float]:
    """How likely each step of a scale of ``steps`` is, best first: the four-step weights,
    or for another scale the lowest step as likely as "Không hài lòng" and the rest shared
    by the others, better ones likelier."""
    weights = _SCORE_WEIGHTS_LATE if late else _SCORE_WEIGHTS
    if steps == len(weights):
        return list(weights)
    if steps == 1:
        return [1.0]
    rest = [float(steps - index) for index in range(steps - 1)]
    share = (1.0 - weights[-1]) / sum(rest)
    return [value * share for value in rest] + [weights[-1]]
