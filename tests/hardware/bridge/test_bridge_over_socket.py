"""``qms bridge`` over ``socket://``, the way the demo runs it: the device emulator as its own
process in ``--listen`` mode, the bridge as its own process (``python -m server.cli bridge``)
with a map file, and a real server in the test. Keys are typed on the emulator's console;
what its LED board and pad show is read from its output. The map names the pad's keys by
label, as the demo's does, and the emulator is told the same labels.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from support.bridge import event_where

from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient

WAIT = 20.0
MAP = """\
bus = "test-bus"

[[devices]]
address = 0x11
kind = "keypad"
counter = "1"

[[devices]]
address = 0x21
kind = "led_board"
counter = "1"
label = "Q1"

[[devices]]
address = 0x31
kind = "rating_pad"
counter = "1"
keys = ["Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"]
"""
PAD_LABELS = ("Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng")


class EmulatorProcess:
    """The emulator's process: :meth:`type` writes a console line, :meth:`line_matching`
    waits for an output line (every line is kept, so none is missed between waits)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._read = 0

    async def line_matching(self, pattern: str) -> re.Match[str]:
        """The first unread output line matching ``pattern``; earlier unread ones are skipped."""
        assert self.process.stdout is not None
        async with asyncio.timeout(WAIT):
            while True:
                while self._read < len(self.lines):
                    line = self.lines[self._read]
                    self._read += 1
                    found = re.search(pattern, line)
                    if found:
                        return found
                raw = await self.process.stdout.readline()
                assert raw, "the emulator exited:\n" + "".join(self.lines)
                self.lines.append(raw.decode())

    async def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorProcess]:
    if sys.platform == "win32":
        pytest.skip("the bridge is stopped with SIGTERM and must exit cleanly: POSIX only")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hardware.serial_bus.emulator", "--listen", "127.0.0.1:0",
        *(option for label in PAD_LABELS for option in ("--pad-label", label)),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    running = EmulatorProcess(process)
    try:
        yield running
    finally:
        with contextlib.suppress(ConnectionError):
            await running.type("q")
        try:
            await asyncio.wait_for(process.wait(), WAIT)
        except TimeoutError:
            process.kill()
            await process.wait()


@pytest.fixture
async def bridge_process(server: RunningServer, emulator: EmulatorProcess, tmp_path: Path,
                         access: Any) -> AsyncIterator[asyncio.subprocess.Process]:
    """The bridge's process; its log is ``tmp_path / "bridge.log"``."""
    found = await emulator.line_matching(r"Waiting for the bus master on (socket://\S+)")
    map_file = tmp_path / "bus.toml"
    map_file.write_text(MAP, encoding="utf-8")
    log = (tmp_path / "bridge.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "bridge", "--server", server.ws_url,
        "--token", access.bridge_token, "--site", access.site, "--port", found.group(1),
        "--map", str(map_file), "--poll-interval", "0.02", stdout=log, stderr=log)
    try:
        yield process
    finally:
        process.terminate()  # SIGTERM: the bridge stops its threads and exits 0
        try:
            status = await asyncio.wait_for(process.wait(), WAIT)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
        finally:
            log.close()
        assert status == 0, (tmp_path / "bridge.log").read_text(encoding="utf-8")


async def test_qms_bridge_drives_the_emulator_over_socket(
        bridge_process: asyncio.subprocess.Process, emulator: EmulatorProcess,
        connect: Callable[..., Any], tmp_path: Path) -> None:
    # The bridge sets the pad's scale once it has the server's snapshot: both links are up.
    await emulator.line_matching(r"pad 0x31: off, keys 1\.\.4")
    admin: ProtocolClient = await connect("admin")
    kiosk: ProtocolClient = await connect("kiosk")
    number = (await kiosk.request("issue", service="DD-NOP",
                                  request_key=str(uuid.uuid4())))["ticket"]["number"]

    await emulator.type("n")
    called = await event_where(admin, "ticket.called", lambda data: data["counter"] == "1", WAIT)
    assert called.data["number"] == number
    await emulator.line_matching(rf"LED 0x21: {number} -> Q1")

    await emulator.type("f")
    done = await event_where(admin, "ticket.done", lambda data: data["counter"] == "1", WAIT)
    await emulator.line_matching(
        r"pad 0x31: lit for 30 s, keys 1\.\.4: 1 Không hài lòng · 2 Bình thường · "
        r"3 Hài lòng · 4 Rất hài lòng")
    await emulator.type("4")
    # The key's label is echoed where it was pressed and in the bridge's log, and stored.
    await emulator.line_matching(r"pad: key 4 = Rất hài lòng")
    rating = await admin.next_event("rating.received", timeout=WAIT)
    assert (rating.data["ticket_id"], rating.data["score"], rating.data["label"]) == (
        done.data["id"], 4, "Rất hài lòng")
    bridge_log = (tmp_path / "bridge.log").read_text(encoding="utf-8")
    assert f'key 4 = 4 "Rất hài lòng" for ticket {done.data["id"]}' in bridge_log
