"""The queue rules on their own: issue, call-next, the waiting list and people ahead at a long
queue.

    python bench/domain_bench.py

A counter asks for its waiting list (``queue``, :func:`calling_order`) after every event of
its services, so its cost is paid many times per ticket; call-next and issue once each.
Every event and reply about a waiting ticket carries where it stands (``ahead``,
``eta_minutes``: :mod:`server.domain.forecast`), worked out once per state and shared by
everything shown of that state; issuing pays for the newest ticket's, which is the longest.
Prints medians of 20 runs at 300 waiting (a busy centre's morning) and 4,500 (the site the
server bench builds up), on the server bench's 70-counter site with its first ten counters open
(neighbours share services, so all ten take part), a quarter of the tickets priority. For
comparison, the press-by-press definition (call-next again and again at the counter free
soonest, on copies of the state) is timed for the newest ticket too.
"""

from __future__ import annotations

import heapq
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from server_bench import bench_config

from server.config import SiteSettings
from server.config.loader import load_settings
from server.config.settings import CounterSettings
from server.domain import DomainError, rules
from server.domain.calling import average_service_seconds, calling_order, choose_next
from server.domain.commands import CallNext, IssueTicket, Login
from server.domain.forecast import Forecast
from server.domain.model import SiteState, Ticket

MORNING = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
RUNS = 20
PRESSED_RUNS = 3
OPEN_COUNTERS = 10


def median_ms(action: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        site = load_settings(bench_config(Path(directory))).sites[0]
    counter = site.counters[0]
    services = list(counter.services)
    print(f"site: {len(site.counters)} counters, {len(site.services)} services; counter "
          f"{counter.code} serves {', '.join(services)} ({counter.order.value} order); "
          f"counters 1-{OPEN_COUNTERS} open")
    for waiting in (300, 4500):
        state: SiteState = rules.new_site_state(site, MORNING)
        for opened in site.counters[:OPEN_COUNTERS]:
            state = rules.apply(site, state, Login(opened.code, None), MORNING).state
        for index in range(waiting):
            command = IssueTicket(services[index % len(services)],
                                  None if index % 4 else site.priority_groups[0].code,
                                  f"press-{index}")
            state = rules.apply(site, state, command,
                                MORNING + timedelta(seconds=index)).state
        now = MORNING + timedelta(hours=2)
        issue, call, choose, listing = measure(site, state, counter, now)
        print(f"{waiting} waiting at the counter's services: issue {issue:.3f} ms, "
              f"call_next {call:.3f} ms (choosing {choose:.3f} ms), "
              f"waiting list of 50 {listing:.3f} ms")
        newest, listed, services_wait, pressed = measure_standings(site, state, counter, now)
        print(f"  people ahead: newest ticket {newest:.3f} ms (press by press "
              f"{pressed:.1f} ms); the waiting list's 50 tickets {listed:.3f} ms "
              f"({listed / 50 * 1000:.1f} µs each); a new ticket's wait for every service "
              f"(snapshot) {services_wait:.3f} ms")


def measure(site: SiteSettings, state: SiteState, counter: CounterSettings,
            now: datetime) -> tuple[float, float, float, float]:
    """Median ms of: issue, call_next, choosing alone, the waiting list."""
    service = counter.services[0]
    return (median_ms(lambda: rules.apply(site, state, IssueTicket(service), now)),
            median_ms(lambda: rules.apply(site, state, CallNext(counter.code), now)),
            median_ms(lambda: choose_next(site, state, counter, now)),
            median_ms(lambda: calling_order(site, state, counter, now)))


def measure_standings(site: SiteSettings, state: SiteState, counter: CounterSettings,
                      now: datetime) -> tuple[float, float, float, float]:
    """Median ms of: the newest ticket's standing on a fresh forecast; the standings of the
    counter's 50 listed tickets on one forecast; every service's new-ticket wait; and the
    newest ticket's by pressing call-next (fewer runs: it is quadratic)."""
    newest = max((ticket for ticket in state.tickets.values() if ticket.queued),
                 key=lambda ticket: ticket.queue_key)
    listed = calling_order(site, state, counter, now)

    def every_listed() -> None:
        forecast = Forecast(site, state, now)
        for ticket in listed:
            forecast.standing(ticket)

    def every_service() -> None:
        forecast = Forecast(site, state, now)
        for service in site.services:
            forecast.new_ticket(service.code)

    expected = Forecast(site, state, now).standing(newest).ahead
    assert pressed_ahead(site, state, newest, now) == expected
    return (median_ms(lambda: Forecast(site, state, now).standing(newest)),
            median_ms(every_listed),
            median_ms(every_service),
            median_ms(lambda: pressed_ahead(site, state, newest, now), PRESSED_RUNS))


def pressed_ahead(site: SiteSettings, state: SiteState, ticket: Ticket, now: datetime) -> int:
    """Calls before ``ticket``'s at the open counters serving it, found by pressing call-next
    (the rules' own) at the counter free soonest until it is called. Idle counters only: the
    bench's open counters hold no ticket."""
    turns = [(0.0, index, settings.code) for index, settings in enumerate(site.counters)
             if state.counter(settings.code).status.value == "open"]
    callers = {settings.code for settings in site.counters_serving(ticket.service)}
    seconds = {service.code: average_service_seconds(site, state, service.code)
               for service in site.services}
    ahead = 0
    while turns:
        at, index, code = heapq.heappop(turns)
        try:
            called = rules.apply(site, state, CallNext(code), now)
        except DomainError:
            continue  # nobody left for this counter
        assert isinstance(called.result, Ticket)
        if called.result.id == ticket.id:
            return ahead
        ahead += code in callers
        state = called.state
        heapq.heappush(turns, (at + seconds[called.result.service], index, code))
    raise AssertionError("never called")


if __name__ == "__main__":
    main()
