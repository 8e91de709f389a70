"""Reports for the web pages, without stalling the queue.

Both the figures of a page (:meth:`ReportService.report`) and a download
(:meth:`ReportService.export`) run in child processes of this service, started fresh
(``spawn``) and nicer than the server (server.reports.priority). Not a thread of the server:
a report's Python work (reading rows, sorting for the percentiles, openpyxl) would hold the
server's GIL, and the event loop would wait for it behind a thread the scheduler was told to
run last. The child keeps the reports' own read-only engine between reports. Two reports run
at a time (a page's figures need not wait for a download); later ones wait their turn.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sqlalchemy import Engine

from server.config.settings import Settings
from server.reports.command import FORMATS, write_report
from server.reports.errors import ReportError
from server.reports.model import Report
from server.reports.priority import lower_process_priority
from server.reports.request import ReportRequest
from server.reports.run import run_report
from server.reports.source import open_report_engine

SUFFIXES = {"xlsx": ".xlsx", "csv": ".csv", "cases-csv": ".csv"}


class ReportService:
    """Runs reports on ``database_url`` (the server's own database) for ``settings``."""

    def __init__(self, settings: Settings, database_url: str) -> None:
        self.settings = settings
        self.database_url = database_url
        self._processes: ProcessPoolExecutor | None = None

    async def report(self, request: ReportRequest) -> Report:
        """The figures and chart series of ``request`` (checked by
        :func:`~server.reports.request.build_request`), made in a child process. Raises
        :class:`~server.reports.errors.ReportError`."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool(), figures_in_child, self.settings,
                                          request, self.database_url)

    def _pool(self) -> ProcessPoolExecutor:
        if self._processes is None:
            # spawn: a fresh interpreter, nothing of the server's state (its sockets, its
            # writer's pipe) inherited.
            self._processes = ProcessPoolExecutor(
                max_workers=2, mp_context=multiprocessing.get_context("spawn"),
                initializer=lower_process_priority)
        return self._processes

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
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._pool(), write_report, self.settings, request,
                                       self.database_url, target, file_format)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target

    def close(self) -> None:
        """Stop the child processes (waiting for what runs)."""
        if self._processes is not None:
            self._processes.shutdown(wait=True)


# The child process's engine, kept between the reports it makes (one per database URL).
_ENGINES: dict[str, Engine] = {}


def figures_in_child(settings: Settings, request: ReportRequest, database_url: str) -> Report:
    """:func:`~server.reports.run.run_report` in a report process, on its own read-only
    engine."""
    engine = _ENGINES.get(database_url)
    if engine is None:
        engine = _ENGINES[database_url] = open_report_engine(database_url)
    return run_report(engine, settings, request)
