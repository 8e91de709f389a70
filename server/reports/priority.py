"""Reports yield the processor to the live queue.

On a two-core machine a report's minutes of sorting compete with the server for the same
cores; at the default priority, issue latency at 1,000 tickets a second went from tens of
milliseconds to two seconds while a report ran (bench/report_bench.py). Reports therefore
run ``REPORT_NICENESS`` steps nicer: the scheduler gives the server the processor whenever
it wants it, and the report what is left.
"""

from __future__ import annotations

import contextlib
import os

REPORT_NICENESS = 10


def lower_process_priority() -> None:
    """Make this whole process nicer (``qms report``, a download's child process)."""
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(REPORT_NICENESS)

