"""Real ``qms server`` processes for the failover tests: several on one PostgreSQL database,
each with its own configuration file, port and public URL, started, killed (``kill -9``) and
started again; their log lines are followed as they come, so a test waits on what a process
says (listening, a site taken over) rather than on a clock."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.app.runtime import Clock
from server.app.serve import RunningServer, start_server, system_clock
from server.config import parse_settings
from server.config.toml_writer import toml_text
from support.databases import fresh_postgres_database
from support.servers import free_port, site_config

ROOT = Path(__file__).resolve().parents[2]
TAKEN_OVER = re.compile(r"site (\S+) taken over \(epoch (\d+)\)")


def site_codes(count: int) -> tuple[str, ...]:
    return tuple(f"px-{chr(ord('a') + index)}" for index in range(count))


def token(role: str, site: str) -> str:
    """Each site's own device tokens (tokens are unique across a deployment)."""
    return f"{role}-token-{site}"


def deployment_config(sites: Sequence[str], port: int, preferred: Sequence[str],
                      database_url: str, data_dir: Path) -> dict[str, Any]:
    """One process's configuration: the test site copied under each code in ``sites``
    (with its own tokens), and this process's ``[server]`` table."""
    config = site_config(port=port, public_url=f"http://127.0.0.1:{port}",
                         database_url=database_url, data_dir=str(data_dir),
                         sites=list(preferred))
    template = config["sites"][0]
    config["sites"] = []
    for code in sites:
        site = {**template, "code": code, "name_en": f"Centre {code}"}
        site["tokens"] = [{"name": item["name"], "role": item["role"],
                           "token": token(item["role"], code),
                           **({"counters": item["counters"]} if "counters" in item else {})}
                          for item in template["tokens"]]
        config["sites"].append(site)
    return config


@dataclass
class Takeover:
    """A ``site ... taken over`` line: which process, which site, its epoch, and when it
    came (``time.monotonic``)."""

    process: str
    site: str
    epoch: int
    at: float


@dataclass
class Logs:
    """Every line of every process, and the takeovers among them; waiters are woken at each
    line."""

    lines: list[tuple[str, str]] = field(default_factory=list)
    takeovers: list[Takeover] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def add(self, process: str, line: str) -> None:
        found = TAKEN_OVER.search(line)
        async with self.changed:
            self.lines.append((process, line))
            if found:
                self.takeovers.append(Takeover(process, found.group(1), int(found.group(2)),
                                               time.monotonic()))
            self.changed.notify_all()

    async def takeover(self, site: str, after: float, by: str | None = None,
                       timeout: float = 15.0) -> Takeover:
        """The first takeover of ``site`` after ``after`` (by ``by`` when given)."""
        def found() -> Takeover | None:
            return next((item for item in self.takeovers if item.site == site
                         and item.at > after and by in (None, item.process)), None)

        async with asyncio.timeout(timeout), self.changed:
            await self.changed.wait_for(lambda: found() is not None)
        result = found()
        assert result is not None
        return result

    async def line(self, process: str, pattern: str, after: int = 0,
                   timeout: float = 60.0) -> re.Match[str]:
        """The first line of ``process`` from index ``after`` on matching ``pattern``."""
        expression = re.compile(pattern)

        def found() -> re.Match[str] | None:
            for name, line in self.lines[after:]:
                if name == process and (match := expression.search(line)):
                    return match
            return None

        async with asyncio.timeout(timeout), self.changed:
            await self.changed.wait_for(lambda: found() is not None)
        result = found()
        assert result is not None
        return result

    def owner(self, site: str) -> str | None:
        """The process that took ``site`` last."""
        taken = [item for item in self.takeovers if item.site == site]
        return taken[-1].process if taken else None


class ServerProcess:
    """One ``qms server`` process (``python -m server.cli server``) of the deployment."""

    def __init__(self, name: str, directory: Path, sites: Sequence[str],
                 preferred: Sequence[str], database_url: str, logs: Logs) -> None:
        self.name = name
        self.port = free_port()
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        self.public_url = f"http://127.0.0.1:{self.port}"
        self.logs = logs
        directory.mkdir(parents=True, exist_ok=True)
        self.config = directory / "centre.toml"
        self.config.write_text(toml_text(deployment_config(
            sites, self.port, preferred, database_url, directory / "data")), "utf-8")
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start it; returns once it listens."""
        environment = {**os.environ, "PYTHONPATH": str(ROOT)}
        environment.pop("JOURNAL_STREAM", None)
        mark = len(self.logs.lines)
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server.cli", "server", "--config", str(self.config),
            "--log-level", "INFO", stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            env=environment, cwd=str(ROOT))
        self._reader = asyncio.get_running_loop().create_task(self._read(self.process))
        listening = asyncio.ensure_future(self.logs.line(self.name, r"listening on ",
                                                         after=mark))
        exited = asyncio.ensure_future(self.process.wait())
        await asyncio.wait((listening, exited), return_when=asyncio.FIRST_COMPLETED)
        if not listening.done():
            listening.cancel()
            await self._reader
            output = "\n".join(line for name, line in self.logs.lines[mark:]
                                if name == self.name)
            raise AssertionError(f"{self.name} exited ({self.process.returncode}) before "
                                 f"listening:\n{output}")
        exited.cancel()
        listening.result()

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        while line := await process.stderr.readline():
            await self.logs.add(self.name, line.decode("utf-8", "replace").rstrip())

    def kill(self) -> float:
        """``kill -9``; returns when it was sent (``time.monotonic``)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        return time.monotonic()

    async def wait_gone(self) -> None:
        if self.process is not None:
            await asyncio.wait_for(self.process.wait(), 30)
        if self._reader is not None:
            await self._reader

    async def stop(self) -> None:
        """Stop it as a service manager does (SIGTERM), or kill it if it will not go."""
        process = self.process
        if process is None or process.returncode is not None:
            await self.wait_gone()
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
        await self.wait_gone()


async def until_ownership(condition: Callable[[], bool], servers: Sequence[Any],
                          timeout: float = 15.0) -> None:
    """Wait for ``condition`` about in-process ``servers`` (``RunningServer``), looking again
    after each one's look at the database (site ownership changes only then)."""
    async with asyncio.timeout(timeout):
        while not condition():
            ticks = [asyncio.ensure_future(running.service.ownership.next_tick())
                     for running in servers if running.service.ownership is not None]
            await asyncio.wait(ticks, return_when=asyncio.FIRST_COMPLETED)
            for tick in ticks:
                tick.cancel()


@dataclass
class TwoServers:
    """Two servers in this process on one PostgreSQL database (``url``): ``first`` serves
    px-a, ``second`` px-b; ``running``: those not stopped yet."""

    first: RunningServer
    second: RunningServer
    url: str
    running: list[RunningServer]

    async def stop(self, server: RunningServer) -> None:
        """Stop ``server`` now (its sites go to the other); the end does not stop it again."""
        self.running.remove(server)
        await server.stop()


@contextlib.asynccontextmanager
async def two_servers(clock: Clock = system_clock,
                      configure: Callable[[dict[str, Any]], None] | None = None
                      ) -> AsyncIterator[TwoServers]:
    """:class:`TwoServers` on a fresh PostgreSQL database (the test is skipped without one),
    each process's configuration of sites px-a and px-b first edited by ``configure``; yielded
    once each serves its own site, stopped at the end."""
    with fresh_postgres_database() as url:
        running: list[RunningServer] = []
        try:
            for preferred in (["px-a"], []):
                config = deployment_config(("px-a", "px-b"), 0, preferred, "", Path("data"))
                if configure is not None:
                    configure(config)
                running.append(await start_server(parse_settings(config), host="127.0.0.1",
                                                  port=0, database_url=url, clock=clock))
            first, second = running
            await until_ownership(lambda: set(first.service.sites) == {"px-a"}
                                  and set(second.service.sites) == {"px-b"}, running)
            yield TwoServers(first, second, url, running)
        finally:
            for server in list(running):
                await server.stop()
