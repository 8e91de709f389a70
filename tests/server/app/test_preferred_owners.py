"""The even split of sites over live server processes (:func:`preferred_owners`), checked on
generated process addresses and site codes: every site gets a candidate, each candidate set's
sites are dealt within one of each other, a process listing sites gets only those, and
losing a process moves few of the sites it did not own."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from server.app.ownership import preferred_owners
from server.store.ownership import Member


def member(url: str, sites: tuple[str, ...] = ()) -> Member:
    return Member(url=url, host="host", pid=1, sites=sites, version="1",
                  started_at=datetime(2026, 12, 4, tzinfo=UTC), live=True, backend=1)


urls = st.lists(st.integers(1024, 65535).map(lambda port: f"ws://127.0.0.1:{port}/ws"),
                min_size=1, max_size=5, unique=True)
codes = st.lists(st.from_regex(r"[a-z]{1,6}", fullmatch=True), min_size=1, max_size=40,
                 unique=True)


@settings(max_examples=300, deadline=None)
@given(urls, codes)
def test_sites_are_dealt_evenly_over_processes_listing_no_site(
        addresses: list[str], sites: list[str]) -> None:
    live = [member(url) for url in addresses]
    owners = preferred_owners(sites, live)
    assert set(owners) == set(sites)
    loads = [sum(1 for owner in owners.values() if owner.url == url) for url in addresses]
    assert max(loads) - min(loads) <= 1


def test_a_process_listing_sites_gets_only_them_and_the_rest_are_shared() -> None:
    sites = ("px-a", "px-b", "px-c", "px-d", "px-e")
    # The case that was flaky with a plain rendezvous hash: four sites over two processes.
    for port in range(2000, 2200):
        live = [member(f"ws://127.0.0.1:{port}/ws", ("px-e",)),
                member(f"ws://127.0.0.1:{port + 1}/ws"),
                member(f"ws://127.0.0.1:{port + 2}/ws")]
        owners = preferred_owners(sites, live)
        assert owners["px-e"] is live[0]
        shared = [owners[code].url for code in sites[:4]]
        assert sorted(shared.count(process.url) for process in live[1:]) == [2, 2]


def test_no_live_process_owns_nothing() -> None:
    assert preferred_owners(("px-a",), []) == {}


def test_losing_a_process_mostly_moves_its_own_sites() -> None:
    generator = random.Random(16)
    shares = []
    for _ in range(200):
        live = [member(f"ws://10.0.0.{generator.randint(1, 254)}:{port}/ws")
                for port in generator.sample(range(1024, 65535), generator.randint(2, 5))]
        sites = [f"px-{index}" for index in range(generator.randint(30, 120))]
        before = preferred_owners(sites, live)
        after = preferred_owners(sites, live[:-1])
        stayed = [code for code in sites if before[code].url != live[-1].url]
        assert all(after[code].url != live[-1].url for code in sites)
        shares.append(sum(after[code].url != before[code].url for code in stayed)
                      / len(stayed))
    # The gone process's sites must move; of the others only a few make room for them.
    assert statistics.median(shares) < 0.05
    assert max(shares) < 0.3
