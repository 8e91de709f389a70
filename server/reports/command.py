"""``qms report``: a report from the database, without a browser.

    qms report --from 01/11/2026 --to 30/11/2026 --site hcc-tinh --by service \\
               --format xlsx --out report.xlsx [--config centre.toml] [--db URL]

It reads with its own read-only connection, so it may run while ``qms server`` runs on the
same database, at a lower priority (``server.reports.priority``) so that the queue keeps the
processor. ``--config`` and ``--db`` mean what they mean for ``qms server``; without
``--config`` the demo configuration is used (what ``qms demo`` runs), without ``--db`` the
SQLite file in the data directory.

Exit status: 0 with the file written; 2 for anything wrong with the input (a range ending
before it starts or longer than a year, an unknown site, a missing database, a directory
that is not there), with one line saying which option and why, and no file written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from server.config import ConfigError, Settings, load_settings
from server.reports.csv_file import write_cases_csv, write_csv
from server.reports.errors import ReportError
from server.reports.priority import lower_process_priority
from server.reports.request import ALL_SITES, Breakdown, ReportRequest, build_request
from server.reports.run import iter_cases, run_report
from server.reports.source import open_report_engine
from server.reports.texts import count_text, range_text
from server.reports.workbook import export_xlsx

FORMATS = ("xlsx", "csv", "cases-csv")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qms report",
        description="Báo cáo / report: tickets served, waiting and service times, on-time "
                    "service and the QĐ 766 satisfaction rate, as XLSX or CSV.")
    parser.add_argument("--from", dest="first", required=True, metavar="DAY",
                        help="first local day: dd/mm/yyyy or yyyy-mm-dd")
    parser.add_argument("--to", dest="last", required=True, metavar="DAY",
                        help="last local day (included); at most a year after --from")
    parser.add_argument("--site", action="append", metavar="CODE",
                        help=f"a site code; repeat for several, or '{ALL_SITES}' "
                             "(the default)")
    parser.add_argument("--by", default=Breakdown.SERVICE.value,
                        choices=[item.value for item in Breakdown],
                        help="what the rows are (default: service)")
    parser.add_argument("--format", choices=FORMATS,
                        help="xlsx: the workbook with every sheet and chart; csv: the rows "
                             "of --by; cases-csv: one row per ticket (default: from --out's "
                             "extension, else xlsx)")
    parser.add_argument("--out", required=True, type=Path, help="the file to write")
    parser.add_argument("--config", type=Path,
                        help="the centre's TOML file (default: the demo configuration)")
    parser.add_argument("--db", help="database URL (default: SQLite in the data directory)")
    parser.add_argument("--data-dir", type=Path, help="data directory (default: from the "
                                                      "config)")
    return parser


def main(argv: Sequence[str] | None = None, yield_processor: bool = True) -> int:
    """``qms report``; returns the exit status. ``yield_processor``: run this process at
    the reports' lower priority (the command does; a test calling it in-process does not)."""
    arguments = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if yield_processor:
        lower_process_priority()
    try:
        settings = _settings(arguments.config, arguments.data_dir)
    except ConfigError as error:
        print(f"qms report: configuration error: {error}", file=sys.stderr)
        return 2
    try:
        request = build_request(settings, sites=arguments.site or ALL_SITES,
                                first=arguments.first, last=arguments.last,
                                breakdown=arguments.by)
        written = write_report(settings, request, arguments.db, arguments.out,
                               arguments.format or _format_of(arguments.out))
    except ReportError as error:
        option = f"--{error.field.replace('_', '-')}: " if error.field else ""
        print(f"qms report: {option}{error.message}", file=sys.stderr)
        return 2
    print(f"qms report: wrote {arguments.out} ({request.breakdown.value}, "
          f"{range_text(request.first, request.last)}, {', '.join(request.sites)}; "
          f"{written})")
    return 0


def write_report(settings: Settings, request: ReportRequest, database_url: str | None,
                 target: Path, file_format: str) -> str:
    """Run ``request`` on ``database_url`` (default: the settings' database) and write it to
    ``target`` in ``file_format``; returns what was written, in words. Raises
    :class:`ReportError`."""
    if file_format not in FORMATS:
        raise ReportError("format", f"{file_format!r} is not a format (one of "
                                    f"{', '.join(FORMATS)})")
    engine = open_report_engine(database_url or settings.server.resolved_database_url())
    try:
        if file_format == "xlsx":
            tickets = export_xlsx(engine, settings, request, target)
            return f"{count_text(tickets)} tickets"
        if file_format == "cases-csv":
            tickets = write_cases_csv(iter_cases(engine, settings, request), target)
            return f"{count_text(tickets)} tickets"
        report = run_report(engine, settings, request)
        write_csv(report, target)
        return f"{len(report.rows)} rows, {count_text(report.total.issued)} tickets"
    finally:
        engine.dispose()


def _settings(config: Path | None, data_dir: Path | None) -> Settings:
    settings = load_settings(config)
    if data_dir is not None:
        settings = replace(settings, server=replace(settings.server, data_dir=data_dir))
    return settings


def _format_of(target: Path) -> str:
    suffix = target.suffix.lower().lstrip(".")
    return suffix if suffix in ("xlsx", "csv") else "xlsx"


if __name__ == "__main__":
    raise SystemExit(main())
