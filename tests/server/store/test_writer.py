"""The writer process: plans written by a real child process on real databases, refusals,
signals, a killed child and a database it cannot open."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from support.databases import event_row as event

from server.store.bulk import DriverStatement
from server.store.database import Engines, writer_recipe
from server.store.plan import Statement
from server.store.tables import EventRow
from server.store.writer import Recipe, WriterError, WriterProcess


class Lost:
    """Collects what ``on_lost`` reports; :meth:`wait` waits for the first report."""

    def __init__(self) -> None:
        self.reasons: list[str] = []
        self._reported = asyncio.Event()

    def __call__(self, reason: str) -> None:
        self.reasons.append(reason)
        self._reported.set()

    async def wait(self) -> str:
        await asyncio.wait_for(self._reported.wait(), 30)
        return self.reasons[0]


@pytest.fixture
def lost() -> Lost:
    return Lost()


@pytest.fixture
async def writer(engines: Engines, lost: Lost) -> AsyncIterator[WriterProcess]:
    process = WriterProcess(writer_recipe(engines), lost)
    await process.start()
    yield process
    await process.stop()


def events(engines: Engines, *seqs: int) -> Statement:
    return DriverStatement(insert(EventRow), engines.writer.dialect).bind(
        [event(seq) for seq in seqs])


def stored_seqs(engines: Engines) -> list[int]:
    with engines.reader.connect() as connection:
        return list(connection.execute(text("SELECT seq FROM events ORDER BY seq")).scalars())


async def test_plans_are_written_by_a_process_of_their_own(engines: Engines, lost: Lost) -> None:
    process = WriterProcess(writer_recipe(engines), lost)
    await process.start()
    child = process.pid
    assert child is not None and child != os.getpid()
    assert await process.write((events(engines, 1, 2), events(engines, 3))) == [2, 1]
    assert stored_seqs(engines) == [1, 2, 3]
    await process.stop()
    assert process.pid is None and lost.reasons == []  # a stop is not a loss
    if sys.platform == "linux":
        assert not Path(f"/proc/{child}").exists()


async def test_a_refused_plan_writes_nothing_and_the_writer_goes_on(
    engines: Engines, writer: WriterProcess, lost: Lost
) -> None:
    await writer.write((events(engines, 1),))
    with pytest.raises(WriterError, match=r"(?i)unique constraint") as refused:
        await writer.write((events(engines, 2), events(engines, 1)))  # seq 1 again
    assert not refused.value.in_doubt
    assert stored_seqs(engines) == [1]
    await writer.write((events(engines, 2),))
    assert stored_seqs(engines) == [1, 2] and lost.reasons == []


async def test_a_cancelled_caller_leaves_its_answer_to_no_one_else(
    engines: Engines, writer: WriterProcess
) -> None:
    cancelled = asyncio.create_task(writer.write((events(engines, 1), events(engines, 2))))
    await asyncio.sleep(0)  # one loop step: the task sends its plan and waits for the answer
    cancelled.cancel()
    # The next caller must get its own answer (one count), not the cancelled plan's (two).
    assert await writer.write((events(engines, 3),)) == [1]
    assert cancelled.cancelled()
    assert stored_seqs(engines) == [1, 2, 3]  # the child still wrote what it was sent


async def test_signals_to_the_process_group_leave_the_writer_serving(
    engines: Engines, writer: WriterProcess
) -> None:
    # Ctrl+C or a service manager's stop reach every process of the group; the server still
    # commits what it has queued after them, through this writer.
    assert writer.pid is not None
    os.kill(writer.pid, signal.SIGINT)
    os.kill(writer.pid, signal.SIGTERM)
    await writer.write((events(engines, 1),))
    assert stored_seqs(engines) == [1]


async def test_a_killed_writer_is_reported_once_and_refuses_what_follows(
    engines: Engines, writer: WriterProcess, lost: Lost
) -> None:
    assert writer.pid is not None
    os.kill(writer.pid, signal.SIGKILL)
    reason = await lost.wait()
    assert "exited (code -9)" in reason
    with pytest.raises(WriterError, match="not running"):
        await writer.write((events(engines, 1),))
    assert lost.reasons == [reason] and stored_seqs(engines) == []


async def test_a_database_it_cannot_open_stops_the_start(tmp_path: Path) -> None:
    missing = tmp_path / "no such folder" / "qms.sqlite3"
    process = WriterProcess(Recipe("sqlite3", (str(missing),), {"isolation_level": None}))
    with pytest.raises(WriterError, match="cannot open the database: OperationalError"):
        await process.start()
    assert process.pid is None
    unknown = WriterProcess(Recipe("oracle"))
    with pytest.raises(WriterError, match="unknown database driver 'oracle'"):
        await unknown.start()
