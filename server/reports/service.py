"""Reports for the web pages, without stalling the queue.

The figures of a page (:meth:`ReportService.report`) are a few aggregated rows: they run on
a worker thread of this service, on the reports' own read-only engine (the database does
the work and releases the GIL meanwhile). A download (:meth:`ReportService.export`) may list
a million tickets through openpyxl, which is pure Python: it runs in a child process, so
the server's event loop never waits for the GIL behind it. One report and one download run
at a time; later ones wait their turn. Both run at a lower priority than the server's own
threads (:mod:`server.reports.priority`): the queue gets the processor first.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import tempfile
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import Engine

from server.config.settings import Settings
from server.reports.command import FORMATS, write_report
from server.reports.errors import ReportError
from server.reports.model import Report
from server.reports.priority import lower_process_priority, lower_thread_priority
from server.reports.request import ReportRequest
from server.reports.run import run_report
from server.reports.source import open_report_engine

SUFFIXES = {"xlsx": ".xlsx", "csv": ".csv", "cases-csv": ".csv"}


class ReportService:
    """Runs reports on ``database_url`` (the server's own database) for ``settings``."""

    def __init__(self, settings: Settings, database_url: str) -> None:
        self.settings = settings
        self.database_url = database_url
        # Both run nicer than the server's own threads (server.reports.priority).
        self._threads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="report",
                                           initializer=lower_thread_priority)
        self._processes: ProcessPoolExecutor | None = None
        self._engine: Engine | None = None

    async def report(self, request: ReportRequest) -> Report:
        """The figures and chart series of ``request`` (checked by
        :func:`~server.reports.request.build_request`). Raises
        :class:`~server.reports.errors.ReportError`."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, self._run, request)

    def _run(self, request: ReportRequest) -> Report:
        if self._engine is None:
            self._engine = open_report_engine(self.database_url)
        return run_report(self._engine, self.settings, request)

    async def export(self, request: ReportRequest, file_format: str, directory: Path) -> Path:
        """Write ``request`` as ``file_format`` (``xlsx``, ``csv`` or ``cases-csv``) to a new
        file in ``directory`` and return its path (the caller sends and deletes it). Runs
        in a child process. Raises :class:`~server.reports.errors.ReportError`."""
        if file_format not in FORMATS:
            raise ReportError("format", f"{file_format!r} is not a format (one of "
                                        f"{', '.join(FORMATS)})")
        handle = tempfile.NamedTemporaryFile(dir=directory, prefix="report-",  # noqa: SIM115
                                             suffix=SUFFIXES[file_format], delete=False)
        handle.close()
        target = Path(handle.name)
        if self._processes is None:
            # spawn: a fresh interpreter, nothing of the server's state (its sockets, its
            # writer's pipe) inherited.
            self._processes = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                initializer=lower_process_priority)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._processes, write_report, self.settings, request,
                                       self.database_url, target, file_format)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target

    def close(self) -> None:
        """Stop the worker thread and process (waiting for what runs)."""
        self._threads.shutdown(wait=True)
        if self._processes is not None:
            self._processes.shutdown(wait=True)
        if self._engine is not None:
            self._engine.dispose()
