"""Fixtures of the supervisor tests: a supervised client of the real server (recording every
call of its listener) and a TCP proxy that can cut the link or stop forwarding.

The server (the shared ``server`` fixture) and the proxy run on the test's asyncio loop; the
supervisor runs its own thread, and the recorder hands each call over to the test's loop,
where the test awaits the one it expects. The helpers are in ``supervision.py``.
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from support.servers import ADMIN_TOKEN, SITE

# This folder's helper module imports by its bare name (the folder is not a package).
sys.path.insert(0, str(Path(__file__).parent))

from supervision import CuttableProxy, Recorder, Supervised

from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient
from server.protocol.supervisor import ClientSupervisor, SupervisorSettings


@pytest.fixture
async def supervise() -> AsyncIterator[Callable[..., Supervised]]:
    """``supervise(url, role="admin", token=ADMIN_TOKEN, subscribe=None, **settings)``: a
    started supervisor of a client of ``url``, with quick seeded back-off; stopped at the end.
    """
    started: list[Supervised] = []
    loop = asyncio.get_running_loop()

    def start(url: str, role: str = "admin", token: str = ADMIN_TOKEN,
              subscribe: list[str] | None = None, **options: Any) -> Supervised:
        values: dict[str, Any] = {"reconnect_min_seconds": 0.02, "reconnect_max_seconds": 0.1}
        values.update(options)
        recorder = Recorder(loop)
        client = ProtocolClient(url, role, token, SITE, subscribe=subscribe, open_timeout=5.0)
        supervisor = ClientSupervisor(client, SupervisorSettings(**values), recorder,
                                      name="test-supervisor", chooser=random.Random(7))
        supervisor.start()
        started.append(Supervised(supervisor, recorder))
        return started[-1]

    yield start
    for item in started:
        await item.stop()


@pytest.fixture
async def proxy(server: RunningServer) -> AsyncIterator[CuttableProxy]:
    """A :class:`CuttableProxy` in front of the ``server`` fixture's port."""
    cuttable = CuttableProxy(server.port)
    await cuttable.open()
    yield cuttable
    await cuttable.cut()
