"""Server benchmark: issue throughput and call-to-display latency, server in its own process.

    python bench/server_bench.py                 # full run (about a minute)
    python bench/server_bench.py --quick         # smaller, for a smoke check

(a) 50 kiosk connections issue tickets. First at a fixed 1,000 tickets/s (open loop: latency
    from each press's scheduled time to its reply, which comes only after the commit); then
    as fast as the server answers (closed loop: the most it can do), with the kiosks not
    subscribed to events, and subscribed to every event (each ticket then fans out to all 50).
(b) 500 display connections (lightweight clients in two processes, so the measuring side
    is not the bottleneck); a counter calls tickets one at a time; prints median/p99 of the
    time from sending ``call_next`` to each display receiving its ``ticket.called`` frame.
    Each call also finishes the counter's previous ticket. Run twice: displays subscribed as
    the lobby display is (LOBBY_DISPLAY_EVENTS), and subscribed to every event.
Targets (2-core machine): >= 1,000 tickets/s with p99 < 20 ms; call-to-display p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from websockets.asyncio.client import connect

from server.protocol.client import ProtocolClient
from server.protocol.messages import LOBBY_DISPLAY_EVENTS

SITE = "bench"
KIOSK_TOKEN = "bench-kiosk-token-0001"
DISPLAY_TOKEN = "bench-display-token-0001"
ADMIN_TOKEN = "bench-admin-token-0001"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def bench_config(directory: Path) -> Path:
    """A provincial-size site: 70 counters in 2 zones, 20 letter-prefixed services (so no
    number range runs out under load), the per-connection rate limit lifted."""
    letters = "ABCDEGHKLMNPQRSTUVXY"
    lines = [
        "[server]", 'host = "127.0.0.1"', "port = 8765", 'public_url = "http://127.0.0.1:8765"',
        'secret = "bench-secret-0123456789abcdef"', f'admin_tokens = ["{ADMIN_TOKEN}"]',
        "rate_per_second = 100000.0", "rate_burst = 100000", "outgoing_queue_limit = 100000",
        "", "[[sites]]", f'code = "{SITE}"', 'name_vi = "Trung tâm Phục vụ hành chính công"',
        "", "[[sites.fields]]", 'code = "F"', 'name_vi = "Lĩnh vực"',
        "", "[[sites.zones]]", 'code = "T1"', 'name_vi = "Tầng 1"',
        "", "[[sites.zones]]", 'code = "T2"', 'name_vi = "Tầng 2"',
    ]
    for letter in letters:
        lines += ["", "[[sites.services]]", f'code = "S{letter}"',
                  f'name_vi = "Thủ tục {letter}"', 'field = "F"', f'numbers = "{letter}###"']
    for number in range(1, 71):
        served = [f"S{letters[(number + offset) % len(letters)]}" for offset in range(3)]
        lines += ["", "[[sites.counters]]", f'code = "{number}"', f'name = "Quầy {number}"',
                  f'zone = "{"T1" if number <= 35 else "T2"}"', f"services = {served!r}"]
    for role, token in (("kiosk", KIOSK_TOKEN), ("display", DISPLAY_TOKEN)):
        lines += ["", "[[sites.tokens]]", f'name = "{role}"', f'role = "{role}"',
                  f'token = "{token}"']
    path = directory / "bench.toml"
    path.write_text("\n".join(lines).replace("'", '"') + "\n", "utf-8")
    return path


def start_server(directory: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "server", "--config", str(bench_config(directory)),
         "--db", f"sqlite:///{directory / 'bench.sqlite3'}", "--port", str(port),
         "--data-dir", str(directory), "--log-level", "WARNING"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            if process.poll() is not None:
                message = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"server exited: {message}") from None
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def resident_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def issue_phase(url: str, kiosks: int, per_kiosk: int, subscribed: bool, tag: str,
                      offered_rate: float | None = None) -> tuple[float, list[float]]:
    """Issue ``kiosks * per_kiosk`` tickets; returns (tickets per second, latencies).

    ``offered_rate=None``: closed loop, each kiosk presses again as soon as it has its reply
    (measures the most the server can do). With a rate: open loop, presses are scheduled at
    that total rate and latency runs from the *scheduled* time, so a slow reply also counts
    against the presses queued behind it.
    """
    clients = [ProtocolClient(url, "kiosk", KIOSK_TOKEN, SITE,
                              subscribe=None if subscribed else []) for _ in range(kiosks)]
    await asyncio.gather(*(client.connect() for client in clients))
    services = [service["code"] for service in clients[0].hello_result["state"]["services"]]
    latencies: list[float] = []
    loop = asyncio.get_running_loop()

    async def run(index: int, client: ProtocolClient, begin: float) -> None:
        for press in range(per_kiosk):
            if offered_rate is None:
                scheduled = time.perf_counter()
            else:
                interval = kiosks / offered_rate
                scheduled = begin + (index / kiosks + press) * interval
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            await client.request("issue", service=services[(index + press) % len(services)],
                                 request_key=f"{tag}-{index}-{press}")
            latencies.append(time.perf_counter() - scheduled)
            if subscribed:
                while not client.events.empty():  # keep the client's queue from growing
                    client.events.get_nowait()

    # Warm-up: one press per kiosk, not measured.
    await asyncio.gather(*(client.request("issue", service=services[0],
                                          request_key=f"{tag}-warm-{index}")
                           for index, client in enumerate(clients)))
    del loop
    started = time.perf_counter()
    await asyncio.gather(*(run(index, client, started) for index, client in enumerate(clients)))
    elapsed = time.perf_counter() - started
    await asyncio.gather(*(client.close() for client in clients))
    return kiosks * per_kiosk / elapsed, latencies


def display_worker(url: str, count: int, ready: multiprocessing.Queue,  # type: ignore[type-arg]
                   results: multiprocessing.Queue, calls: int,  # type: ignore[type-arg]
                   subscribe: list[str] | None) -> None:
    """Hold ``count`` display connections; report (number, monotonic receipt time) pairs.

    The connections are raw WebSocket clients that note the arrival time of each frame and
    parse only ``ticket.called`` ones: on a 2-core machine, fully decoding every frame for
    500 displays would time the measuring processes rather than the server.
    """

    async def hold(received: list[tuple[str, float]]) -> None:
        async with connect(url, max_size=2**22, compression=None) as connection:
            hello: dict[str, object] = {"type": "hello", "id": 1, "protocol": 1,
                                        "role": "display", "token": DISPLAY_TOKEN, "site": SITE}
            if subscribe is not None:
                hello["subscribe"] = subscribe
            await connection.send(json.dumps(hello))
            await connection.recv()  # the hello reply
            ready_connections.append(connection)
            if len(ready_connections) == count:
                ready.put(count)
            seen = 0
            while seen < calls:
                frame = await connection.recv()
                arrived = time.monotonic()
                if '"event":"ticket.called"' in frame[:60]:
                    seen += 1
                    received.append((json.loads(frame)["data"]["number"], arrived))

    ready_connections: list[object] = []

    async def main() -> None:
        received: list[tuple[str, float]] = []
        await asyncio.gather(*(hold(received) for _ in range(count)))
        results.put(received)

    asyncio.run(main())


async def call_phase(url: str, displays: int, calls: int, processes: int,
                     subscribe: list[str] | None, tag: str) -> list[float]:
    context = multiprocessing.get_context("spawn")
    ready: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
    results: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
    share = displays // processes
    workers = [context.Process(target=display_worker,
                               args=(url, share, ready, results, calls, subscribe))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    for _ in workers:
        await asyncio.to_thread(ready.get, True, 120)

    async with ProtocolClient(url, "admin", ADMIN_TOKEN, SITE, subscribe=[]) as admin:
        state = admin.hello_result["state"]
        counter = state["counters"][0]
        service = counter["services"][0]
        for press in range(calls):
            await admin.request("issue", service=service, request_key=f"{tag}-{press}")
        await admin.request("login", counter=counter["code"])
        sent: dict[str, float] = {}
        async with ProtocolClient(url, "display", DISPLAY_TOKEN, SITE,
                                  subscribe=["ticket.called"]) as probe:
            for _ in range(calls):
                started = time.monotonic()
                ticket = (await admin.request("call_next", as_counter=counter["code"]))["ticket"]
                sent[ticket["number"]] = started
                await probe.next_event("ticket.called")
                # Let every display drain before the next call, as a hall would see it.
                await asyncio.sleep(0.05)
    latencies: list[float] = []
    for _ in workers:
        received = await asyncio.to_thread(results.get, True, 300)
        latencies.extend(at - sent[number] for number, at in received if number in sent)
    for worker in workers:
        worker.join(timeout=30)
    return latencies


def report(label: str, values: list[float]) -> None:
    print(f"  {label}: median {statistics.median(values) * 1000:.2f} ms, "
          f"p99 {percentile(values, 0.99) * 1000:.2f} ms, max {max(values) * 1000:.2f} ms "
          f"({len(values)} samples)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    kiosks, per_kiosk = 50, (40 if options.quick else 200)
    displays, calls = (100, 10) if options.quick else (500, 60)

    with tempfile.TemporaryDirectory() as directory:
        port = free_port()
        server = start_server(Path(directory), port)
        url = f"ws://127.0.0.1:{port}/ws"
        try:
            print(f"server pid {server.pid}, {os.cpu_count()} cores, SQLite WAL "
                  f"synchronous=FULL, python {sys.version.split()[0]}")
            print(f"(a) issue: {kiosks} kiosk connections x {per_kiosk} presses")
            rate, latencies = await issue_phase(url, kiosks, per_kiosk, False, "open",
                                                offered_rate=1000.0)
            print(f"  offered 1000 tickets/s (open loop), achieved {rate:.0f} tickets/s")
            report("issue scheduled-press-to-reply", latencies)
            for subscribed in (False, True):
                rate, latencies = await issue_phase(url, kiosks, per_kiosk, subscribed,
                                                    "sub" if subscribed else "closed")
                what = "kiosks subscribed to all events" if subscribed else \
                    "kiosks not subscribed"
                print(f"  saturation (closed loop), {what}: {rate:.0f} tickets/s")
                report("issue request-to-reply", latencies)
            print(f"  server resident memory: {resident_mb(server.pid):.0f} MB")
            print(f"(b) call-to-display: {displays} displays, {calls} calls")
            for subscribe, what in ((list(LOBBY_DISPLAY_EVENTS), "lobby-display subscription"),
                                    (None, "subscribed to every event")):
                latencies = await call_phase(url, displays, calls, 2, subscribe, what[:5])
                report(f"{what}: call_next sent -> ticket.called received", latencies)
            print(f"  server resident memory: {resident_mb(server.pid):.0f} MB")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
