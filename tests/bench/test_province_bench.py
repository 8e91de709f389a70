"""The province benchmark (bench/province_bench.py): its ``--quick`` mode on SQLite with two
small sites for a few seconds gives sane figures, and its database check finds a lost ticket,
a duplicated number and gaps when there are some."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]


def bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("province_bench",
                                                  ROOT / "bench" / "province_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered first: its dataclasses look their module up by name.
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


def test_a_quick_run_on_sqlite_loses_nothing_and_measures(tmp_path: Path) -> None:
    output = tmp_path / "figures.json"
    finished = subprocess.run(
        [sys.executable, "bench/province_bench.py", "--quick", "--sites", "2", "--counters",
         "3", "--seconds", "2", "--rate", "30000", "--service-seconds", "0.2", "--workers", "1",
         "--json", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=90, check=False)
    assert finished.returncode == 0, finished.stderr[-3000:]
    figures: dict[str, Any] = json.loads(output.read_text("utf-8"))
    assert figures["database"] == "sqlite"
    # Two sites at 30,000 an hour for 2 s: about 33 presses, all answered and all stored.
    assert 10 <= figures["tickets_acknowledged"] == figures["tickets_stored"]
    assert figures["issue"]["count"] == figures["tickets_acknowledged"]
    assert 0 < figures["issue"]["median_ms"] <= figures["issue"]["p99_ms"]
    assert (figures["lost"], figures["duplicated"], figures["number_gaps"],
            figures["seq_gaps"], figures["unanswered_presses"]) == (0, 0, 0, 0, 0)
    # Every call reached its zone's display, and was timed.
    assert figures["calls"] > 0 and figures["calls_not_shown"] == 0
    assert figures["call_to_display"]["count"] == figures["calls"]
    assert figures["failures"] == 0 and "kill" not in figures
    (server,) = figures["servers"]
    assert server["cpu_seconds"] > 0 and server["peak_rss_mb"] > 20
    assert "lost 0, duplicated 0" in finished.stdout


def test_the_database_check_finds_what_went_wrong(tmp_path: Path) -> None:
    bench = bench_module()
    url = f"sqlite:///{tmp_path / 'check.sqlite3'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE tickets (site TEXT, business_date TEXT, "
                                "number TEXT, request_key TEXT, number_group TEXT, "
                                "sequence INTEGER)"))
        connection.execute(text("CREATE TABLE events (site TEXT, seq INTEGER)"))
        connection.execute(text("CREATE TABLE sites (code TEXT, seq INTEGER)"))
        rows = [("p001", "k1", "A001", 1), ("p001", "k2", "A002", 2),
                ("p002", "k1", "A001", 1), ("p002", "k2", "A001", 1)]
        for site, key, number, sequence in rows:
            connection.execute(text("INSERT INTO tickets VALUES (:site, '2026-12-02', "
                                    ":number, :key, 'SA', :sequence)"),
                               {"site": site, "number": number, "key": key,
                                "sequence": sequence})
        for site, seq in (("p001", 1), ("p001", 2), ("p002", 1), ("p002", 3)):
            connection.execute(text("INSERT INTO events VALUES (:site, :seq)"),
                               {"site": site, "seq": seq})
        connection.execute(text("INSERT INTO sites VALUES ('p001', 2), ('p002', 3)"))
    engine.dispose()

    good = bench.check_database(url, {"p001": {"k1": "A001", "k2": "A002"}})
    assert (good.lost, good.duplicated, good.tickets, good.acknowledged) == (0, 1, 4, 2)
    # p002: A001 stored twice (sequence 1 twice: a number gap too), and seq 2 missing.
    assert (good.number_gaps, good.seq_gaps) == (1, 1)
    told = {"p001": {"k1": "A001", "k2": "A003", "k3": "A004"}, "p002": {"k1": "A001"}}
    bad = bench.check_database(url, told)
    assert bad.lost == 2  # k2 stored with another number, k3 not at all
    assert bad.acknowledged == 4

