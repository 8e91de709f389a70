"""A real ``qms server`` process for the operations tests, on the demo configuration (on
127.0.0.1, where its published tokens are allowed) and a database of the test's own."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DEMO_CONFIG = ROOT / "server" / "config" / "demo.toml"
DEMO_SITE = "hcc-tinh"
DEMO_KIOSK_TOKEN = "demo-kiosk-token-0001"


@dataclass
class ServerProcess:
    """A started ``qms server``: its process, WebSocket address and the lines it printed."""

    process: asyncio.subprocess.Process
    ws_url: str
    lines: list[str] = field(default_factory=list)

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.terminate()
        return await asyncio.wait_for(self.process.wait(), 60)


async def start_qms_server(database_url: str, data_directory: Path,
                           environment: dict[str, str] | None = None) -> ServerProcess:
    """Start ``qms server`` and return once it listens (its log says where)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "server", "--config", str(DEMO_CONFIG),
        "--host", "127.0.0.1", "--port", "0", "--data-dir", str(data_directory),
        "--db", database_url, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, env=environment or dict(os.environ))
    assert process.stdout is not None
    lines: list[str] = []
    async with asyncio.timeout(60):
        while True:
            line = (await process.stdout.readline()).decode()
            assert line, "the server exited: " + "".join(lines)
            lines.append(line)
            found = re.search(r"listening on http://\S+ \(WebSocket (ws://\S+)\)", line)
            if found:
                return ServerProcess(process, found.group(1), lines)


class Qms:
    """Runs ``qms`` as real processes; the servers it started are stopped at the end."""

    def __init__(self) -> None:
        self.started: list[ServerProcess] = []

    async def server(self, database_url: str, data_directory: Path,
                     environment: dict[str, str] | None = None) -> ServerProcess:
        server = await start_qms_server(database_url, data_directory, environment)
        self.started.append(server)
        return server

    async def run(self, *arguments: str | Path,
                  environment: dict[str, str] | None = None) -> tuple[int, str, str]:
        """Run ``qms ARGUMENTS`` to its end: (exit status, stdout, stderr)."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server.cli", *(str(argument) for argument in arguments),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=environment or dict(os.environ))
        output, errors = await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode is not None
        return process.returncode, output.decode(), errors.decode()


@pytest.fixture
async def qms() -> AsyncIterator[Qms]:
    runner = Qms()
    yield runner
    for server in runner.started:
        await server.stop()
