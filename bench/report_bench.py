"""Report benchmark: how long the by-service, by-officer and by-hour reports take, and how
much memory, for 100,000, 1,000,000 and 4,000,000 tickets; and what a report running beside
the queue does to the issue latency.

    python bench/report_bench.py                      # every size, SQLite (and PostgreSQL)
    python bench/report_bench.py --sizes 100000       # one size
    python bench/report_bench.py --data /var/tmp/qms-bench   # keep the databases for next time
    QMS_TEST_POSTGRES_URL=postgresql://user:pw@host/postgres python bench/report_bench.py
    python bench/report_bench.py --sizes 1000000 --part reports --parts 1,2 --rounds 3
        # one reading against two parts side by side, alternating, three rounds, medians

The tickets are the demo history's (``server/demo_history.py``, its bulk insert): a
provincial centre and wards (15 wards for 100,000 tickets over a month, 150 for 1,000,000
over a month and 4,000,000 over four months), about 80 % served, ratings, case codes,
transfers. Each report runs in a child process of its own (``qms report``'s code: its own
read-only engine, the figures, total and chart series of every site together, as the
province would ask), which prints its wall-clock seconds, CPU seconds and peak resident
memory (``ru_maxrss``). A large report of several sites is read in two parts side by side
(server/reports/partition.py), in two threads of that one process: its CPU seconds are both
threads', its peak memory the process's (both parts' connections); ``--parts 1`` reads it in
one, as before the parts. The 1-minute load average is printed beside each report: on a
shared machine a wall-clock figure means nothing without it.

Then ``bench/server_bench.py``'s issue phase (50 kiosk connections, a steady 1,000 tickets a
second, latency from each press's scheduled time to its reply) runs twice on a server whose
SQLite database also holds the 1,000,000 tickets: alone, and with by-service reports running
one after another in their own process on the same database the whole time. Target: issue
p99 under 20 ms either way.

On a shared machine every figure moves with the neighbours' load: the CPU seconds move less.

On SQLite the reports keep their copy of closed days beside the database
(``report-<size>.sqlite3.reports-cache``, server/reports/day_cache.py): the first report
after it is deleted copies them, the next ones read it. Delete it to measure a cold report.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server.config import Settings, load_settings
from server.demo_history import history_batches, history_days, write_history
from server.reports import split_plan
from server.reports.priority import lower_process_priority
from server.reports.request import build_request
from server.reports.run import run_reports, scope_of
from server.reports.source import open_report_engine
from server.store.database import migrate, open_engines

SIZES = (100_000, 1_000_000, 4_000_000)
BREAKDOWNS = ("service", "officer", "hour")
# The last day of the generated history (a fixed day: the same tickets every run).
LAST_DAY = date(2026, 12, 1)
POSTGRES_VARIABLE = "QMS_TEST_POSTGRES_URL"


def plan(size: int) -> tuple[int, int, float]:
    """(wards, calendar days, volume scale) for about ``size`` tickets."""
    wards, days = (15, 30) if size <= 100_000 else (150, 30) if size <= 1_000_000 else (150, 120)
    weekdays = len(history_days(LAST_DAY, days))
    # A provincial centre takes about 485 tickets a weekday, a ward about 101.
    return wards, days, size / (weekdays * (485 + 101 * wards))


def province(wards: int) -> Settings:
    """The demo's provincial centre and ``wards`` copies of its ward."""
    demo = load_settings(None)
    centre, ward = demo.sites
    copies = [dataclasses.replace(ward, code=f"phuong-{index:03d}", name_vi=f"Phường {index}",
                                  tokens=()) for index in range(1, wards + 1)]
    return dataclasses.replace(demo, sites=(centre, *copies))


def fill(url: str, size: int) -> int:
    """Write about ``size`` tickets into the empty database at ``url``; returns how many."""
    wards, days, scale = plan(size)
    engines = open_engines(url)
    try:
        migrate(engines)
        summary = write_history(engines, history_batches(
            province(wards).sites, history_days(LAST_DAY, days), volume_scale=scale))
    finally:
        engines.dispose()
    return summary.ticket_count


def count_tickets(url: str) -> int:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM tickets")).scalar_one())
    except Exception:  # noqa: BLE001 - no database or no table yet: nothing there
        return 0
    finally:
        engine.dispose()


def child(url: str, size: int, breakdown: str, parts: str = "auto") -> None:
    """Run one report (the figures, total and charts of every site) and print what it took:
    CPU seconds of the process (every thread: a report in two parts reads them in two
    threads of this one process), its peak memory, and how many parts it was read in."""
    wards, days, _scale = plan(size)
    settings = province(wards)
    first = history_days(LAST_DAY, days)[0]
    started, cpu = time.perf_counter(), time.process_time()
    engine = open_report_engine(url)
    request = build_request(settings, sites="all", first=first, last=LAST_DAY,
                            breakdown=breakdown)
    wanted = None if parts == "auto" else int(parts)
    report = run_reports(engine, settings, request, (request.breakdown,),
                         parts=wanted)[request.breakdown]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    # Asked again only to print it, after the clock stopped.
    site_parts = split_plan.plan(engine, scope_of(settings, request, engine.dialect.name),
                                 wanted)
    engine.dispose()
    print(json.dumps({"seconds": seconds, "cpu": cpu,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "rows": len(report.rows), "tickets": report.total.issued,
                      "parts": 1 if site_parts is None else len(site_parts)}))


def run_child(url: str, size: int, breakdown: str, parts: str = "auto") -> dict[str, Any]:
    finished = subprocess.run(
        [sys.executable, __file__, "--child", url, "--size", str(size), "--by", breakdown,
         "--parts", parts], capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


def database_urls(directory: Path, size: int) -> list[tuple[str, str]]:
    urls = [("SQLite", f"sqlite:///{directory / f'report-{size}.sqlite3'}")]
    admin = os.environ.get(POSTGRES_VARIABLE)
    if admin:
        urls.append(("PostgreSQL", make_url(admin).set(
            drivername="postgresql+psycopg", database=f"qms_report_bench_{size}")
            .render_as_string(hide_password=False)))
    return urls


def ensure_postgres_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                    {"name": parsed.database}).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def reports_part(directory: Path, sizes: list[int], parts: list[str] | None = None,
                 rounds: int = 1) -> None:
    """Each size's reports, ``rounds`` times, each round every ``parts`` setting in turn
    (``1``: one reading; ``auto``: in two parts when the report is large and a core is
    free; ``2``: in two parts); the
    1-minute load average beside each, then the medians."""
    parts = parts or ["auto"]
    print("(a) reports of every site over the whole range, each in its own process")
    for size in sizes:
        for name, url in database_urls(directory, size):
            if name == "PostgreSQL":
                ensure_postgres_database(url)
            tickets = count_tickets(url)
            if tickets == 0:
                started = time.perf_counter()
                tickets = fill(url, size)
                print(f"  {name}: generated {tickets:,} tickets in "
                      f"{time.perf_counter() - started:.0f} s")
            found: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for _round in range(rounds):
                for breakdown in BREAKDOWNS:
                    for setting in parts:
                        load = os.getloadavg()[0]
                        result = run_child(url, size, breakdown, setting)
                        found.setdefault((breakdown, setting), []).append(result)
                        print(f"  {name:10} {tickets:>9,} tickets  by {breakdown:8} "
                              f"parts {setting:4} ({result['parts']}) "
                              f"{result['seconds']:6.2f} s (CPU {result['cpu']:5.2f} s)  "
                              f"peak {result['rss_mb']:5.0f} MB  {result['rows']:>5} rows  "
                              f"load {load:.2f}", flush=True)
            if rounds > 1:
                for (breakdown, setting), results in found.items():
                    print(f"  median of {rounds}: by {breakdown:8} parts {setting:4} "
                          f"{statistics.median(r['seconds'] for r in results):6.2f} s "
                          f"(CPU {statistics.median(r['cpu'] for r in results):5.2f} s)  "
                          f"peak {max(r['rss_mb'] for r in results):5.0f} MB", flush=True)


async def during_issue_part(directory: Path, seconds: float, checkout: Path | None) -> None:
    """The issue phase alone, then with reports running beside it, on one database that also
    holds a month of a province."""
    sys.path.insert(0, str(Path(__file__).parent))
    from server_bench import free_port, issue_phase, percentile
    from server_bench import start_server as start_bench_server

    size = 1_000_000
    source = directory / f"report-{size}.sqlite3"
    if count_tickets(f"sqlite:///{source}") == 0:
        fill(f"sqlite:///{source}", size)
    print(f"(b) issue at 1,000 tickets/s for {seconds:.0f} s, on a database holding "
          f"{count_tickets(f'sqlite:///{source}'):,} tickets")
    kiosks = 50
    per_kiosk = int(seconds * 1000 / kiosks)
    for label, with_report in (("alone", False), ("beside reports", True)):
        with tempfile.TemporaryDirectory(dir=directory) as scratch:
            work = Path(scratch)
            shutil.copyfile(source, work / "bench.sqlite3")
            # The copy's half a gigabyte must reach the disk before the server's commits
            # (synchronous=FULL) start waiting for their fsyncs behind it.
            os.sync()
            port = free_port()
            server = start_bench_server(work, port, checkout=checkout)
            reporter: subprocess.Popen[str] | None = None
            try:
                url = f"ws://127.0.0.1:{port}/ws"
                if with_report:
                    reporter = subprocess.Popen(
                        [sys.executable, __file__, "--report-loop",
                         f"sqlite:///{work / 'bench.sqlite3'}", "--size", str(size)],
                        stdout=subprocess.PIPE, text=True)
                rate, latencies = await issue_phase(url, kiosks, per_kiosk, subscribed=False,
                                                    tag=label.replace(" ", "-"),
                                                    offered_rate=1000.0)
            finally:
                reports = 0
                if reporter is not None:
                    reporter.terminate()
                    output, _ = reporter.communicate(timeout=60)
                    reports = output.count("report")
                server.terminate()
                server.wait(timeout=30)
            ordered = sorted(latencies)
            extra = f", {reports} reports finished meanwhile" if with_report else ""
            print(f"  {label:15} median {ordered[len(ordered) // 2] * 1000:.1f} ms, "
                  f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, "
                  f"max {ordered[-1] * 1000:.1f} ms, {rate:.0f} tickets/s{extra}", flush=True)


def report_loop(url: str, size: int) -> None:
    """By-service reports one after another until terminated (beside the issue phase), at
    the priority every report runs at."""
    lower_process_priority()
    while True:
        child(url, size, "service")
        print("report", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES),
                        help="ticket counts, comma-separated")
    parser.add_argument("--data", type=Path, help="keep the generated databases here and "
                                                  "reuse them next time")
    parser.add_argument("--part", choices=("all", "reports", "issue"), default="all")
    parser.add_argument("--issue-seconds", type=float, default=30.0)
    parser.add_argument("--checkout", type=Path,
                        help="run the server of another checkout (a clean export of a commit)")
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--report-loop", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--by", default="service", help=argparse.SUPPRESS)
    parser.add_argument("--parts", default="auto",
                        help="comma-separated: 1 (one reading), 2 (two parts), auto "
                             "(two parts when large and a core is free); several "
                             "alternate within each round")
    parser.add_argument("--rounds", type=int, default=1)
    options = parser.parse_args()
    if options.child:
        child(options.child, options.size, options.by, options.parts)
        return
    if options.report_loop:
        report_loop(options.report_loop, options.size)
        return
    sizes = [int(size) for size in options.sizes.split(",")]
    postgres = "yes" if os.environ.get(POSTGRES_VARIABLE) else f"no ({POSTGRES_VARIABLE} unset)"
    postgres = "yes" if os.environ.get(POSTGRES_VARIABLE) else f"no ({POSTGRES_VARIABLE} unset)"
    print(f"{os.cpu_count()} cores, python {sys.version.split()[0]}, SQLite WAL; "
          f"PostgreSQL: {postgres}")
    with tempfile.TemporaryDirectory() as scratch:
        directory = options.data or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        if options.part in ("all", "reports"):
            reports_part(directory, sizes, options.parts.split(","), options.rounds)
        if options.part in ("all", "issue"):
            asyncio.run(during_issue_part(directory, options.issue_seconds, options.checkout))


if __name__ == "__main__":
    main()
