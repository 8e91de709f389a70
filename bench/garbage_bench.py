"""What the server's clock-driven collector leaves frozen that is garbage (server/app/garbage.py).

    python bench/garbage_bench.py              # 100 rounds
    python bench/garbage_bench.py --rounds 20  # a quick look

The server freezes what each one-second collection finds alive; a reference cycle that dies
after that waits for the next whole collection (03:00, or when the frozen objects doubled).
Here a real server runs in this process with the policy as ``qms server`` sets it (the keeper
collecting every 0.2 s, to freeze often). Each round a kiosk and a lobby display connect, the
kiosk issues 10 tickets, an admin connection at counter 1 calls, starts and finishes each,
and both leave. Then one whole collection: the objects it frees were frozen garbage. Printed:
the frozen objects' growth per ticket (what the day's tickets keep alive), the garbage found
per connection and per ticket, and how long the whole collection held the server.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
import uuid
from pathlib import Path

from server_bench import ADMIN_TOKEN, DISPLAY_TOKEN, KIOSK_TOKEN, SITE, bench_config

from server.app.garbage import GarbageKeeper, tune_garbage_collector
from server.app.serve import start_server
from server.config import load_settings
from server.protocol.client import ProtocolClient

TICKETS_PER_ROUND = 10
SERVICE = "SB"  # one of counter 1's services in the bench site


async def run(rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="garbage-") as folder:
        directory = Path(folder)
        settings = load_settings(bench_config(directory))
        server = await start_server(settings, host="127.0.0.1", port=0,
                                    database_url=f"sqlite:///{directory / 'bench.sqlite3'}")
        tune_garbage_collector()
        keeper = GarbageKeeper(server.service.clock)
        collecting = asyncio.get_running_loop().create_task(keeper.run(interval=0.2))
        admin = ProtocolClient(server.ws_url, "admin", ADMIN_TOKEN, SITE)
        await admin.connect()
        await admin.request("login", counter="1")
        gc.collect()
        frozen_before = gc.get_freeze_count()
        started = time.monotonic()
        for _ in range(rounds):
            kiosk = ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE)
            display = ProtocolClient(server.ws_url, "display", DISPLAY_TOKEN, SITE)
            await kiosk.connect()
            await display.connect()
            for _ in range(TICKETS_PER_ROUND):
                await kiosk.request("issue", service=SERVICE, request_key=str(uuid.uuid4()))
                for action in ("call_next", "start", "finish"):
                    await admin.request(action, as_counter="1")
            await kiosk.close()
            await display.close()
        # A collection or two after the last round: what is left alive is frozen.
        gc.collect()
        frozen_after = gc.get_freeze_count()
        freed, seconds = keeper.collect_whole()
        collecting.cancel()
        await admin.close()
        await server.stop()
    tickets = rounds * TICKETS_PER_ROUND
    connections = rounds * 2
    print(f"{rounds} rounds in {time.monotonic() - started:.1f} s: {connections} connections "
          f"opened and closed, {tickets} tickets issued and served")
    print(f"  frozen objects {frozen_before:,} -> {frozen_after:,}: "
          f"{(frozen_after - frozen_before) / tickets:.1f} per ticket kept alive or trapped")
    print(f"  the whole collection freed {freed:,} objects ({freed / connections:.1f} per "
          f"connection, {freed / tickets:.2f} per ticket) in {seconds * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    options = parser.parse_args()
    if options.rounds < 1:
        parser.error("--rounds must be at least 1")
    asyncio.run(run(options.rounds))


if __name__ == "__main__":
    main()
