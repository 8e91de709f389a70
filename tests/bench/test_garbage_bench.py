"""The garbage benchmark (bench/garbage_bench.py) runs, and a served ticket leaves next to no
garbage for the collector's whole collection (a reference cycle per command, as the forecasts
once made, would leave dozens per ticket)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_short_run_leaves_next_to_no_frozen_garbage() -> None:
    finished = subprocess.run(
        [sys.executable, "bench/garbage_bench.py", "--rounds", "5"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert finished.returncode == 0, finished.stderr[-3000:]
    found = re.search(r"freed ([\d,]+) objects \(([\d.]+) per connection, ([\d.]+) per ticket\)",
                      finished.stdout)
    assert found is not None, finished.stdout
    assert float(found.group(3)) < 5.0, finished.stdout


def test_rounds_must_be_at_least_one() -> None:
    finished = subprocess.run([sys.executable, "bench/garbage_bench.py", "--rounds", "0"],
                              cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert finished.returncode == 2 and "--rounds must be at least 1" in finished.stderr
