"""Province load: a whole province's morning peak on one deployment, end to end.

    python bench/province_bench.py                        # SQLite, one process (a few minutes)
    python bench/province_bench.py --quick                # 10 sites, 15 s: a smoke check
    python bench/province_bench.py --processes 2          # PostgreSQL (QMS_TEST_POSTGRES_URL)
    python bench/province_bench.py --processes 3 --kill   # kill -9 one process mid-run

The province: ``--sites`` (100) centres, each with ``--counters`` (10) counters in two zones,
2 kiosks and 2 lobby displays. "Morning peak at 10x a busy site's 400 tickets an hour" is read
the harsher way: **every** site at 4,000 tickets an hour (``--rate``), about 111 tickets a
second across the province (the calmer reading, 4,000 an hour for the whole province, is
``--rate 40``).

Every client is a real protocol connection (``ProtocolClient``, given every server address,
so it finds the process serving its site and follows ``moved``):

- **kiosks** press at random times (Poisson arrivals at the site's rate, seeded), each press
  an ``issue`` with its own ``request_key``, subscribed as the kiosk app is. A press that meets
  a lost connection or a ``moved`` is sent again with the same key after reconnecting (the
  server answers it with the same ticket), so every acknowledged ticket can be looked for in
  the database afterwards. Issue latency: from the press's time to its reply (the reply comes
  after the commit).
- **counters**: one ``counter`` connection each, logged in as an officer allowed only there
  (a real scrypt password check), subscribed to every event as the counter app is. Each calls
  the next ticket once the site's kiosks have been given one it has not taken yet, starts it,
  finishes it (``--service-seconds`` on average between the three: they keep up with the
  kiosks), and again. After a reconnection it logs in again as the counter app does: with the
  session its first login was given (no password hashing), the password only if that is
  refused.
- **displays**: ``display`` connections subscribed as the lobby display is, each with a zone
  (its token's profile) and counting the calls of its zone's counters. Call-to-display: from
  the counter sending ``call_next`` to the display of that counter's zone receiving
  ``ticket.called`` (both times on the same machine's monotonic clock; the receipt is when the
  display's task takes the event, so the generator's own delays count against the server).

The clients are held by ``--workers`` processes (sites dealt among them) so that the load
generator is not the bottleneck; their CPU is printed beside the servers'.

At the end, from the database: tickets **lost** (acknowledged to a kiosk, but missing or with
another number), **duplicated** (one number twice at a site on a day, or two presses given the
same number), gaps in a site's numbers, and gaps in a site's event ``seq`` (all must be 0).

``--kill`` (PostgreSQL, 2 or more processes): halfway through, the first server process is
killed with ``kill -9``. Printed: the seconds from the first refused or failed request (or
reconnection) to the last, and whether every site was served again, with the slowest site's
first ticket after the kill.

Servers are measured from ``/proc``: CPU seconds over the load (the process and its database
writer child), and peak resident memory (VmHWM). On PostgreSQL, the database's own CPU (every
``postgres`` process of the machine) is printed too.

Targets: issue p99 under 50 ms across the province; under 5 s of refused requests at a failover;
no ticket lost or duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from websockets.exceptions import WebSocketException

from kiosk.settings import SUBSCRIBED_EVENTS
from server.config.toml_writer import toml_text
from server.protocol.client import ClientError, ConnectionLost, ProtocolClient, RequestFailed
from server.protocol.messages import LOBBY_DISPLAY_EVENTS
from server.security import hash_password
from server.store.scratch_database import scratch_postgres_database

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_VARIABLE = "QMS_TEST_POSTGRES_URL"
PASSWORD = "mat-khau-tinh-1"
ADMIN_TOKEN = "province-admin-token-0001"
SERVICES = ("A", "B", "C", "D")
ZONES = ("T1", "T2")
# A request not answered in this long is taken as failed (the connection is given up).
REQUEST_TIMEOUT_SECONDS = 10.0
# Refusals after which the same request is sent again (nothing was changed).
RETRYABLE = frozenset({"moved", "internal", "rate_limited"})
# scrypt's N in the password hashes ``qms hash-password`` makes.
SHIPPED_LOGIN_COST = 2**14


@dataclass(frozen=True)
class Plan:
    """What to run (from the command line)."""

    sites: int
    counters: int
    kiosks: int
    displays: int
    rate_per_hour: float
    seconds: float
    service_seconds: float
    processes: int
    kill: bool
    workers: int
    seed: int
    login_cost: int


# --- the deployment's configuration -------------------------------------------------------


def site_code(index: int) -> str:
    return f"p{index + 1:03d}"


def token(site: str, role: str, number: int) -> str:
    """Each device's own token (tokens are unique across a deployment)."""
    return f"{site}-{role}-{number:02d}-token"


def counter_zone(counter: int, counters: int) -> str:
    """The first half of a site's counters stand in zone T1, the rest in T2."""
    return ZONES[0] if counter <= (counters + 1) // 2 else ZONES[1]


def province_config(plan: Plan, port: int, database_url: str, data_dir: Path,
                    password_hash: str) -> dict[str, Any]:
    """One server process's configuration: ``plan.sites`` sites, each with its services,
    counters (in two zones), officers (one allowed at each counter) and device tokens. No
    process prefers any site: ownership deals them evenly."""
    sites = []
    for index in range(plan.sites):
        code = site_code(index)
        counters = [{"code": str(number), "name": f"Quầy {number}",
                     "zone": counter_zone(number, plan.counters),
                     # Every counter serves every service, each preferring another first.
                     "services": [f"S{SERVICES[(number + offset) % len(SERVICES)]}"
                                  for offset in range(len(SERVICES))]}
                    for number in range(1, plan.counters + 1)]
        tokens: list[dict[str, Any]] = []
        tokens += [{"name": f"kiosk {number}", "role": "kiosk",
                    "token": token(code, "kiosk", number)}
                   for number in range(1, plan.kiosks + 1)]
        tokens += [{"name": f"display {number}", "role": "display",
                    "token": token(code, "display", number),
                    "zone": ZONES[(number - 1) % len(ZONES)]}
                   for number in range(1, plan.displays + 1)]
        tokens += [{"name": f"counter {number}", "role": "counter",
                    "token": token(code, "counter", number), "counter": str(number)}
                   for number in range(1, plan.counters + 1)]
        sites.append({
            "code": code, "name_vi": f"Trung tâm hành chính công {code}",
            "name_en": f"Centre {code}",
            "fields": [{"code": "F", "name_vi": "Lĩnh vực"}],
            "services": [{"code": f"S{letter}", "name_vi": f"Thủ tục {letter}", "field": "F",
                          "numbers": f"{letter}###"} for letter in SERVICES],
            "zones": [{"code": zone, "name_vi": f"Tầng {zone[1:]}"} for zone in ZONES],
            "counters": counters,
            "officers": [{"user": f"cb{number:02d}", "full_name": f"Cán bộ {number}",
                          "password_hash": password_hash, "counters": [str(number)]}
                         for number in range(1, plan.counters + 1)],
            "tokens": tokens,
        })
    return {
        "server": {"host": "127.0.0.1", "port": port, "public_url": f"http://127.0.0.1:{port}",
                   "secret": "province-secret-0123456789abcdef", "admin_tokens": [ADMIN_TOKEN],
                   "database_url": database_url, "data_dir": str(data_dir)},
        "sites": sites,
    }


# --- databases and server processes -------------------------------------------------------


@contextlib.contextmanager
def fresh_postgres_database(admin_url: str) -> Iterator[str]:
    """A new, empty database on the server of ``admin_url``; dropped afterwards."""
    with scratch_postgres_database(admin_url, "qms_province_") as url:
        yield url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _stat(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (state is field 0)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def process_tree(pid: int) -> list[int]:
    """``pid`` and its children (a server's database writer process)."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(_stat(int(entry))[1]) == pid:
                    children.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
    return [pid, *children]


def cpu_seconds(pids: Sequence[int]) -> float:
    """User plus system CPU time the processes have used so far (those still there)."""
    total = 0.0
    for pid in pids:
        try:
            fields = _stat(pid)
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def waiting_seconds(pids: Sequence[int]) -> float:
    """Time the processes' threads spent runnable but waiting for a core so far
    (``/proc/<pid>/task/<tid>/schedstat``, second field): how much the machine's other work
    held them back, beside the CPU they used."""
    total = 0.0
    for pid in pids:
        try:
            threads = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for thread in threads:
            try:
                with open(f"/proc/{pid}/task/{thread}/schedstat", encoding="ascii") as stat:
                    total += int(stat.read().split()[1]) / 1e9
            except (OSError, IndexError, ValueError):
                continue
    return total


def peak_resident_mb(pids: Sequence[int]) -> float:
    """The sum of each process's peak resident memory (VmHWM) so far."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def postgres_pids() -> list[int]:
    """Every ``postgres`` process of the machine (other users of the server count too)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm", encoding="utf-8") as comm:
                    if comm.read().strip() == "postgres":
                        found.append(int(entry))
            except OSError:
                continue
    return found


class ServerProcess:
    """One ``qms server`` process, its log in a file (a pipe nobody read would stall it)."""

    def __init__(self, name: str, directory: Path, config: dict[str, Any], port: int) -> None:
        self.name = name
        self.port = port
        self.url = f"ws://127.0.0.1:{port}/ws"
        directory.mkdir(parents=True, exist_ok=True)
        self.config = directory / "province.toml"
        self.config.write_text(toml_text(config), "utf-8")
        self.log = directory / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.tree: list[int] = []
        self.killed_at: float | None = None
        # Measured over the load: CPU seconds and peak memory (set before a kill).
        self.cpu_start = 0.0
        self.cpu_used: float | None = None
        self.wait_start = 0.0
        self.waited: float | None = None
        self.peak_mb: float | None = None

    def start(self) -> None:
        with self.log.open("wb") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "server", "--config", str(self.config),
                 "--log-level", "INFO"],
                stdout=subprocess.DEVNULL, stderr=log_file, cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)})

    def wait_listening(self, timeout: float = 60.0) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    self.tree = process_tree(self.process.pid)
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited: "
                                       f"{self.log.read_text('utf-8')[-3000:]}") from None
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start listening")

    def settle(self) -> None:
        """Freeze the figures (before a kill, or at the end of the load)."""
        if self.cpu_used is None:
            self.cpu_used = cpu_seconds(self.tree) - self.cpu_start
            self.waited = waiting_seconds(self.tree) - self.wait_start
            self.peak_mb = peak_resident_mb(self.tree)

    def kill(self) -> None:
        assert self.process is not None
        self.settle()
        self.killed_at = time.monotonic()
        os.kill(self.process.pid, signal.SIGKILL)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)

    def log_size(self) -> int:
        return self.log.stat().st_size

    def collector_pauses(self) -> list[float]:
        """The garbage collections its log says held it longer than 0.2 s, in ms
        (server.app.garbage logs each)."""
        if not self.log.exists():
            return []
        text = self.log.read_text("utf-8", "replace")
        return [float(found) for found in
                re.findall(r"garbage collection of generation \d held the server (\d+) ms",
                           text)]

    def takeovers_after(self, offset: int) -> list[float]:
        """How long each ``site ... taken over (epoch N) in M ms`` logged after ``offset``
        bytes of the log took, in ms."""
        if not self.log.exists():
            return []
        with self.log.open("rb") as log:
            log.seek(offset)
            text = log.read().decode("utf-8", "replace")
        return [float(match) for match in re.findall(r"taken over \(epoch \d+\) in (\d+) ms",
                                                     text)]


# --- the load generator (runs in --workers processes) -------------------------------------


@dataclass
class Failure:
    """A refused or failed request, or a failed reconnection: when, who, what."""

    at: float
    role: str
    site: str
    what: str


@dataclass
class WorkerResult:
    """What one generator process measured; times are ``time.monotonic`` (shared by every
    process of the machine)."""

    acknowledged: dict[str, dict[str, str]] = field(default_factory=dict)  # site -> key -> no.
    issued_at: dict[str, list[float]] = field(default_factory=dict)  # site -> reply times
    issue_latencies: list[float] = field(default_factory=list)
    issue_times: list[float] = field(default_factory=list)  # each latency's press time
    press_lag: list[float] = field(default_factory=list)  # a press sent late by the generator
    counter_latencies: list[float] = field(default_factory=list)
    calls_sent: dict[str, float] = field(default_factory=dict)  # "site/number" -> sent
    calls_shown: dict[str, float] = field(default_factory=dict)  # "site/number" -> received
    failures: list[Failure] = field(default_factory=list)
    # (when, role): a connection back (a counter's logged in again) after it dropped.
    reconnections: list[tuple[float, str]] = field(default_factory=list)
    unanswered: int = 0
    conflicts: int = 0
    called: int = 0
    finished: int = 0
    cpu_seconds: float = 0.0
    waiting_for_cpu_seconds: float = 0.0
    setup_seconds: float = 0.0


class Link:
    """One protocol connection kept up like an app's supervisor keeps it: reconnected (to
    whichever process serves the site now) as soon as it drops, with ``after_connect`` (a
    counter's login) run again each time; a request caught by a drop or a ``moved`` is sent
    again once the connection is back."""

    def __init__(self, client: ProtocolClient, role: str, result: WorkerResult,
                 stopping: asyncio.Event,
                 after_connect: Callable[[], Awaitable[None]] | None = None,
                 drain: bool = True) -> None:
        """``drain``: events are read and dropped here (a display reads its own)."""
        self.client = client
        self.drain = drain
        self.role = role
        self.site = client.site or ""
        self.result = result
        self.stopping = stopping
        self.after_connect = after_connect
        self.generation = 0
        self.lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []

    async def open(self) -> None:
        """Connect (retrying while no process serves the site yet), then keep connected."""
        await self._connect(first=True)
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._watch()))
        if self.drain:
            self._tasks.append(loop.create_task(self._drain()))

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Send until answered; :class:`RequestFailed` for a refusal that is not retried."""
        while True:
            generation = self.generation
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
                    return await self.client.request(kind, **fields)
            except RequestFailed as refusal:
                if refusal.code not in RETRYABLE:
                    raise
                self._failed(f"{kind}: {refusal.code}")
                if refusal.code != "moved":
                    await asyncio.sleep(0.2)
                    continue
            except (ConnectionLost, TimeoutError) as error:
                self._failed(f"{kind}: {type(error).__name__}")
            await self.reconnect(generation)

    async def reconnect(self, generation: int) -> None:
        """Reconnect, unless another task already has since ``generation``."""
        async with self.lock:
            if self.generation != generation:
                return
            await self._connect(first=False)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.client.close()

    async def _connect(self, first: bool) -> None:
        delay = 0.1
        while True:
            try:
                if first:
                    await self.client.connect()
                else:
                    await self.client.reconnect()
                if self.after_connect is not None:
                    await self.after_connect()
                self.generation += 1
                if not first:
                    self.result.reconnections.append((time.monotonic(), self.role))
                return
            except (ClientError, OSError, TimeoutError, WebSocketException) as error:
                if isinstance(error, RequestFailed) and error.code not in RETRYABLE:
                    raise  # a wrong password, say: retrying would not help
                if not first:
                    self._failed(f"reconnect: {type(error).__name__}")
                if self.stopping.is_set() and not first:
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def _watch(self) -> None:
        """Reconnect as soon as the connection closes (the server died or moved the site)."""
        while not self.stopping.is_set():
            generation = self.generation
            await self.client.closed.wait()
            if self.stopping.is_set():
                return
            await self.reconnect(generation)
            if self.generation == generation:
                await asyncio.sleep(0.1)  # stopping, or another task is on it

    async def _drain(self) -> None:
        """Events nobody here reads (kiosks and counters) are taken off the queue."""
        while True:
            await self.client.events.get()

    def _failed(self, what: str) -> None:
        if not self.stopping.is_set():
            self.result.failures.append(Failure(time.monotonic(), self.role, self.site, what))


class Site:
    """One site's clients in a generator process."""

    def __init__(self, code: str, plan: Plan, urls: list[str], result: WorkerResult,
                 stopping: asyncio.Event, random_source: random.Random) -> None:
        self.code = code
        self.plan = plan
        self.urls = urls
        self.result = result
        self.stopping = stopping
        self.random = random_source
        # Tickets the kiosks were given that no counter has taken yet.
        self.waiting = asyncio.Semaphore(0)
        self.kiosks: list[Link] = []
        self.counters: list[Link] = []
        self.displays: list[Link] = []
        self.presses: set[asyncio.Task[None]] = set()
        result.acknowledged[code] = {}
        result.issued_at[code] = []

    async def connect(self) -> None:
        for number in range(1, self.plan.kiosks + 1):
            client = ProtocolClient(self.urls, "kiosk", token(self.code, "kiosk", number),
                                    self.code, subscribe=list(SUBSCRIBED_EVENTS))
            self.kiosks.append(Link(client, "kiosk", self.result, self.stopping))
        for number in range(1, self.plan.counters + 1):
            client = ProtocolClient(self.urls, "counter", token(self.code, "counter", number),
                                    self.code)
            self.counters.append(Link(client, "counter", self.result, self.stopping,
                                      self._login(client, number)))
        for number in range(1, self.plan.displays + 1):
            client = ProtocolClient(self.urls, "display", token(self.code, "display", number),
                                    self.code, subscribe=list(LOBBY_DISPLAY_EVENTS))
            self.displays.append(Link(client, "display", self.result, self.stopping,
                                      drain=False))
        for link in (*self.kiosks, *self.displays):
            await link.open()
        for link in self.counters:  # one at a time: each login is a scrypt check
            await link.open()

    def _login(self, client: ProtocolClient, number: int) -> Callable[[], Awaitable[None]]:
        """As the counter app logs in: with the password the first time, then with the
        session that login gave (no scrypt at the process taking a site over), falling back
        to the password when the session is refused."""
        session: str | None = None

        async def login() -> None:
            nonlocal session
            fields = {"counter": str(number), "user": f"cb{number:02d}"}
            if session is not None:
                try:
                    await client.request("login", **fields, session=session)
                    return
                except RequestFailed as refusal:
                    if refusal.code != "unauthorized":
                        raise
                    session = None
            result = await client.request("login", **fields, password=PASSWORD)
            session = result.get("session")
        return login

    def run(self, until: float) -> tuple[list[asyncio.Task[None]], list[asyncio.Task[None]]]:
        """The kiosks' and counters' tasks (they end at ``until``), and the displays'
        (they read until cancelled)."""
        loop = asyncio.get_running_loop()
        load = [loop.create_task(self._kiosk(index, link, until))
                for index, link in enumerate(self.kiosks)]
        load += [loop.create_task(self._counter(index + 1, link, until))
                 for index, link in enumerate(self.counters)]
        return load, [loop.create_task(self._display(index, link))
                      for index, link in enumerate(self.displays)]

    async def _kiosk(self, index: int, link: Link, until: float) -> None:
        """Presses at Poisson times at this kiosk's share of the site's rate; each press its
        own task, so a slow reply does not hold the next press back."""
        per_second = self.plan.rate_per_hour / 3600 / self.plan.kiosks
        scheduled = time.monotonic() + self.random.expovariate(per_second)
        presses = 0
        while scheduled < until:
            delay = scheduled - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            presses += 1
            service = f"S{SERVICES[self.random.randrange(len(SERVICES))]}"
            key = f"{self.code}-k{index + 1}-{presses}"
            task = asyncio.get_running_loop().create_task(
                self._press(link, key, service, scheduled))
            self.presses.add(task)
            task.add_done_callback(self.presses.discard)
            scheduled += self.random.expovariate(per_second)

    async def _press(self, link: Link, key: str, service: str, scheduled: float) -> None:
        self.result.press_lag.append(time.monotonic() - scheduled)
        try:
            reply = await link.request("issue", service=service, request_key=key)
        except RequestFailed:
            self.result.unanswered += 1
            return
        answered = time.monotonic()
        self.result.issue_latencies.append(answered - scheduled)
        self.result.issue_times.append(scheduled)
        self.result.acknowledged[self.code][key] = str(reply["ticket"]["number"])
        self.result.issued_at[self.code].append(answered)
        self.waiting.release()

    async def _counter(self, number: int, link: Link, until: float) -> None:
        """Call the next ticket once there is one, start it, finish it; again until ``until``."""
        pause = self.plan.service_seconds / 2
        while True:
            remaining = until - time.monotonic()
            if remaining <= 0:
                return
            try:
                async with asyncio.timeout(remaining):
                    await self.waiting.acquire()
            except TimeoutError:
                return
            sent = time.monotonic()
            try:
                reply = await link.request("call_next")
            except RequestFailed as refusal:
                if refusal.code != "not_found":  # a lost reply's call took one more ticket
                    self.result.conflicts += 1
                continue
            self.result.counter_latencies.append(time.monotonic() - sent)
            self.result.calls_sent[f"{self.code}/{reply['ticket']['number']}"] = sent
            self.result.called += 1
            for kind in ("start", "finish"):
                await asyncio.sleep(self.random.uniform(0, 2 * pause))
                started = time.monotonic()
                try:
                    await link.request(kind)
                except RequestFailed:  # answered by the process that died: done already
                    self.result.conflicts += 1
                    continue
                self.result.counter_latencies.append(time.monotonic() - started)
            self.result.finished += 1

    async def _display(self, index: int, link: Link) -> None:
        """Note when each call of this display's zone arrives."""
        zone = ZONES[index % len(ZONES)]
        queue = link.client.events
        while True:
            event = await queue.get()
            if event.event == "ticket.called" and counter_zone(
                    int(event.data["counter"]), self.plan.counters) == zone:
                self.result.calls_shown.setdefault(f"{self.code}/{event.data['number']}",
                                                   time.monotonic())

    async def close(self) -> None:
        await asyncio.gather(*(link.close()
                               for link in (*self.kiosks, *self.counters, *self.displays)))


def worker_main(plan: Plan, sites: list[str], urls: list[str], index: int,
                ready: Any, go: Any, results: Any) -> None:
    """One generator process: connect ``sites``' clients, say ready, wait for ``go`` (the
    load's start, ``time.monotonic``), run the load, put its :class:`WorkerResult`."""
    async def main() -> WorkerResult:
        result = WorkerResult()
        stopping = asyncio.Event()
        began = time.monotonic()
        site_objects = [Site(code, plan, urls, result, stopping,
                             random.Random(f"{plan.seed}-{code}")) for code in sites]
        # A few sites at a time: each counter's login is a scrypt check (0.1 s of the
        # server's CPU), and the server runs a few at once on its threads.
        limit = asyncio.Semaphore(4)

        async def connect(site: Site) -> None:
            async with limit:
                await site.connect()

        await asyncio.gather(*(connect(site) for site in site_objects))
        result.setup_seconds = time.monotonic() - began
        ready.put(index)
        start = await asyncio.to_thread(go.get)
        until = start + plan.seconds
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        cpu_before = time.process_time()
        waited_before = waiting_seconds([os.getpid()])
        started = [site.run(until) for site in site_objects]
        load = [task for tasks, _ in started for task in tasks]
        displays = [task for _, tasks in started for task in tasks]
        await asyncio.gather(*load)
        # Presses still in flight are answered (or given up) before stopping.
        pending = [task for site in site_objects for task in site.presses]
        if pending:
            await asyncio.wait(pending, timeout=3 * REQUEST_TIMEOUT_SECONDS)
        result.unanswered += sum(1 for task in pending if not task.done())
        # The last calls reach the displays (a call lost in a failover never does).
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline and not set(result.calls_sent) <= set(
                result.calls_shown):
            await asyncio.sleep(0.05)
        stopping.set()
        result.cpu_seconds = time.process_time() - cpu_before
        result.waiting_for_cpu_seconds = waiting_seconds([os.getpid()]) - waited_before
        for task in displays:
            task.cancel()
        await asyncio.gather(*displays, return_exceptions=True)
        for site in site_objects:
            await site.close()
        return result

    results.put(asdict(asyncio.run(main())))


# --- checking the database ----------------------------------------------------------------


@dataclass
class Check:
    """What the database holds against what the kiosks were told."""

    tickets: int
    acknowledged: int
    lost: int
    duplicated: int
    number_gaps: int
    seq_gaps: int


def check_database(url: str, acknowledged: dict[str, dict[str, str]]) -> Check:
    """Every acknowledged press is stored under its key with the number it was given; no
    number twice at a site on a day, nor for two presses; each site's numbers (per number
    group and day) and event ``seq`` run from 1 with no gap."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            tickets = connection.execute(text(
                "SELECT site, business_date, number, request_key, number_group, sequence "
                "FROM tickets")).all()
            events = connection.execute(text(
                "SELECT site, seq FROM events ORDER BY site, seq")).all()
            site_seqs = {str(code): int(seq) for code, seq in connection.execute(
                text("SELECT code, seq FROM sites")).all()}
    finally:
        engine.dispose()
    stored = {(site, key): number for site, _, number, key, _, _ in tickets}
    lost = sum(1 for site, keys in acknowledged.items() for key, number in keys.items()
               if stored.get((site, key)) != number)
    numbers: dict[tuple[str, Any], list[str]] = defaultdict(list)
    sequences: dict[tuple[str, Any, str], list[int]] = defaultdict(list)
    for site, day, number, _, group, sequence in tickets:
        numbers[(site, day)].append(number)
        sequences[(site, day, group)].append(int(sequence))
    duplicated = sum(len(values) - len(set(values)) for values in numbers.values())
    duplicated += sum(len(keys) - len(set(keys.values())) for keys in acknowledged.values())
    number_gaps = sum(1 for values in sequences.values()
                      if sorted(values) != list(range(1, len(values) + 1)))
    by_site: dict[str, list[int]] = defaultdict(list)
    for site, seq in events:
        by_site[site].append(int(seq))
    seq_gaps = sum(1 for site, seqs in by_site.items()
                   if seqs != list(range(1, len(seqs) + 1)) or site_seqs.get(site) != len(seqs))
    seq_gaps += sum(1 for site, seq in site_seqs.items() if seq and site not in by_site)
    return Check(len(tickets), sum(len(keys) for keys in acknowledged.values()), lost,
                 duplicated, number_gaps, seq_gaps)


# --- running it all -----------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def spread(values: Sequence[float]) -> dict[str, float | int]:
    """Median, p99 and max in milliseconds, and how many."""
    if not values:
        return {"count": 0}
    return {"median_ms": round(statistics.median(values) * 1000, 2),
            "p99_ms": round(percentile(values, 0.99) * 1000, 2),
            "max_ms": round(max(values) * 1000, 2), "count": len(values)}


def slow_seconds(times: Sequence[float], latencies: Sequence[float], start: float,
                 over: float = 0.2) -> list[tuple[int, int, float]]:
    """The seconds of the load (from its start) in which presses took over ``over`` s:
    (second, how many, the slowest), to tell a few stalls from a slow server."""
    slow: dict[int, list[float]] = defaultdict(list)
    for moment, latency in zip(times, latencies, strict=True):
        if latency > over:
            slow[int(moment - start)].append(latency)
    return [(second, len(values), round(max(values), 2))
            for second, values in sorted(slow.items())]


def merge(results: list[dict[str, Any]]) -> WorkerResult:
    merged = WorkerResult()
    for item in results:
        merged.acknowledged.update(item["acknowledged"])
        merged.issued_at.update(item["issued_at"])
        merged.issue_latencies += item["issue_latencies"]
        merged.issue_times += item["issue_times"]
        merged.press_lag += item["press_lag"]
        merged.counter_latencies += item["counter_latencies"]
        merged.calls_sent.update(item["calls_sent"])
        merged.calls_shown.update(item["calls_shown"])
        merged.failures += [Failure(**failure) for failure in item["failures"]]
        merged.reconnections += [(at, role) for at, role in item["reconnections"]]
        for name in ("unanswered", "conflicts", "called", "finished", "cpu_seconds",
                     "waiting_for_cpu_seconds"):
            setattr(merged, name, getattr(merged, name) + item[name])
        merged.setup_seconds = max(merged.setup_seconds, item["setup_seconds"])
    return merged


def officer_password_hash(cost: int) -> str:
    """The officers' password hash: as ``qms hash-password`` makes it, with scrypt's ``N``
    set to ``cost`` (``qms`` uses 16,384, about 0.1 s of CPU a login here)."""
    if cost == SHIPPED_LOGIN_COST:
        return hash_password(PASSWORD)
    salt = os.urandom(16)
    digest = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=cost, r=8, p=1, dklen=32)
    return "$".join(["scrypt", str(cost), "8", "1", base64.b64encode(salt).decode(),
                     base64.b64encode(digest).decode()])


def run(plan: Plan, database_url: str, directory: Path) -> dict[str, Any]:
    """Start the servers and the generator, run the load, check the database; the figures."""
    password_hash = officer_password_hash(plan.login_cost)
    servers = []
    for index in range(plan.processes):
        port = free_port()
        servers.append(ServerProcess(
            f"P{index}", directory / f"p{index}",
            province_config(plan, port, database_url, directory / f"p{index}" / "data",
                            password_hash), port))
    urls = [server.url for server in servers]
    context = multiprocessing.get_context("spawn")
    ready: Any = context.Queue()
    results: Any = context.Queue()
    goes: list[Any] = []
    workers = []
    log_sizes = [0] * plan.processes
    killed: ServerProcess | None = None
    load: dict[str, Any] = {"load_average_before": os.getloadavg()}
    try:
        setup_began = time.monotonic()
        for server in servers:
            server.start()
        # The generator starts meanwhile: its clients retry until their site is served.
        codes = [site_code(index) for index in range(plan.sites)]
        for index in range(plan.workers):
            go: Any = context.Queue()
            goes.append(go)
            workers.append(context.Process(target=worker_main, args=(
                plan, codes[index::plan.workers], urls, index, ready, go, results)))
        for worker in workers:
            worker.start()
        for server in servers:
            server.wait_listening()
        for _ in workers:
            ready.get(timeout=1800)
        load["setup_seconds"] = round(time.monotonic() - setup_began, 1)
        postgres_before = cpu_seconds(postgres_pids()) if plan.processes > 1 or \
            database_url.startswith("postgresql") else None
        start = time.monotonic() + 0.5
        for server in servers:
            server.cpu_start = cpu_seconds(server.tree)
            server.wait_start = waiting_seconds(server.tree)
        for go in goes:
            go.put(start)
        if plan.kill:
            time.sleep(max(0.0, start + plan.seconds / 2 - time.monotonic()))
            killed = servers[0]
            log_sizes = [server.log_size() for server in servers]
            killed.kill()
        time.sleep(max(0.0, start + plan.seconds - time.monotonic()))
        for server in servers:
            server.settle()
        if postgres_before is not None:
            load["postgres_cpu_seconds"] = round(cpu_seconds(postgres_pids()) - postgres_before,
                                                 1)
        load["load_average_after"] = os.getloadavg()
        collected = [results.get(timeout=300) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
        takeovers = [milliseconds for server, size in zip(servers, log_sizes, strict=True)
                     for milliseconds in server.takeovers_after(size)]
        for server in servers:
            server.stop()
    result = merge(collected)
    # Failures while connecting (a site handed to another process during set-up) are not
    # the load's.
    result.failures = [failure for failure in result.failures if failure.at >= start]
    check = check_database(database_url, result.acknowledged)
    figures: dict[str, Any] = {
        "plan": asdict(plan), "database": "postgresql" if database_url.startswith(
            "postgresql") else "sqlite",
        "cores": os.cpu_count(), **load,
        "tickets_acknowledged": check.acknowledged, "tickets_stored": check.tickets,
        "issue_per_second": round(check.acknowledged / plan.seconds, 1),
        "issue": spread(result.issue_latencies),
        "issue_slow_seconds": slow_seconds(result.issue_times, result.issue_latencies, start),
        "press_lag": spread(result.press_lag),
        "counter_requests": spread(result.counter_latencies),
        "call_to_display": spread([result.calls_shown[key] - sent
                                   for key, sent in result.calls_sent.items()
                                   if key in result.calls_shown]),
        "calls": result.called, "calls_not_shown": sum(
            1 for key in result.calls_sent if key not in result.calls_shown),
        "finished": result.finished, "refusals_after_retry": result.conflicts,
        "unanswered_presses": result.unanswered,
        "lost": check.lost, "duplicated": check.duplicated, "number_gaps": check.number_gaps,
        "seq_gaps": check.seq_gaps,
        "servers": [{"name": server.name, "cpu_seconds": round(server.cpu_used or 0.0, 1),
                     "cpu_percent": round(100 * (server.cpu_used or 0.0) / plan.seconds, 1),
                     "peak_rss_mb": round(server.peak_mb or 0.0, 1),
                     "waiting_for_cpu_seconds": round(server.waited or 0.0, 1),
                     "collector_pauses_ms": server.collector_pauses(),
                     "killed": server.killed_at is not None} for server in servers],
        "generator_cpu_seconds": round(result.cpu_seconds, 1),
        "generator_waiting_for_cpu_seconds": round(result.waiting_for_cpu_seconds, 1),
        "generator_workers": plan.workers,
        "failures": len(result.failures),
    }
    if result.failures:
        first = min(failure.at for failure in result.failures)
        last = max(failure.at for failure in result.failures)
        figures["failure_window_seconds"] = round(last - first, 2)
        figures["failure_roles"] = sorted({failure.role for failure in result.failures})
        figures["failure_kinds"] = dict(sorted(
            Counter(f"{failure.role} {failure.what}" for failure in result.failures).items()))
        figures["failure_spans"] = {
            role: [round(min(moments) - start, 2), round(max(moments) - start, 2)]
            for role, moments in ((role, [failure.at for failure in result.failures
                                          if failure.role == role])
                                  for role in ("kiosk", "counter", "display")) if moments}
    if killed is not None and killed.killed_at is not None:
        figures["kill"] = kill_figures(killed, killed.killed_at - start, result, takeovers)
    return figures


def kill_figures(killed: ServerProcess, offset: float, result: WorkerResult,
                 takeovers: list[float]) -> dict[str, Any]:
    """After the kill: which sites it touched (a client of theirs failed), whether each of
    them issued a ticket again and how soon; whether every site did."""
    assert killed.killed_at is not None
    at = killed.killed_at
    touched = {failure.site for failure in result.failures if failure.at >= at}
    firsts = {site: min((moment for moment in moments if moment > at), default=None)
              for site, moments in result.issued_at.items()}
    again = [moment - at for site in touched if (moment := firsts.get(site)) is not None]
    return {"killed": killed.name, "at_seconds": round(offset, 1),
            "sites_touched": len(touched), "touched_served_again": len(again),
            "sites_served_after": sum(1 for moment in firsts.values() if moment is not None),
            "sites": len(firsts),
            "slowest_touched_site_seconds": round(max(again), 2) if again else None,
            "median_touched_site_seconds": round(statistics.median(again), 2)
            if again else None,
            "takeovers_logged": len(takeovers),
            # Each takeover (lock, read back, day checked), in ms, as the servers logged it.
            "takeover_median_ms": round(statistics.median(takeovers)) if takeovers else None,
            "takeover_max_ms": round(max(takeovers)) if takeovers else None,
            # When the last of each role's connections was back (a counter: logged in again).
            "last_back_seconds": {role: round(max(moments) - at, 2) for role, moments in (
                (role, [moment for moment, kind in result.reconnections
                        if kind == role and moment > at])
                for role in ("kiosk", "counter", "display")) if moments}}


def print_figures(figures: dict[str, Any]) -> None:
    plan = figures["plan"]
    cost = "" if plan["login_cost"] == SHIPPED_LOGIN_COST else \
        f", officers' scrypt N={plan['login_cost']} (shipped: {SHIPPED_LOGIN_COST})"
    print(f"{plan['sites']} sites x ({plan['counters']} counters, {plan['kiosks']} kiosks, "
          f"{plan['displays']} displays), {plan['rate_per_hour']:.0f} tickets/h per site, "
          f"{plan['seconds']:.0f} s, {figures['database']}, {plan['processes']} server "
          f"process(es), {plan['workers']} generator process(es), {figures['cores']} cores{cost}")
    print(f"  load average before {figures['load_average_before'][0]:.2f}, "
          f"after {figures['load_average_after'][0]:.2f}; set-up (connect, log in) "
          f"{figures['setup_seconds']:.0f} s")
    print(f"  tickets acknowledged {figures['tickets_acknowledged']} "
          f"({figures['issue_per_second']:.1f}/s), stored {figures['tickets_stored']}, calls "
          f"{figures['calls']}, finished {figures['finished']}")

    def line(label: str, values: dict[str, Any]) -> None:
        if values.get("count"):
            print(f"  {label}: median {values['median_ms']:.1f} ms, p99 {values['p99_ms']:.1f}"
                  f" ms, max {values['max_ms']:.1f} ms ({values['count']})")
        else:
            print(f"  {label}: none")

    line("issue (press to reply)", figures["issue"])
    if figures["issue_slow_seconds"]:
        print("    seconds with presses over 0.2 s (second: how many, slowest): " + ", ".join(
            f"{second}: {count}, {slowest:.1f} s"
            for second, count, slowest in figures["issue_slow_seconds"][:30]))
    line("call_next sent -> zone display's ticket.called", figures["call_to_display"])
    line("counter requests", figures["counter_requests"])
    line("generator lateness of presses", figures["press_lag"])
    print(f"  lost {figures['lost']}, duplicated {figures['duplicated']}, number gaps "
          f"{figures['number_gaps']}, seq gaps {figures['seq_gaps']}, presses unanswered "
          f"{figures['unanswered_presses']}, calls not shown {figures['calls_not_shown']}")
    for server in figures["servers"]:
        print(f"  server {server['name']}: {server['cpu_seconds']:.1f} CPU s "
              f"({server['cpu_percent']:.0f} % of a core), runnable but waiting for a core "
              f"{server['waiting_for_cpu_seconds']:.1f} s, peak RSS "
              f"{server['peak_rss_mb']:.0f} MB{' (until killed)' if server['killed'] else ''}"
              f"; garbage collections over 0.2 s: {len(server['collector_pauses_ms'])}"
              + (f" (longest {max(server['collector_pauses_ms']):.0f} ms)"
                 if server['collector_pauses_ms'] else ""))
    if "postgres_cpu_seconds" in figures:
        print(f"  postgres processes: {figures['postgres_cpu_seconds']:.1f} CPU s")
    print(f"  generator: {figures['generator_cpu_seconds']:.1f} CPU s over "
          f"{figures['generator_workers']} process(es), runnable but waiting for a core "
          f"{figures['generator_waiting_for_cpu_seconds']:.1f} s")
    if figures["failures"]:
        print(f"  failed or refused requests/reconnections: {figures['failures']} "
              f"({', '.join(figures['failure_roles'])}) over "
              f"{figures['failure_window_seconds']:.2f} s from the first to the last")
        print("    by role, seconds into the load: " + "; ".join(
            f"{role} {first:.2f}-{last:.2f} s" for role, (first, last)
            in figures["failure_spans"].items()))
        print("    " + ", ".join(f"{what}: {count}"
                                  for what, count in figures["failure_kinds"].items()))
    if "kill" in figures:
        kill = figures["kill"]
        print(f"  kill -9 of {kill['killed']} at {kill['at_seconds']:.0f} s: its "
              f"{kill['sites_touched']} sites ({kill['takeovers_logged']} takeovers logged, "
              f"each {kill['takeover_median_ms']} ms median, {kill['takeover_max_ms']} ms "
              f"at most): "
              f"{kill['touched_served_again']} issued again, the median after "
              f"{kill['median_touched_site_seconds']} s, the slowest after "
              f"{kill['slowest_touched_site_seconds']} s; {kill['sites_served_after']} of "
              f"{kill['sites']} sites issued after the kill")
        print("  the last connection back after the kill: " + ", ".join(
            f"{role} {seconds:.2f} s" for role, seconds in kill["last_back_seconds"].items()))


def parse_plan(arguments: Sequence[str] | None = None) -> tuple[Plan, argparse.Namespace]:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="10 sites for 15 s (under a minute in all)")
    parser.add_argument("--sites", type=int, help="centres (default 100; --quick 10)")
    parser.add_argument("--counters", type=int, default=10, help="counters per site")
    parser.add_argument("--kiosks", type=int, default=2, help="kiosks per site")
    parser.add_argument("--displays", type=int, default=2, help="displays per site")
    parser.add_argument("--rate", type=float, default=4000.0,
                        help="tickets an hour at each site (default 4,000)")
    parser.add_argument("--seconds", type=float, help="load time (default 90; --quick 15)")
    parser.add_argument("--service-seconds", type=float, default=2.0,
                        help="a counter's average time from call to finish")
    parser.add_argument("--processes", type=int, default=1,
                        help="server processes; more than 1 needs PostgreSQL")
    parser.add_argument("--postgres", action="store_true",
                        help=f"PostgreSQL even with one process (needs {POSTGRES_VARIABLE})")
    parser.add_argument("--kill", action="store_true",
                        help="kill -9 the first server process halfway (2+ processes)")
    parser.add_argument("--workers", type=int, default=2, help="load generator processes")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--login-cost", type=int, default=SHIPPED_LOGIN_COST,
                        help="scrypt N of the officers' password hashes (default: as shipped, "
                             f"{SHIPPED_LOGIN_COST}); a lower one shows what the counters' "
                             "logins cost after a failover")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--logs", type=Path,
                        help="copy the server processes' logs into this folder at the end")
    options = parser.parse_args(arguments)
    sites = options.sites or (10 if options.quick else 100)
    seconds = options.seconds or (15.0 if options.quick else 90.0)
    if options.kill and options.processes < 2:
        parser.error("--kill needs --processes 2 or more")
    if min(sites, options.counters, options.kiosks, options.displays, options.workers) < 1:
        parser.error("--sites, --counters, --kiosks, --displays and --workers must be 1 or more")
    if options.login_cost < 2 or options.login_cost & (options.login_cost - 1):
        parser.error("--login-cost must be a power of 2")
    if options.rate <= 0 or seconds <= 0 or options.service_seconds < 0:
        parser.error("--rate and --seconds must be positive, --service-seconds not negative")
    plan = Plan(sites, options.counters, options.kiosks, options.displays, options.rate,
                seconds, options.service_seconds, options.processes, options.kill,
                min(options.workers, sites), options.seed, options.login_cost)
    return plan, options


def main() -> None:
    plan, options = parse_plan()
    with tempfile.TemporaryDirectory(prefix="province-") as folder:
        directory = Path(folder)
        if plan.processes > 1 or options.postgres:
            admin_url = os.environ.get(POSTGRES_VARIABLE)
            if not admin_url:
                sys.exit(f"PostgreSQL is needed: set {POSTGRES_VARIABLE}")
            with fresh_postgres_database(admin_url) as url:
                figures = run(plan, url, directory)
        else:
            figures = run(plan, f"sqlite:///{directory / 'province.sqlite3'}", directory)
        if options.logs is not None:
            options.logs.mkdir(parents=True, exist_ok=True)
            for log in directory.glob("*/server.log"):
                shutil.copyfile(log, options.logs / f"{log.parent.name}.log")
    print_figures(figures)
    if options.json is not None:
        options.json.write_text(json.dumps(figures, indent=2), "utf-8")


if __name__ == "__main__":
    main()
