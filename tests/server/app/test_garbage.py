"""The server's garbage-collection policy (server.app.garbage): a garbage cycle among frozen
objects goes at the daily whole collection, which freezes the survivors again; that
collection comes at the quiet hour, once a day, and when the heap has doubled (looked at
without walking the frozen objects); a long collection is logged."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import weakref
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from server.app import garbage
from server.app.garbage import QUIET_HOUR, GarbageKeeper, tune_garbage_collector


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None
        self.payload: list[object] = []


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    callbacks = list(gc.callbacks)
    enabled = gc.isenabled()
    yield
    gc.callbacks[:] = callbacks
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    if enabled:
        gc.enable()
    gc.collect()


def local(hour: int, minute: int = 0, days: int = 0) -> datetime:
    today = datetime.now().astimezone().replace(hour=hour, minute=minute, second=0,
                                                microsecond=0)
    return today + timedelta(days=days)


def test_a_frozen_cycle_goes_at_the_whole_collection_and_survivors_are_frozen() -> None:
    keeper = GarbageKeeper(lambda: local(10))
    first, second = Node(), Node()
    first.other, second.other = second, first  # a cycle: only the collector frees it
    freed: list[str] = []
    watcher = weakref.ref(first, lambda _: freed.append("cycle"))
    gc.freeze()
    del first, second
    gc.collect()
    assert freed == [] and watcher() is not None  # frozen: not walked, not freed
    survivor = Node()
    count, seconds = keeper.collect_whole()
    assert freed == ["cycle"] and count >= 2 and seconds >= 0
    assert gc.get_freeze_count() > 0 and survivor.other is None  # frozen again, alive


def test_the_whole_collection_comes_at_the_quiet_hour_once_a_day() -> None:
    now = [local(QUIET_HOUR - 1, 30)]
    keeper = GarbageKeeper(lambda: now[0])
    keeper.step()
    assert keeper.full_collections == 0
    now[0] = local(QUIET_HOUR, 1)
    keeper.step()
    assert keeper.full_collections == 1
    now[0] = local(QUIET_HOUR, 2)
    keeper.step()
    now[0] = local(QUIET_HOUR - 1, 59, days=1)
    keeper.step()
    assert keeper.full_collections == 1
    now[0] = local(QUIET_HOUR, 0, days=1)
    keeper.step()
    assert keeper.full_collections == 2


def test_started_after_the_quiet_hour_it_waits_for_the_next_one() -> None:
    now = [local(QUIET_HOUR + 5)]
    keeper = GarbageKeeper(lambda: now[0])
    keeper.step()
    assert keeper.full_collections == 0
    now[0] = local(QUIET_HOUR, days=1)
    keeper.step()
    assert keeper.full_collections == 1


def test_a_long_collection_is_logged_with_its_generation(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    tune_garbage_collector()
    monkeypatch.setattr(garbage, "PAUSE_LOGGED_SECONDS", 0.0)  # any collection is "long"
    caplog.set_level(logging.WARNING, logger="server.app.garbage")
    cycle = Node()
    cycle.other = cycle
    del cycle
    gc.collect(0)
    said = [record.getMessage() for record in caplog.records]
    assert said and said[-1].startswith("garbage collection of generation 0 held the server")
    assert "objects freed" in said[-1]


def test_the_survivors_of_a_collection_of_the_oldest_generation_are_frozen() -> None:
    tune_garbage_collector()
    kept = [Node() for _ in range(1_000)]
    frozen = gc.get_freeze_count()
    gc.collect(1)  # a young collection freezes nothing
    assert gc.get_freeze_count() == frozen
    gc.collect(2)
    assert gc.get_freeze_count() >= frozen + len(kept)
    # Frozen: the next collection of the oldest generation does not walk them.
    assert not any(item is kept[0] for item in gc.get_objects(generation=2))


def test_a_cycle_frozen_while_alive_goes_once_the_heap_has_doubled(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(garbage, "GROWTH_MINIMUM", 0)
    tune_garbage_collector()
    keeper = GarbageKeeper(lambda: local(QUIET_HOUR + 5))
    first, second = Node(), Node()
    first.other, second.other = second, first
    freed: list[str] = []
    watcher = weakref.ref(first, lambda _: freed.append("cycle"))
    gc.collect(2)  # alive: frozen with the other survivors
    del first, second
    gc.collect(2)
    assert freed == [] and watcher() is not None
    keeper.step()  # the heap has not grown: nothing walked whole
    assert keeper.full_collections == 0
    # The heap doubles: a list of one item is two blocks or more, so half as many lists as
    # blocks in use at least double them.
    grown = [[index] for index in range(sys.getallocatedblocks() // 2 + 1)]
    gc.collect(2)
    keeper.step()
    assert keeper.full_collections == 1 and freed == ["cycle"]
    keeper.step()  # frozen again after it: not grown since
    assert keeper.full_collections == 1
    del grown


async def test_the_keeper_collects_on_its_own_clock_and_freezes_what_survives() -> None:
    tune_garbage_collector()
    assert not gc.isenabled()  # no collection at an allocation count: only the keeper's
    keeper = GarbageKeeper(lambda: local(QUIET_HOUR + 5))
    first, second = Node(), Node()
    first.other, second.other = second, first
    freed: list[str] = []
    watcher = weakref.ref(first, lambda _: freed.append("cycle"))
    del first, second
    kept = Node()
    rounds: list[float] = []

    async def one_round(seconds: float) -> None:
        rounds.append(seconds)
        if len(rounds) > 1:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await keeper.run(interval=1.0, sleep=one_round)
    assert rounds == [1.0, 1.0]
    assert freed == ["cycle"] and watcher() is None  # collected at the first round
    assert not any(item is kept for generation in range(3)
                   for item in gc.get_objects(generation=generation))  # frozen


def test_the_look_for_a_whole_collection_never_walks_the_frozen_objects(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # gc.get_freeze_count walks the frozen list: 70-150 ms a minute on a province's heap.
    keeper = GarbageKeeper(lambda: local(QUIET_HOUR + 5))

    def walked() -> int:
        raise AssertionError("the frozen objects were counted one by one")

    monkeypatch.setattr(gc, "get_freeze_count", walked)
    keeper.step()
    assert keeper.full_collections == 0
