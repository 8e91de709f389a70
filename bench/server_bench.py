"""Server benchmark: issue throughput and call-to-display latency, server in its own process.

    python bench/server_bench.py                 # full run (about a minute)
    python bench/server_bench.py --quick         # smaller, for a smoke check

    python bench/server_bench.py --part calls    # only (b); --part issue: only (a)

Kiosks and displays are lightweight clients (:class:`LightClient`: real WebSocket framing,
no task per connection), so on 2 cores the measuring side takes little CPU from the server;
real kiosks and displays are other machines. The server's CPU per ticket and per call are
printed too: unlike latencies, they hardly move with what else the machine is doing.

(a) 50 kiosk connections issue tickets. First at a fixed 1,000 tickets/s (open loop: latency
    from each press's scheduled time to its reply, which comes only after the commit); then
    as fast as the server answers (closed loop: the most it can do), with the kiosks not
    subscribed to events, and subscribed to every event (each ticket then fans out to all 50).
(b) 500 display connections (held by two processes); a counter calls tickets one at a time;
    prints median/p99 of the time from sending ``call_next`` to each display receiving its
    ``ticket.called`` frame. Each call also finishes the counter's previous ticket. Run
    twice: displays subscribed as the lobby display is (LOBBY_DISPLAY_EVENTS), and
    subscribed to every event.
Targets (2-core machine): >= 1,000 tickets/s with p99 < 20 ms; call-to-display p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from server.protocol.client import ProtocolClient
from server.protocol.messages import LOBBY_DISPLAY_EVENTS

SITE = "bench"
KIOSK_TOKEN = "bench-kiosk-token-0001"
DISPLAY_TOKEN = "bench-display-token-0001"
ADMIN_TOKEN = "bench-admin-token-0001"
# Display connections are held by this many processes, so the measuring side keeps up.
DISPLAY_PROCESSES = 2



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
        "", "[[sites.priority_groups]]", 'code = "NCT"', 'name_vi = "Người cao tuổi"',
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


def start_server(directory: Path, port: int, config: Path | None = None,
                 checkout: Path | None = None) -> subprocess.Popen[bytes]:
    """``qms server`` in its own process on a SQLite file in ``directory``, with ``config``
    (the bench site by default); returns once it accepts connections on ``port``.
    ``checkout``: run the server of another checkout of the project (an older commit's
    ``git worktree``), for before-and-after figures."""
    # The log goes to a file: a pipe nobody reads would stall the server once it filled.
    log = directory / "server.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "server", "--config",
             str(config or bench_config(directory)),
             "--db", f"sqlite:///{directory / 'bench.sqlite3'}",
             "--port", str(port), "--data-dir", str(directory), "--log-level", "WARNING"],
            stdout=subprocess.DEVNULL, stderr=log_file, cwd=checkout)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text('utf-8')}") from None
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def resident_mb(pid: int) -> float:
    """Resident memory of the server and its writer process together."""
    total = 0.0
    for process in server_processes(pid):
        with open(f"/proc/{process}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
    return total


async def issue_phase(url: str, kiosks: int, per_kiosk: int, subscribed: bool, tag: str,
                      offered_rate: float | None = None) -> tuple[float, list[float]]:
    """Issue ``kiosks * per_kiosk`` tickets; returns (tickets per second, latencies).

    ``offered_rate=None``: closed loop, each kiosk presses again as soon as it has its reply
    (measures the most the server can do). With a rate: open loop, presses are scheduled at
    that total rate and latency runs from the *scheduled* time, so a slow reply also counts
    against the presses queued behind it.
    """
    clients = await asyncio.gather(*(light_client(url, "kiosk", KIOSK_TOKEN,
                                                  None if subscribed else [])
                                     for _ in range(kiosks)))
    hello = await clients[0].ready
    services = [service["code"] for service in hello["state"]["services"]]
    latencies: list[float] = []

    async def run(index: int, client: LightClient, begin: float) -> None:
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

    # Warm-up: one press per kiosk, not measured.
    await asyncio.gather(*(client.request("issue", service=services[0],
                                          request_key=f"{tag}-warm-{index}")
                           for index, client in enumerate(clients)))
    # The measuring side must not add pauses of its own: its cyclic collector walking the
    # growing list of latencies showed as late presses. (Real kiosks are other machines.)
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        await asyncio.gather(*(run(index, client, started)
                               for index, client in enumerate(clients)))
        elapsed = time.perf_counter() - started
    finally:
        gc.enable()
    for client in clients:
        client.close()
    return kiosks * per_kiosk / elapsed, latencies


class LightClient(asyncio.Protocol):
    """A real WebSocket client of the server (the ``websockets`` sans-I/O protocol does the
    handshake, masking and frame parsing) driven straight from ``data_received``: no task or
    queue per connection and no decoding of events, so the measuring side takes as little of
    the 2 cores from the server as it can. Real kiosks and displays are other machines."""

    def __init__(self, url: str, hello: dict[str, object]) -> None:
        self.protocol = ClientProtocol(parse_uri(url), max_size=2**22)
        self.hello = hello
        loop = asyncio.get_running_loop()
        self.ready: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._next_id = 2  # the hello is 1
        self.transport: asyncio.Transport | None = None

    def request(self, kind: str, **fields: object) -> asyncio.Future[dict[str, Any]]:
        """Send a request; the future gets its ``result`` (or an error for a refusal)."""
        request_id, self._next_id = self._next_id, self._next_id + 1
        reply = asyncio.get_running_loop().create_future()
        self._replies[request_id] = reply
        self.protocol.send_text(json.dumps({"type": kind, "id": request_id, **fields}).encode())
        self._flush()
        return reply

    def on_event(self, frame: bytes, arrived: float) -> None:
        """An event frame arrived (undecoded); the default ignores it."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.protocol.send_request(self.protocol.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        arrived = time.monotonic()
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                self.protocol.send_text(json.dumps(self.hello).encode())
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                frame = bytes(event.data)
                if frame.startswith(b'{"type":"event"'):
                    self.on_event(frame, arrived)
                else:
                    self._answer(json.loads(frame))
        self._flush()  # pongs, and the hello

    def _answer(self, reply: dict[str, Any]) -> None:
        future = self.ready if reply["id"] == 1 else self._replies.pop(reply["id"])
        if reply["ok"]:
            future.set_result(reply["result"])
        else:
            future.set_exception(RuntimeError(f"refused: {reply['error']}"))

    def connection_lost(self, exc: Exception | None) -> None:
        for future in (self.ready, *self._replies.values()):
            if not future.done():
                future.set_exception(ConnectionError(f"connection lost: {exc}"))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _flush(self) -> None:
        assert self.transport is not None
        for data in self.protocol.data_to_send():
            if data:
                self.transport.write(data)


def hello_message(role: str, token: str, subscribe: list[str] | None) -> dict[str, object]:
    """The first frame of a bench client."""
    hello: dict[str, object] = {"type": "hello", "id": 1, "protocol": 1, "role": role,
                                "token": token, "site": SITE}
    if subscribe is not None:
        hello["subscribe"] = subscribe
    return hello


async def open_light(url: str, make: Callable[[], LightClient]) -> LightClient:
    """A :class:`LightClient` from ``make``, connected; its hello is on the way."""
    parts = urlsplit(url)
    _transport, client = await asyncio.get_running_loop().create_connection(
        make, parts.hostname or "127.0.0.1", parts.port or 80)
    return client


async def light_client(url: str, role: str, token: str,
                       subscribe: list[str] | None = None) -> LightClient:
    """A connected :class:`LightClient` whose hello has been answered."""
    client = await open_light(url, functools.partial(
        LightClient, url, hello_message(role, token, subscribe)))
    await client.ready
    return client


class LightDisplay(LightClient):
    """Notes when each ``ticket.called`` frame arrived; ``done`` once ``calls`` have."""

    def __init__(self, url: str, hello: dict[str, object], calls: int,
                 received: list[tuple[str, float]]) -> None:
        super().__init__(url, hello)
        self.calls = calls
        self.seen = 0
        self.received = received
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_event(self, frame: bytes, arrived: float) -> None:
        if b'"event":"ticket.called"' in frame[:60]:
            self.received.append((json.loads(frame)["data"]["number"], arrived))
            self.seen += 1
            if self.seen == self.calls and not self.done.done():
                self.done.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if not self.done.done():
            self.done.set_exception(ConnectionError(f"display connection lost: {exc}"))


def display_worker(url: str, count: int, ready: multiprocessing.Queue,  # type: ignore[type-arg]
                   results: multiprocessing.Queue, calls: int,  # type: ignore[type-arg]
                   subscribe: list[str] | None) -> None:
    """Hold ``count`` display connections; report (number, monotonic receipt time) pairs.

    The connections are :class:`LightDisplay` clients that parse only ``ticket.called``
    frames: on a 2-core machine, a task and a full decode per frame for 500 displays would
    time the measuring processes rather than the server.
    """
    hello = hello_message("display", DISPLAY_TOKEN, subscribe)

    async def main() -> None:
        received: list[tuple[str, float]] = []
        displays: list[LightDisplay] = []
        for _ in range(count):
            display = await open_light(url, functools.partial(LightDisplay, url, hello, calls,
                                                              received))
            assert isinstance(display, LightDisplay)
            displays.append(display)
        await asyncio.gather(*(display.ready for display in displays))
        ready.put(count)
        await asyncio.gather(*(display.done for display in displays))
        results.put(received)
        for display in displays:
            display.close()

    asyncio.run(main())


async def call_phase(url: str, pid: int, displays: int, calls: int, processes: int,
                     subscribe: list[str] | None, tag: str) -> tuple[list[float], float]:
    """Latencies of each display's ``ticket.called``, and the server's CPU seconds per call."""
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
            used = cpu_seconds(pid)
            for _ in range(calls):
                started = time.monotonic()
                ticket = (await admin.request("call_next", as_counter=counter["code"]))["ticket"]
                sent[ticket["number"]] = started
                await probe.next_event("ticket.called")
                # Let every display drain before the next call, as a hall would see it.
                await asyncio.sleep(0.05)
            used = (cpu_seconds(pid) - used) / calls
    latencies: list[float] = []
    for _ in workers:
        received = await asyncio.to_thread(results.get, True, 300)
        latencies.extend(at - sent[number] for number, at in received if number in sent)
    for worker in workers:
        worker.join(timeout=30)
    return latencies, used


def report(label: str, values: list[float]) -> None:
    print(f"  {label}: median {statistics.median(values) * 1000:.2f} ms, "
          f"p99 {percentile(values, 0.99) * 1000:.2f} ms, max {max(values) * 1000:.2f} ms "
          f"({len(values)} samples)")


def _stat(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (state is field 0)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def server_processes(pid: int) -> list[int]:
    """The server and its children (the database writer process)."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(_stat(int(entry))[1]) == pid:
                    children.append(int(entry))
            except (OSError, IndexError):
                continue  # gone meanwhile
    return [pid, *children]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the server and its writer process have used so far."""
    return sum(process_cpu_seconds(process) for process in server_processes(pid))


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process (all its threads) so far."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def issue_part(url: str, pid: int, kiosks: int, per_kiosk: int) -> None:
    print(f"(a) issue: {kiosks} kiosk connections x {per_kiosk} presses")
    processes = server_processes(pid)
    before = [process_cpu_seconds(process) for process in processes]
    measuring = time.process_time()
    rate, latencies = await issue_phase(url, kiosks, per_kiosk, False, "open",
                                        offered_rate=1000.0)
    measuring = time.process_time() - measuring
    used = [process_cpu_seconds(process) - start
            for process, start in zip(processes, before, strict=True)]
    tickets = kiosks * per_kiosk
    print(f"  offered 1000 tickets/s (open loop), achieved {rate:.0f} tickets/s; server CPU "
          f"{sum(used) / tickets * 1e6:.0f} us per ticket (event loop "
          f"{used[0] / tickets * 1e6:.0f}, writer {sum(used[1:]) / tickets * 1e6:.0f}); "
          f"the 50 kiosks' process {measuring / tickets * 1e6:.0f} us")
    report("issue scheduled-press-to-reply", latencies)
    for subscribed in (False, True):
        rate, latencies = await issue_phase(url, kiosks, per_kiosk, subscribed,
                                            "sub" if subscribed else "closed")
        what = "kiosks subscribed to all events" if subscribed else "kiosks not subscribed"
        print(f"  saturation (closed loop), {what}: {rate:.0f} tickets/s")
        report("issue request-to-reply", latencies)
    print(f"  server resident memory (with its writer): {resident_mb(pid):.0f} MB")


async def calls_part(url: str, pid: int, displays: int, calls: int) -> None:
    print(f"(b) call-to-display: {displays} displays, {calls} calls")
    for subscribe, what in ((list(LOBBY_DISPLAY_EVENTS), "lobby-display subscription"),
                            (None, "subscribed to every event")):
        latencies, used = await call_phase(url, pid, displays, calls,
                                           DISPLAY_PROCESSES, subscribe, what[:5])
        report(f"{what}: call_next sent -> ticket.called received", latencies)
        print(f"    server CPU {used * 1000:.1f} ms per call")
    print(f"  server resident memory (with its writer): {resident_mb(pid):.0f} MB")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--part", choices=("all", "issue", "calls"), default="all",
                        help="run only (a) or (b)")
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
            if options.part in ("all", "issue"):
                await issue_part(url, server.pid, kiosks, per_kiosk)
            if options.part in ("all", "calls"):
                await calls_part(url, server.pid, displays, calls)

        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
