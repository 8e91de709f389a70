"""A real ``qms server`` process for the hostile-input suites, and the checks they share.

The server runs as its own process (``python -m server.cli server``) on a SQLite file, so a
crash is a process that exits, its log is the real one (every line of its stderr is kept and
searched for tracebacks and errors), and the attacking test's own work (generating input,
checking answers) runs on the machine's other core.

Its configuration: the test site with every kind of device token, a second site (a commune)
with tokens of its own (the wrong-site tokens), and web accounts of both sites.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import os
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect as websocket_connect

from server.config.toml_writer import toml_text
from support.servers import KIOSK_TOKEN, SITE, free_port, site_config
from support.web import MANAGER_HASH, OTHER_SITE, with_accounts

ROOT = Path(__file__).resolve().parents[2]

# The other site's device tokens, one per role: valid tokens, of the wrong site.
OTHER_TOKENS = {role: f"xa-{role}-token-0001" for role in ("kiosk", "counter", "display",
                                                            "bridge")}
# A third site, fed by its centre's own server: the token of that server's ``centre`` role.
CENTRE_SITE = "xa-trung-tam"
CENTRE_TOKEN = "xa-trung-tam-centre-token"
# Web accounts of the other site only: a manager and an administrator.
OTHER_MANAGER = "xa-giamdoc"
OTHER_ADMINISTRATOR = "xa-quantri"
# Tables that are append-only logs by design (docs/architecture.md, "Security"): an audit
# log records refused attempts too, so it is left out of "nothing changed".
APPEND_ONLY_PREFIXES = ("audit",)
# Lines of the server's log that mean something went wrong inside it.
_LOG_PROBLEM = re.compile(r"Traceback|\b(ERROR|CRITICAL)\b|Exception in ASGI")


def hostile_config(port: int, data_dir: Path) -> dict[str, Any]:
    """The test site and the other site, each with its own device tokens, and web accounts
    (``giamdoc``, ``quantri``, ``tinh`` of support.web, and the other site's own)."""
    config = site_config(port=port, public_url=f"http://127.0.0.1:{port}",
                         data_dir=str(data_dir))
    other = copy.deepcopy(config["sites"][0])
    other.update(code=OTHER_SITE, name_vi="Bộ phận Một cửa xã thử nghiệm",
                 name_en="Test commune")
    other["tokens"] = [{"name": role, "role": role, "token": token,
                        **({"counters": ["1"]} if role == "bridge" else {})}
                       for role, token in OTHER_TOKENS.items()]
    config["sites"].append(other)
    fed = copy.deepcopy(config["sites"][0])
    fed.update(code=CENTRE_SITE, name_vi="Bộ phận Một cửa xã có máy chủ riêng",
               forwarded_from_centre=True,
               tokens=[{"name": "centre", "role": "centre", "token": CENTRE_TOKEN}])
    config["sites"].append(fed)
    accounts = with_accounts(config)["accounts"]
    assert isinstance(accounts, list)
    accounts.extend([
        {"user": OTHER_MANAGER, "full_name": "Đỗ Văn Xã", "password_hash": MANAGER_HASH,
         "role": "manager", "sites": [OTHER_SITE]},
        {"user": OTHER_ADMINISTRATOR, "full_name": "Vũ Thị Xã", "password_hash": MANAGER_HASH,
         "role": "admin", "sites": [OTHER_SITE]},
    ])
    return config


class HostileServer:
    """One ``qms server`` process on a SQLite file under ``directory``; every line it logs
    is kept in :attr:`log`."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.http_url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        data = directory / "data"
        self.database_path = data / "qms.sqlite3"
        self.config_path = directory / "centre.toml"
        self.config_path.write_text(toml_text(hostile_config(self.port, data)), "utf-8")
        self.log: list[str] = []
        self._listening = asyncio.Event()
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start it; returns once it listens (its log says so)."""
        environment = {**os.environ, "PYTHONPATH": str(ROOT)}
        environment.pop("JOURNAL_STREAM", None)
        environment.pop("QMS_LOG_DIR", None)
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server.cli", "server", "--config", str(self.config_path),
            "--log-level", "INFO", stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            env=environment, cwd=str(ROOT))
        self._reader = asyncio.get_running_loop().create_task(self._read(self.process))
        exited = asyncio.ensure_future(self.process.wait())
        listening = asyncio.ensure_future(self._listening.wait())
        await asyncio.wait((listening, exited), timeout=60,
                           return_when=asyncio.FIRST_COMPLETED)
        exited.cancel()
        if not listening.done():
            listening.cancel()
            raise AssertionError("the server did not start:\n" + "\n".join(self.log))

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        while line := await process.stderr.readline():
            text = line.decode("utf-8", "replace").rstrip()
            self.log.append(text)
            if "listening on " in text:
                self._listening.set()

    def assert_alive(self) -> None:
        """The process has not exited."""
        assert self.process is not None
        assert self.process.returncode is None, (
            f"the server exited ({self.process.returncode}):\n" + "\n".join(self.log[-40:]))

    def log_problems(self) -> list[str]:
        """Lines of its log that tell of a traceback, an error or a failed request."""
        return [line for line in self.log if _LOG_PROBLEM.search(line)]

    async def stop(self) -> None:
        """Stop it as a service manager does (SIGTERM); its log is then complete."""
        process = self.process
        if process is None:
            return
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._reader is not None:
            await self._reader


def database_digest(database_path: Path) -> dict[str, tuple[int, str]]:
    """Each table's row count and a SHA-256 of its rows (sorted), straight from
    the SQLite file (append-only logs left out): two digests are equal only when no row was
    added, removed or changed."""
    with sqlite3.connect(f"file:{database_path}?mode=ro", uri=True) as connection:
        tables = [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name")
            if not name.startswith(APPEND_ONLY_PREFIXES)]
        digest: dict[str, tuple[int, str]] = {}
        for table in tables:
            rows = sorted(map(repr, connection.execute(f'SELECT * FROM "{table}"')))
            hashed = hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()
            digest[table] = (len(rows), hashed)
        return digest


def digest_changes(before: dict[str, tuple[int, str]],
                   after: dict[str, tuple[int, str]]) -> dict[str, Any]:
    """The tables whose rows differ: ``{table: (rows before, rows after)}``."""
    return {table: (before.get(table, (0, ""))[0], after.get(table, (0, ""))[0])
            for table in sorted(set(before) | set(after))
            if before.get(table) != after.get(table)}


async def honest_issue(ws_url: str, request_key: str, timeout: float = 5.0) -> tuple[
        dict[str, Any], float]:
    """An honest kiosk's press on a new connection: the ticket it got and the seconds from
    sending the issue to its reply (the hello is not counted)."""
    async with asyncio.timeout(timeout), websocket_connect(ws_url) as kiosk:
        await kiosk.send(json.dumps({"type": "hello", "id": 0, "protocol": 1, "role": "kiosk",
                                     "token": KIOSK_TOKEN, "site": SITE, "subscribe": []}))
        hello = json.loads(await kiosk.recv())
        assert hello["ok"], hello
        started = time.monotonic()
        await kiosk.send(json.dumps({"type": "issue", "id": 1, "service": "HT",
                                     "request_key": request_key}))
        while True:
            reply = json.loads(await kiosk.recv())
            if reply.get("type") == "reply":
                break
        latency = time.monotonic() - started
    assert reply["id"] == 1 and reply["ok"], reply
    return reply["result"]["ticket"], latency


def documented_error_codes(protocol_text: str) -> set[str]:
    """The error codes of the table under "## Errors" in docs/protocol.md."""
    part = protocol_text.split("\n## Errors", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", part, re.MULTILINE))


@dataclass(frozen=True)
class HttpAnswer:
    """An HTTP answer as it came: the status (0: the server closed without one), headers
    (names in lower case) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


async def raw_http(port: int, request: bytes, timeout: float = 20.0) -> HttpAnswer:
    """Send ``request`` exactly as given (method, target, headers and body bytes, which may be
    anything at all) on a new connection to 127.0.0.1, and read the answer to the end."""
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(request)
            await writer.drain()
            data = await reader.read()
        except ConnectionResetError:  # refused before the whole body was taken
            data = b""
        finally:
            writer.close()
            with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                await writer.wait_closed()
    return parse_http_answer(data)


def parse_http_answer(data: bytes) -> HttpAnswer:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/1.1 "):
        return HttpAnswer(0, {}, data)
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = _dechunked(body)
    return HttpAnswer(status, headers, body)


def _dechunked(body: bytes) -> bytes:
    whole = bytearray()
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        whole.extend(rest[:size])
        body = rest[size + 2:]
    return bytes(whole)


def http_request(method: bytes, target: bytes, headers: list[tuple[bytes, bytes]],
                 body: bytes = b"", content_length: int | None = None) -> bytes:
    """An HTTP/1.1 request's bytes, closing the connection after the answer; a
    ``content_length`` other than the body's length may be declared."""
    length = len(body) if content_length is None else content_length
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1",
             b"Connection: close", *(name + b": " + value for name, value in headers)]
    if body or content_length is not None or method == b"POST":
        lines.append(b"Content-Length: " + str(length).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@contextlib.contextmanager
def server_with_client_loop(folder: Path, name: str
                            ) -> Iterator[tuple[HostileServer, asyncio.AbstractEventLoop]]:
    """A :class:`HostileServer` in ``folder`` (not started yet: the caller's preparation
    starts it on the loop) and the client side's own event loop on a thread named ``name``
    (a hypothesis test is synchronous); the server is stopped and the loop closed after."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name=name, daemon=True)
    thread.start()
    server = HostileServer(folder)
    try:
        yield server, loop
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
