"""ReportService, what the web pages call: figures off the event loop, downloads written
by a child process into the folder given."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from server.config import Settings
from server.reports.errors import ReportError
from server.reports.request import build_request
from server.reports.service import ReportService


async def test_figures_and_a_download(report_database: str, report_settings: Settings,
                                      tmp_path: Path) -> None:
    service = ReportService(report_settings, report_database)
    try:
        request = build_request(report_settings, sites="hcc", first="02/11/2026",
                                last="03/11/2026", breakdown="officer")
        # The loop keeps turning while the report runs.
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        ticking = asyncio.get_running_loop().create_task(tick())
        report = await service.report(request)
        ticking.cancel()
        assert ticks > 1
        assert [row.label for row in report.rows][:2] == ["Nguyễn Văn An", "Trần Thị Bình"]
        started = time.monotonic()
        path = await service.export(request, "xlsx", tmp_path)
        assert time.monotonic() - started < 120
        assert path.parent == tmp_path and path.suffix == ".xlsx"
        assert "Theo cán bộ" in load_workbook(path).sheetnames
        with pytest.raises(ReportError) as refused:
            await service.export(request, "pdf", tmp_path)
        assert refused.value.field == "format"
        assert [item.name for item in tmp_path.iterdir() if item != path and
                item.suffix != ""] == []
    finally:
        service.close()


async def test_a_refusal_in_the_child_process_comes_back_whole(
        report_settings: Settings, tmp_path: Path) -> None:
    service = ReportService(report_settings, f"sqlite:///{tmp_path / 'missing.sqlite3'}")
    try:
        request = build_request(report_settings, sites="hcc", first="02/11/2026",
                                last="03/11/2026", breakdown="service")
        with pytest.raises(ReportError) as refused:
            await service.export(request, "csv", tmp_path)
        assert (refused.value.field, refused.value.message_vi) == (
            "db", f"không có tệp cơ sở dữ liệu {str(tmp_path / 'missing.sqlite3')!r}")
        assert list(tmp_path.iterdir()) == []  # neither the database nor a file
    finally:
        service.close()
