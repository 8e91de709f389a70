"""The server's garbage-collection policy (server.app.garbage): survivors are frozen so the
collector's walks stay small, a garbage cycle frozen during the day goes at the daily whole
collection, and that collection comes at the quiet hour, once a day."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from server.app.garbage import QUIET_HOUR, GarbageKeeper


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    gc.collect()


def local(hour: int, minute: int = 0, days: int = 0) -> datetime:
    today = datetime.now().astimezone().replace(hour=hour, minute=minute, second=0,
                                                microsecond=0)
    return today + timedelta(days=days)


def test_survivors_are_frozen_and_a_frozen_cycle_goes_at_the_whole_collection() -> None:
    keeper = GarbageKeeper(lambda: local(10))
    gc.freeze()
    before = gc.get_freeze_count()
    first, second = Node(), Node()
    first.other, second.other = second, first  # a cycle: only the collector frees it
    freed: list[str] = []
    watcher = weakref.ref(first, lambda _: freed.append("cycle"))
    assert keeper.refreeze() >= 0
    assert gc.get_freeze_count() > before
    del first, second
    gc.collect()
    assert freed == [] and watcher() is not None  # frozen: not walked, not freed
    count, seconds = keeper.collect_whole()
    assert freed == ["cycle"] and count >= 2 and seconds >= 0
    assert gc.get_freeze_count() > 0  # frozen again after the whole collection


def test_the_whole_collection_comes_at_the_quiet_hour_once_a_day() -> None:
    now = [local(QUIET_HOUR - 1, 30)]
    keeper = GarbageKeeper(lambda: now[0])
    keeper.step()
    assert (keeper.refreezes, keeper.full_collections) == (1, 0)
    now[0] = local(QUIET_HOUR, 1)
    keeper.step()
    assert keeper.full_collections == 1
    now[0] = local(QUIET_HOUR, 2)
    keeper.step()
    now[0] = local(QUIET_HOUR - 1, 59, days=1)
    keeper.step()
    assert (keeper.refreezes, keeper.full_collections) == (3, 1)
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
