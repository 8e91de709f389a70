"""Booking benchmark: 1,000 bookings a minute from phones beside the issue benchmark's 1,000
tickets a second from kiosks, server in its own process.

    python bench/booking_bench.py             # phases of 30, 60, 60 and 60 s (4 minutes)
    python bench/booking_bench.py --quick     # phases of 7.5, 15, 15 and 15 s

The server is server_bench's provincial site (70 counters, 20 services; numbers of four
digits here, so a minute at 1,000/s does not run out) taking bookings: slots of 30 minutes,
5 places each, today and the next 6 days; a "number now" is a ticket at once
(``from_booking``).

0. **Bookings alone**: the server's CPU time per booking (latencies move with the machine's
   neighbours; CPU seconds hardly do), and so the share of a core 1,000 a minute take.
1. **Issue alone**: 50 kiosk connections issue at a steady 1,000 tickets/s (open loop,
   latency from each press's scheduled time to its reply, as in server_bench).
2. **Issue with bookings**: the same, while citizens post the booking form
   (``POST /dat-lich/{site}/{service}`` with a CCCD number, a new person each time) at a
   steady 1,000 a minute (open loop too): 4 in 5 a slot of the next days, 1 in 5 a number
   now (a real ticket through the rules, on top of the kiosks' 1,000/s).
3. **Issue alone again**: as 1, on the day's now larger queue (what changes from 1 to 3
   is not the bookings' doing).

Printed: each phase's issue median and p99, the bookings' median and p99 (scheduled time to
the server's 303), how many were booked and refused (a slot full: never, with the places
given), the server's CPU, and whether the issue p99 stays under its target of 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from server_bench import (
    SITE,
    bench_config,
    cpu_seconds,
    free_port,
    issue_phase,
    percentile,
    start_server,
)

ISSUE_RATE = 1000.0  # tickets a second
BOOKING_RATE = 1000.0 / 60  # bookings a second
KIOSKS = 50
ISSUE_TARGET_MS = 20.0
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def booking_config(directory: Path) -> Path:
    """server_bench's site with four-digit numbers, taking bookings."""
    path = bench_config(directory)
    text = path.read_text("utf-8").replace('###"', '####"')
    text += "\n".join([
        "", "[sites.booking]", "enabled = true", "days_ahead = 6", "slot_minutes = 30",
        "capacity = 5", 'policy = "from_booking"', "per_address_per_hour = 10000",
        "per_person_per_day = 2", "per_person_per_field_per_day = 2", "open_per_person = 3",
        ""])
    path.write_text(text, "utf-8")
    return path


def slot_starts(count: int) -> list[str]:
    """``count`` slot starts from tomorrow on, each slot used at most 5 times across the 20
    services (a booking's service is chosen by its index)."""
    tomorrow = datetime.now(ZONE).date() + timedelta(days=1)
    starts = []
    for index in range(count):
        slot = index // 20 // 5  # 20 services, 5 places each
        day, half_hour = divmod(slot, 48)
        start = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=ZONE) + \
            timedelta(days=day % 6, minutes=30 * half_hour)
        starts.append(start.isoformat())
    return starts


async def bookings(http_url: str, services: list[str], duration: float,
                   tag: int) -> tuple[list[float], dict[int, int]]:
    """Post the booking form at :data:`BOOKING_RATE` for ``duration`` seconds; latencies
    (scheduled time to the answer) and the count of each status. Each ``tag`` books
    slots of its own (the places of the ones before are left alone)."""
    total = int(BOOKING_RATE * duration)
    starts = slot_starts(total + 2000 * tag)[2000 * tag:]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    async with httpx.AsyncClient(base_url=http_url, timeout=30,
                                 limits=httpx.Limits(max_connections=50)) as client:
        began = time.perf_counter()

        async def one(index: int) -> None:
            scheduled = began + index / BOOKING_RATE
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            service = services[index % len(services)]
            when = "now" if index % 5 == 4 else starts[index]
            answer = await client.post(f"/dat-lich/{SITE}/{service}", data={
                "when": when, "by": "cccd", "cccd": f"0790{tag}{index:07d}", "lang": "vi"})
            latencies.append(time.perf_counter() - scheduled)
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        await asyncio.gather(*(one(index) for index in range(total)))
    return latencies, statuses


def line(label: str, values: list[float]) -> str:
    return (f"  {label}: median {statistics.median(values) * 1000:.2f} ms, p99 "
            f"{percentile(values, 0.99) * 1000:.2f} ms, max {max(values) * 1000:.2f} ms "
            f"({len(values)} samples)")


async def phase(url: str, http_url: str, pid: int, services: list[str], duration: float,
                with_bookings: bool, tag: str) -> float:
    """One phase; returns the issue p99 in ms."""
    per_kiosk = int(ISSUE_RATE * duration / KIOSKS)
    used = cpu_seconds(pid)
    measuring = time.process_time()
    started = time.perf_counter()
    issuing = issue_phase(url, KIOSKS, per_kiosk, False, tag, offered_rate=ISSUE_RATE)
    if with_bookings:
        (rate, issued), (booked, statuses) = await asyncio.gather(
            issuing, bookings(http_url, services, duration, 1 if tag == "with" else 2))
    else:
        rate, issued = await issuing
        booked, statuses = [], {}
    elapsed = time.perf_counter() - started
    used = cpu_seconds(pid) - used
    measuring = time.process_time() - measuring
    title = {"alone": "1. issue alone", "with": "2. issue with bookings",
             "again": "3. issue alone again"}[tag]
    print(f"{title}: "
          f"{KIOSKS * per_kiosk} tickets offered at {ISSUE_RATE:.0f}/s, achieved {rate:.0f}/s"
          + (f"; {len(booked)} bookings offered at {BOOKING_RATE * 60:.0f}/min" if booked
             else ""))
    print(line("issue scheduled-press-to-reply", issued))
    if booked:
        print(line("booking scheduled-post-to-answer", booked))
        answers = ", ".join(f"{count} x {status}" for status, count in sorted(statuses.items()))
        print(f"  answers: {answers} (303: booked; 409: refused)")
    print(f"  server CPU {used / elapsed * 100:.0f} % of one core over {elapsed:.1f} s; the "
          f"measuring process {measuring / elapsed * 100:.0f} %")
    return percentile(issued, 0.99) * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="phases of 15 s instead of 60 s")
    options = parser.parse_args()
    duration = 15.0 if options.quick else 60.0
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        port = free_port()
        server = start_server(folder, port, booking_config(folder))
        url, http_url = f"ws://127.0.0.1:{port}/ws", f"http://127.0.0.1:{port}"
        try:
            print(f"server pid {server.pid}, {os.cpu_count()} cores, SQLite WAL "
                  f"synchronous=FULL, python {sys.version.split()[0]}, "
                  f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average "
                  f"{' '.join(_load()[:3])}")
            services = [f"S{letter}" for letter in "ABCDEGHKLMNPQRSTUVXY"]
            # Warm-up, not measured: the first seconds of a server (its caches, its first
            # statements of each kind, a booking's first page) are not its steady state.
            await issue_phase(url, KIOSKS, 40, False, "warm", offered_rate=ISSUE_RATE)
            await bookings(http_url, services, 3.0, 3)
            # What a booking costs the server, whatever else the machine is doing: its CPU
            # time (the latencies below move with the neighbours; CPU seconds hardly do).
            used = cpu_seconds(server.pid)
            booked, _ = await bookings(http_url, services, duration / 2, 4)
            per_booking = (cpu_seconds(server.pid) - used) / len(booked)
            print(f"0. bookings alone: {len(booked)} at {BOOKING_RATE * 60:.0f}/min, server "
                  f"CPU {per_booking * 1000:.1f} ms per booking, so 1,000 a minute take "
                  f"{per_booking * BOOKING_RATE * 100:.1f} % of one core")
            print(line("booking scheduled-post-to-answer", booked))
            alone = await phase(url, http_url, server.pid, services, duration, False,
                                "alone")
            together = await phase(url, http_url, server.pid, services, duration, True,
                                   "with")
            # Alone again: a p99 that grows from 1 to 3 as well grows with the day's tickets
            # or the machine, not with the bookings.
            again = await phase(url, http_url, server.pid, services, duration, False,
                                "again")
            verdict = "stays under" if together < ISSUE_TARGET_MS else "goes OVER"
            print(f"load average after: {' '.join(_load()[:3])} (other work on the machine "
                  "shows here: the figures are only as steady as it is)")
            print(f"issue p99 {alone:.1f} ms alone, {together:.1f} ms with 1,000 bookings a "
                  f"minute, {again:.1f} ms alone again: with bookings it {verdict} its "
                  f"target of {ISSUE_TARGET_MS:.0f} ms")
        finally:
            server.terminate()
            server.wait(timeout=30)


def _load() -> list[str]:
    with open("/proc/loadavg", encoding="ascii") as load:
        return load.read().split()


if __name__ == "__main__":
    asyncio.run(main())
