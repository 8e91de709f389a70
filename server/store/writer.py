"""The database writer: the one connection that writes, in a process of its own.

Why a process: a commit is SQLite steps and an ``fsync``, each of which gives up the GIL and
must take it back from the event loop. On a thread, under load, every commit queued for the
GIL several times behind the loop's work, and every reply waited on that queue. In its own
process the writer has its own interpreter; the event loop only pickles a plan and reads a
one-word answer from a pipe. (``bench/server_bench.py``: see docs/benchmarks.md.)

Both sides are in this module: :class:`WriterProcess` in the server, :func:`serve` in the
child (``python -m server.store.writer``). The child imports only the standard library, the
driver and :mod:`server.store.plan`, so it starts in tens of milliseconds.

The pipe carries length-prefixed pickles, each side trusting the other (the child is the
server's own). Server to child: first a :class:`Recipe`, then one plan after another, each a
list of ``(sql, rows, fence)`` triples and answered in order with ``("ok", row_counts)``,
``("error", "IntegrityError: ...")``, ``("fenced", site)`` (a fencing statement changed
nothing: :class:`~server.store.plan.FencedWrite`), ``("lost", reason)`` (the connection went
during the plan: committed or not, nobody can say) or ``("unavailable", reason)`` (no
connection could be made, so nothing was tried).

When PostgreSQL fails over, the child's connection breaks. It does not give up: the plan
under way is answered ``lost``, and each later plan first connects again through the same
address (a connection idle for :data:`IDLE_CHECK_SECONDS` is checked with one round trip
before a plan, so one that broke while nothing was written is replaced before the plan, not
found dead by it), which with several hosts and ``target_session_attrs=read-write`` finds the new
primary (``unavailable`` while there is none). The server side raises
:class:`~server.store.errors.DatabaseUnavailable` for both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import signal
import struct
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from server.store.errors import DatabaseUnavailable, NotOwner, StoreError, describe_error
from server.store.plan import (
    SQLITE_WRITER_PRAGMAS,
    FencedWrite,
    Statement,
    WritePlan,
    run_plan,
)

logger = logging.getLogger(__name__)

_LENGTH = struct.Struct(">I")
READY_SECONDS = 30.0
STOP_SECONDS = 10.0
# A PostgreSQL connection idle this long is checked (one round trip) before the next plan.
IDLE_CHECK_SECONDS = 1.0


class WriterError(StoreError):
    """A plan was not written: the database refused it, or the writer process is gone.

    ``in_doubt``: the process went away while a plan was with it, so whether that plan was
    committed is unknown (the server must reload from the database before writing again).
    """

    def __init__(self, message: str, in_doubt: bool = False) -> None:
        super().__init__(message)
        self.in_doubt = in_doubt


class WriterFenced(NotOwner):
    """Nothing of the plan was written: ``site`` is owned by another server process now
    (its ``owner_epoch`` moved on; :class:`~server.store.plan.FencedWrite`)."""


@dataclass(frozen=True)
class Recipe:
    """How the child opens its connection: ``driver`` is ``"sqlite3"`` or ``"psycopg"``;
    ``args`` and ``options`` go to the driver's ``connect``."""

    driver: str
    args: tuple[Any, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)


class WriterProcess:
    """The server's side of the writer: starts the child, hands it plans, reads the answers.

    The child answers plans in the order they were sent, so one reader task hands each answer
    to the oldest waiting caller; a caller that is cancelled meanwhile leaves its answer to be
    read and dropped, never given to the next plan. ``on_lost`` is called once if the child
    exits while the server still needs it.
    """

    def __init__(self, recipe: Recipe, on_lost: Callable[[str], None] | None = None) -> None:
        self.recipe = recipe
        self.on_lost = on_lost
        self._process: asyncio.subprocess.Process | None = None
        self._waiting: deque[asyncio.Future[tuple[str, Any]]] = deque()
        self._reader: asyncio.Task[None] | None = None
        self._stopping = False
        self._ready = False
        self._lost: str | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def start(self) -> None:
        """Start the child and wait until its connection is open.

        Raises :class:`WriterError` with the driver's reason when it cannot connect.
        """
        package_root = str(Path(__file__).resolve().parents[2])
        path = os.environ.get("PYTHONPATH")
        environment = {**os.environ,
                       "PYTHONPATH": package_root + (os.pathsep + path if path else "")}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server.store.writer",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=environment)
        self._process = process
        self._reader = asyncio.get_running_loop().create_task(self._read_answers(process),
                                                              name="writer-answers")
        try:
            status, detail = await asyncio.wait_for(self._ask(self.recipe), READY_SECONDS)
        except (TimeoutError, WriterError) as error:
            await self.stop()
            raise WriterError(f"the database writer did not start: {error}") from error
        if status != "ready":
            await self.stop()
            raise WriterError(f"the database writer cannot open the database: {detail}")
        self._ready = True
        logger.info("database writer process %d is ready", process.pid)

    async def write(self, plan: WritePlan) -> list[int]:
        """Run ``plan`` in one transaction in the child; returns each statement's row count.

        Raises :class:`WriterError`: refused by the database (nothing written), or the child
        is gone (``in_doubt`` when it went with this plan); :class:`WriterFenced` when a site
        of the plan has another owner now (nothing written); :class:`DatabaseUnavailable`
        when the database's connection broke during the plan (``in_doubt``) or no primary
        could be reached for it (nothing written).
        """
        if self._lost is not None or self._process is None:
            raise WriterError(f"the database writer is not running: {self._lost}")
        # Plain tuples: pickling the Statement objects themselves cost a Python call each,
        # on the event loop.
        status, detail = await self._ask([(statement.sql, statement.rows, statement.fence)
                                          for statement in plan])
        if status == "fenced":
            raise WriterFenced(str(detail))
        if status in ("lost", "unavailable"):
            raise DatabaseUnavailable(f"no database primary: {detail}",
                                      in_doubt=status == "lost")
        if status != "ok":
            raise WriterError(str(detail))
        counts: list[int] = detail
        return counts

    async def stop(self) -> None:
        """Let the child finish what it was sent and exit (its input closes); kill it if it
        does not. Callers still waiting get :class:`WriterError`."""
        self._stopping = True
        process = self._process
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), STOP_SECONDS)
        except TimeoutError:
            logger.error("database writer %d did not stop; killing it", process.pid)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        if self._reader is not None:
            await self._reader
        self._process = None

    def _ask(self, message: object) -> asyncio.Future[tuple[str, Any]]:
        assert self._process is not None and self._process.stdin is not None
        answer: asyncio.Future[tuple[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting.append(answer)
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        # A pipe the child no longer reads takes this silently; the reader then sees the
        # end of the child's output and fails every answer still waiting.
        self._process.stdin.write(_LENGTH.pack(len(data)) + data)
        return answer

    async def _read_answers(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        try:
            while True:
                header = await process.stdout.readexactly(_LENGTH.size)
                answer = pickle.loads(
                    await process.stdout.readexactly(_LENGTH.unpack(header)[0]))
                waiting = self._waiting.popleft()
                if not waiting.done():  # its caller may have been cancelled
                    waiting.set_result(answer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        # Noticed at once, not at the next write: a quiet hour must not hide a dead writer.
        code = await process.wait()
        reason = f"the database writer process {process.pid} exited (code {code})"
        if self._ready and not self._stopping:
            self._lose(reason)
        while self._waiting:
            waiting = self._waiting.popleft()
            if not waiting.done():
                # Sent and not answered: committed or not, nobody can say.
                waiting.set_exception(WriterError(reason, in_doubt=True))

    def _lose(self, reason: str) -> None:
        if self._lost is not None:
            return
        self._lost = reason
        logger.critical("%s", reason)
        if self.on_lost is not None:
            self.on_lost(reason)


# --- the child --------------------------------------------------------------------------


def _read(stream: BinaryIO) -> Any:
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        return None  # the server closed the pipe: time to go
    return pickle.loads(stream.read(_LENGTH.unpack(header)[0]))


def _write(stream: BinaryIO, message: tuple[str, Any]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def _driver(recipe: Recipe) -> Any:
    """The driver module ``recipe`` names (imported here: only one is ever needed)."""
    if recipe.driver == "sqlite3":
        import sqlite3

        return sqlite3
    if recipe.driver == "psycopg":
        import psycopg

        return psycopg
    raise ValueError(f"unknown database driver {recipe.driver!r}")


def serve(requests: BinaryIO, answers: BinaryIO) -> int:
    """The child's loop: open the connection, then run each plan as it comes, until the
    server closes ``requests``. A database error is answered and the loop goes on."""
    # Ctrl+C and a service manager's SIGTERM reach the whole process group; the server then
    # still commits what is queued, through this process. It ends when its input closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    recipe: Recipe | None = _read(requests)
    if recipe is None:
        return 0
    try:
        driver = _driver(recipe)
    except (ImportError, ValueError) as error:
        _write(answers, ("failed", describe_error(error)))
        return 1
    driver_error: type[Exception] = driver.Error
    try:
        connection: Any = _connect(driver, recipe)
    except driver_error as error:
        _write(answers, ("failed", describe_error(error)))
        return 1
    _write(answers, ("ready", None))
    sqlite = recipe.driver == "sqlite3"
    last_used = time.monotonic()
    try:
        while (message := _read(requests)) is not None:
            plan = tuple(Statement(sql, rows, fence) for sql, rows, fence in message)
            if connection is not None and not sqlite and \
                    time.monotonic() - last_used > IDLE_CHECK_SECONDS and \
                    not _alive(connection, driver_error):
                # It broke while idle (a failover while the server refused changes): nothing
                # of this plan was sent, so connecting again first is safe, and the plan is
                # not answered "lost" (in doubt) for a connection that was dead before it.
                _close_quietly(connection, driver_error)
                connection = None
            last_used = time.monotonic()
            if connection is None:
                # The last one broke (a failover): the address finds the primary, if any.
                try:
                    connection = _connect(driver, recipe)
                except driver_error as error:
                    _write(answers, ("unavailable", describe_error(error)))
                    continue
            try:
                counts = run_plan(connection, plan, sqlite)
            except driver_error as error:
                if _gone(connection, error):
                    _close_quietly(connection, driver_error)
                    connection = None
                    _write(answers, ("lost", describe_error(error)))
                else:
                    _write(answers, ("error", describe_error(error)))
                continue
            except FencedWrite as fenced:
                _write(answers, ("fenced", fenced.label))
                continue
            _write(answers, ("ok", counts))
    finally:
        if connection is not None:
            _close_quietly(connection, driver_error)
    return 0


def _alive(connection: Any, driver_error: type[Exception]) -> bool:
    """Whether ``connection`` still reaches its server (one round trip, no transaction left
    open)."""
    try:
        cursor = connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        connection.rollback()
    except driver_error as error:
        if _gone(connection, error):
            return False
        raise
    return True


def _connect(driver: Any, recipe: Recipe) -> Any:
    connection = driver.connect(*recipe.args, **recipe.options)
    if recipe.driver == "sqlite3":
        for pragma in SQLITE_WRITER_PRAGMAS:
            connection.execute(pragma)
    return connection


def _gone(connection: Any, error: Exception) -> bool:
    """Whether ``connection`` can write no more: PostgreSQL's broke (the server went, a
    failover), or it reaches a server that has become a read-only standby. A SQLite
    connection never goes."""
    if getattr(connection, "broken", False) or getattr(connection, "closed", False) is True:
        return True
    # SQLSTATE 25006: read_only_sql_transaction (a primary turned standby).
    return getattr(error, "sqlstate", None) == "25006"


def _close_quietly(connection: Any, driver_error: type[Exception]) -> None:
    with contextlib.suppress(driver_error, OSError):
        connection.close()


if __name__ == "__main__":
    raise SystemExit(serve(sys.stdin.buffer, sys.stdout.buffer))
