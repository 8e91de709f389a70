"""The apps' garbage collection on the GUI thread (display.ui.qt_application): while it runs,
the collector never starts by itself in another thread; its timer collects a cycle on the GUI
thread once the youngest generation passes its threshold; stopping it gives collection back."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from display.ui.qt_application import GuiThreadCollector


class Node:
    """One half of a reference cycle."""

    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> weakref.ref[Node]:
    first, second = Node(), Node()
    first.other, second.other = second, first
    return weakref.ref(first)


@pytest.fixture
def collections() -> Iterator[list[str]]:
    """The name of the thread each collection ran in."""
    threads: list[str] = []

    def noted(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            threads.append(threading.current_thread().name)

    gc.callbacks.append(noted)
    yield threads
    gc.callbacks.remove(noted)


def test_collections_run_on_the_gui_thread_only(qtbot: QtBot,
                                                collections: list[str]) -> None:
    collector = GuiThreadCollector()
    collector.start()
    try:
        assert not gc.isenabled()
        freed = cycle()
        kept: list[Node] = []

        def allocate() -> None:  # far past the youngest threshold, in a worker thread
            kept.extend(Node() for _ in range(50_000))

        worker = threading.Thread(target=allocate, name="worker")
        worker.start()
        worker.join()
        assert freed() is not None and "worker" not in collections
        qtbot.waitUntil(lambda: freed() is None, timeout=5_000)
        assert collections and set(collections) == {threading.current_thread().name}
    finally:
        collector.stop()
    assert gc.isenabled()
