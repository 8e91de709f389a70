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
list of ``(sql, rows)`` pairs and answered in order with ``("ok", row_counts)`` or
``("error", "IntegrityError: ...")``.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

from server.store.errors import StoreError
from server.store.plan import SQLITE_WRITER_PRAGMAS, Statement, WritePlan, run_plan

logger = logging.getLogger(__name__)

_LENGTH = struct.Struct(">I")
READY_SECONDS = 30.0
STOP_SECONDS = 10.0


class WriterError(StoreError):
    """A plan was not written: the database refused it, or the writer process is gone.

    ``in_doubt``: the process went away while a plan was with it, so whether that plan was
    committed is unknown (the server must reload from the database before writing again).
    """

    def __init__(self, message: str, in_doubt: bool = False) -> None:
        super().__init__(message)
        self.in_doubt = in_doubt


@dataclass(frozen=True)
class Recipe:
    """How the child opens its connection: ``driver`` is ``"sqlite3"`` or ``"psycopg"``;
    ``args`` and ``options`` go to the driver's ``connect``."""

    driver: str
    args: tuple[Any, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)


class WriterProcess:
    """The server's side of the writer: starts the child, hands it plans, reads the answers.

    One plan is with the child at a time (callers queue on a lock), so answers need no ids.
    ``on_lost`` is called once if the child exits while the server still needs it.
    """

    def __init__(self, recipe: Recipe, on_lost: Callable[[str], None] | None = None) -> None:
        self.recipe = recipe
        self.on_lost = on_lost
        self._process: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self._stopping = False
        self._lost: str | None = None
        self._watcher: asyncio.Task[None] | None = None

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
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server.store.writer",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=environment)
        try:
            await self._send(self.recipe)
            status, detail = await asyncio.wait_for(self._receive(), READY_SECONDS)
        except (TimeoutError, WriterError) as error:
            await self._terminate()
            raise WriterError(f"the database writer did not start: {error}") from error
        if status != "ready":
            await self._terminate()
            raise WriterError(f"the database writer cannot open the database: {detail}")
        logger.info("database writer process %d is ready", self._process.pid)
        self._watcher = asyncio.get_running_loop().create_task(
            self._watch(self._process), name="writer-watch")

    async def _watch(self, process: asyncio.subprocess.Process) -> None:
        # Noticed at once, not at the next write: a quiet hour must not hide a dead writer.
        code = await process.wait()
        self._lose(f"the database writer process {process.pid} exited (code {code})")

    async def write(self, plan: WritePlan) -> list[int]:
        """Run ``plan`` in one transaction in the child; returns each statement's row count.

        Raises :class:`WriterError`: refused by the database (nothing written), or the child
        is gone (``in_doubt`` when it went with this plan).
        """
        async with self._lock:
            if self._lost is not None or self._process is None:
                raise WriterError(f"the database writer is not running: {self._lost}")
            try:
                # Plain tuples: pickling the Statement objects themselves cost a Python call
                # each, on the event loop.
                await self._send([(statement.sql, statement.rows) for statement in plan])
                status, detail = await self._receive()
            except WriterError as error:
                self._lose(str(error))
                raise WriterError(str(error), in_doubt=True) from error
        if status != "ok":
            raise WriterError(str(detail))
        counts: list[int] = detail
        return counts

    async def stop(self) -> None:
        """Let the child finish and exit (its input closes); kill it if it does not."""
        self._stopping = True
        if self._watcher is not None:
            self._watcher.cancel()
        async with self._lock:
            await self._terminate()

    async def _send(self, message: object) -> None:
        assert self._process is not None and self._process.stdin is not None
        if self._process.stdin.is_closing():
            await self._exited()
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self._process.stdin.write(_LENGTH.pack(len(data)) + data)

    async def _receive(self) -> tuple[str, Any]:
        assert self._process is not None and self._process.stdout is not None
        try:
            header = await self._process.stdout.readexactly(_LENGTH.size)
            answer: tuple[str, Any] = pickle.loads(
                await self._process.stdout.readexactly(_LENGTH.unpack(header)[0]))
        except (asyncio.IncompleteReadError, ConnectionError):
            await self._exited()
        return answer

    async def _exited(self) -> NoReturn:
        assert self._process is not None
        code = await self._process.wait()
        raise WriterError(f"the database writer process {self._process.pid} exited "
                          f"(code {code})")

    def _lose(self, reason: str) -> None:
        if self._lost is not None or self._stopping:
            return
        self._lost = reason
        logger.critical("%s", reason)
        if self.on_lost is not None:
            self.on_lost(reason)

    async def _terminate(self) -> None:
        process, self._process = self._process, None
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
        _write(answers, ("failed", f"{type(error).__name__}: {error}"))
        return 1
    driver_error: type[Exception] = driver.Error
    try:
        connection = driver.connect(*recipe.args, **recipe.options)
        if recipe.driver == "sqlite3":
            for pragma in SQLITE_WRITER_PRAGMAS:
                connection.execute(pragma)
    except driver_error as error:
        _write(answers, ("failed", f"{type(error).__name__}: {error}"))
        return 1
    _write(answers, ("ready", None))
    sqlite = recipe.driver == "sqlite3"
    try:
        while (message := _read(requests)) is not None:
            plan = tuple(Statement(sql, rows) for sql, rows in message)
            try:
                counts = run_plan(connection, plan, sqlite)
            except driver_error as error:
                _write(answers, ("error", f"{type(error).__name__}: {error}"))
                continue
            _write(answers, ("ok", counts))
    finally:
        connection.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(serve(sys.stdin.buffer, sys.stdout.buffer))
