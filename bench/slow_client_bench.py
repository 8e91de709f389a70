"""Server memory while clients that stopped reading stay connected, and after they go.

    python bench/slow_client_bench.py                       # this checkout's server
    python bench/slow_client_bench.py --checkout /tmp/old   # another commit's (a worktree)
    python bench/slow_client_bench.py --quick               # a shorter flood

A kiosk connection subscribed to every event whose owner stops reading (a frozen machine, an
attacker) is owed every event of its site. The server must bound what it holds for it (in
bytes, not only in frames), let it go, and give the memory back when it goes. Here: the bench
site with its default queue limits and 10 honest kiosks issuing 200 tickets/s (20 a second
each, under the per-connection rate limit) for 30 s: once with every client reading (the
control: the day's tickets grow the server by themselves), then with 8 more kiosks that said
hello and never read again, each asking for the whole site (``snapshot``) 20 times a second,
under the rate limit. Prints the server's resident memory (with its writer process; medians
of samples, the peak of the second flood), what the stalled clients cost on top of the
control, and how many stalled connections the server still held a minute after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from server_bench import (
    ADMIN_TOKEN,
    KIOSK_TOKEN,
    SITE,
    bench_config,
    free_port,
    light_client,
    resident_mb,
    start_server,
)

LETTERS = "ABCDEGHKLMNPQRSTUVXY"  # the bench site's services: SA, SB, ...
STALLED = 8
KIOSKS = 10
RATE_PER_KIOSK = 20.0


def stalled_kiosk(port: int) -> socket.socket:
    """A kiosk subscribed to every event, with a 4 KB receive buffer, that reads nothing
    after the handshake (blocking: run in a thread)."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", port))
    raw.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                b"\r\n")
    assert raw.recv(4096).startswith(b"HTTP/1.1 101")
    payload = json.dumps({"type": "hello", "id": 1, "protocol": 1, "role": "kiosk",
                          "token": KIOSK_TOKEN, "site": SITE}).encode()
    length = bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
    raw.sendall(b"\x81" + length + b"\0\0\0\0" + payload)
    return raw


def ask_for_snapshots(raw: socket.socket, per_second: float, stop: threading.Event) -> None:
    """Send ``snapshot`` requests (each answered with the whole site) at ``per_second``,
    within the rate limit, and read none of the answers: the attack that made the server
    hold tens of MB per connection when its backlog was capped in frames only."""
    request_id = 2
    while not stop.wait(1.0 / per_second):
        payload = json.dumps({"type": "snapshot", "id": request_id}).encode()
        request_id += 1
        try:
            raw.sendall(b"\x81" + bytes([0x80 | len(payload)]) + b"\0\0\0\0" + payload)
        except OSError:
            return  # the server cut the connection


def connections(http_url: str) -> int:
    request = urllib.request.Request(f"{http_url}/health",
                                     headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            sites = json.load(answer).get("sites", [])
    except (OSError, ValueError):
        return -1
    return sum(int(site["connections"]) for site in sites)


def unlimited_health(http_url: str) -> int:
    """Connections per the server's /health (older servers answer without a token)."""
    try:
        with urllib.request.urlopen(f"{http_url}/health", timeout=5) as answer:
            sites = json.load(answer).get("sites", [])
    except (OSError, ValueError):
        return -1
    return sum(int(site["connections"]) for site in sites)


async def flood(url: str, seconds: float, tag: str) -> int:
    """Honest kiosks issuing at KIOSKS x RATE_PER_KIOSK a second for ``seconds``."""
    kiosks = [await light_client(url, "kiosk", KIOSK_TOKEN, subscribe=[])
              for _ in range(KIOSKS)]
    issued = 0
    started = time.monotonic()
    step = 1.0 / RATE_PER_KIOSK
    tick = 0
    while time.monotonic() - started < seconds:
        # Spread over the bench site's 20 services: each gives 999 numbers a day.
        replies = [kiosk.request("issue", service=f"S{LETTERS[(tick + index) % len(LETTERS)]}",
                                 request_key=f"{tag}-{tick}-{index}")
                   for index, kiosk in enumerate(kiosks)]
        await asyncio.gather(*replies)
        issued += len(replies)
        tick += 1
        await asyncio.sleep(max(0.0, started + tick * step - time.monotonic()))
    for kiosk in kiosks:
        kiosk.close()
    return issued


async def sample(pid: int, until: asyncio.Event, into: list[float]) -> None:
    while not until.is_set():
        into.append(resident_mb(pid))
        await asyncio.sleep(0.25)


async def steady(pid: int) -> float:
    """The median of a few samples of the server's resident memory, in MB."""
    samples = []
    for _ in range(8):
        samples.append(resident_mb(pid))
        await asyncio.sleep(0.25)
    return statistics.median(samples)


async def run(checkout: Path | None, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        config = bench_config(directory)
        # The server's own default queue limits: that is what is measured.
        config.write_text(config.read_text("utf-8").replace(
            "outgoing_queue_limit = 100000", ""), "utf-8")
        port = free_port()
        process = start_server(directory, port, config, checkout)
        url = f"ws://127.0.0.1:{port}/ws"
        http_url = f"http://127.0.0.1:{port}"
        try:
            await flood(url, 5.0, "warm")  # caches and the day's first tickets
            start = await steady(process.pid)
            # Control: the same flood with every client reading. The day's tickets grow the
            # server by themselves; only what comes on top is the stalled clients'.
            control_issued = await flood(url, seconds, "control")
            control = await steady(process.pid)
            stalled = [await asyncio.to_thread(stalled_kiosk, port) for _ in range(STALLED)]
            stop = threading.Event()
            askers = [threading.Thread(target=ask_for_snapshots, args=(raw, 20.0, stop),
                                       daemon=True) for raw in stalled]
            for asker in askers:
                asker.start()
            during: list[float] = []
            done = asyncio.Event()
            sampler = asyncio.get_running_loop().create_task(sample(process.pid, done, during))
            issued = await flood(url, seconds, "load")
            done.set()
            stop.set()
            await sampler
            # The stalled connections are let go; a server that cannot finish closing them
            # (a peer that reads nothing never drains its buffer) holds them.
            deadline = time.monotonic() + 60
            held = STALLED
            while time.monotonic() < deadline:
                held = max(connections(http_url), unlimited_health(http_url))
                if held == 0:
                    break
                await asyncio.sleep(0.5)
            after = await steady(process.pid)
            for raw in stalled:
                raw.close()
        finally:
            process.terminate()
            process.wait(30)
    tickets_growth = control - start
    stalled_growth = max(during) - control - tickets_growth
    print(f"server: {'this checkout' if checkout is None else checkout}")
    print(f"floods: {control_issued} tickets with every client reading, then {issued} with "
          f"{STALLED} kiosks not reading, each in {seconds:g} s from {KIOSKS} kiosks")
    print(f"resident memory (server + writer), MB: start {start:.0f}, after the control "
          f"flood {control:.0f}, peak with stalled clients {max(during):.0f}, after they "
          f"went {after:.0f}")
    print(f"held for the stalled clients at the peak (peak - control - the control's own "
          f"growth): {stalled_growth:.1f} MB, {stalled_growth / STALLED:.2f} MB per client")
    print(f"stalled connections still held {time.monotonic() - deadline + 60:.0f} s after "
          f"the flood: {max(held, 0)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", type=Path, help="run the server of this checkout")
    parser.add_argument("--quick", action="store_true", help="10 s floods instead of 30 s")
    arguments = parser.parse_args()
    asyncio.run(run(arguments.checkout, 10.0 if arguments.quick else 30.0))


if __name__ == "__main__":
    main()
