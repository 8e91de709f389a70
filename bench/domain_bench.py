"""The queue rules on their own: issue, call-next and the waiting list at a long queue.

    python bench/domain_bench.py

A counter asks for its waiting list (``queue``, :func:`calling_order`) after every event of
its services, so its cost is paid many times per ticket; call-next and issue once each.
Prints medians of 20 runs at 300 waiting (a busy centre's morning) and 4,500 (the site the
server bench builds up), on the server bench's 70-counter site, a quarter of the tickets
priority.
"""

from __future__ import annotations

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
from server.domain import rules
from server.domain.calling import calling_order, choose_next
from server.domain.commands import CallNext, IssueTicket, Login
from server.domain.model import SiteState

MORNING = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
RUNS = 20


def median_ms(action: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
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
          f"{counter.code} serves {', '.join(services)} ({counter.order.value} order)")
    for waiting in (300, 4500):
        state: SiteState = rules.new_site_state(site, MORNING)
        state = rules.apply(site, state, Login(counter.code, None), MORNING).state
        for index in range(waiting):
            command = IssueTicket(services[index % len(services)],
                                  None if index % 4 else site.priority_groups[0].code,
                                  f"press-{index}")
            state = rules.apply(site, state, command,
                                MORNING + timedelta(seconds=index)).state
        issue, call, choose, listing = measure(site, state, counter,
                                               MORNING + timedelta(hours=2))
        print(f"{waiting} waiting at the counter's services: issue {issue:.3f} ms, "
              f"call_next {call:.3f} ms (choosing {choose:.3f} ms), "
              f"waiting list of 50 {listing:.3f} ms")


def measure(site: SiteSettings, state: SiteState, counter: CounterSettings,
            now: datetime) -> tuple[float, float, float, float]:
    """Median ms of: issue, call_next, choosing alone, the waiting list."""
    service = counter.services[0]
    return (median_ms(lambda: rules.apply(site, state, IssueTicket(service), now)),
            median_ms(lambda: rules.apply(site, state, CallNext(counter.code), now)),
            median_ms(lambda: choose_next(site, state, counter, now)),
            median_ms(lambda: calling_order(site, state, counter, now)))


if __name__ == "__main__":
    main()
