"""Where the processes log: the journal under systemd, else stderr and a rotating file; and
what a security review reads there (refused tokens with the address)."""

from __future__ import annotations

import asyncio
import io
import logging
import logging.handlers
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from support.servers import COUNTER_TOKEN, SITE

from server.app.serve import RunningServer
from server.logs import (
    QUIET_LOGGERS,
    ROTATE_BYTES,
    ROTATED_FILES,
    JournalFormatter,
    journal_is_stderr,
)
from server.protocol.client import ProtocolClient, RequestFailed

ROOT = Path(__file__).resolve().parents[3]
DEMO_CONFIG = ROOT / "server" / "config" / "demo.toml"


def test_the_journal_is_recognised_by_the_stream_it_names(tmp_path: Path) -> None:
    with (tmp_path / "stderr").open("w") as stream:
        status = os.fstat(stream.fileno())
        named = {"JOURNAL_STREAM": f"{status.st_dev}:{status.st_ino}"}
        assert journal_is_stderr(named, stream)
        # Inherited by a child whose stderr went elsewhere: not the journal.
        with (tmp_path / "other").open("w") as other:
            assert not journal_is_stderr(named, other)
        assert not journal_is_stderr({}, stream)
        assert not journal_is_stderr(named, None)  # pythonw: no stderr at all


def test_a_journal_line_carries_its_priority_and_no_time() -> None:
    record = logging.LogRecord("server.app.session", logging.WARNING, __file__, 1,
                               "refused a %s hello from %s", ("kiosk", "192.0.2.7"), None)
    assert JournalFormatter().format(record) == (
        "<4>WARNING server.app.session: refused a kiosk hello from 192.0.2.7")


def _server_until_listening(tmp_path: Path, environment: dict[str, str]) -> list[str]:
    """Run ``qms server`` with a pipe of our own as its stderr (so ``JOURNAL_STREAM`` can
    name it) until it says where it listens, then stop it; what it wrote there."""
    reading, writing = os.pipe()
    status = os.fstat(writing)
    if environment.get("JOURNAL_STREAM") == "this pipe":
        environment["JOURNAL_STREAM"] = f"{status.st_dev}:{status.st_ino}"
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "server", "--config", str(DEMO_CONFIG),
         "--host", "127.0.0.1", "--port", "0", "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.DEVNULL, stderr=writing, env=environment)
    os.close(writing)
    lines: list[str] = []
    with os.fdopen(reading, encoding="utf-8") as stream:
        try:
            for line in stream:  # ends early only if the server exits
                lines.append(line.rstrip("\n"))
                found = re.search(r"listening on (http://\S+)", line)
                if found:
                    # Once /health answers, the server's loop runs and it stops cleanly on
                    # SIGTERM; sent sooner, the default action would cut it mid-write.
                    with urllib.request.urlopen(f"{found.group(1)}/health", timeout=30):
                        pass
                    break
        finally:
            process.terminate()
            assert process.wait(60) == 0, lines
    return lines


async def test_the_server_logs_to_the_journal_under_systemd(tmp_path: Path) -> None:
    environment = {**os.environ, "JOURNAL_STREAM": "this pipe"}
    environment.pop("QMS_LOG_DIR", None)
    lines = await asyncio.to_thread(_server_until_listening, tmp_path, environment)
    assert lines[-1].startswith("<6>INFO server.app.serve: listening on http://127.0.0.1:"), \
        lines
    assert not (tmp_path / "data" / "logs" / "server.log").exists()


async def test_otherwise_the_server_logs_to_stderr_and_a_file_in_its_data_directory(
    tmp_path: Path
) -> None:
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("JOURNAL_STREAM", "QMS_LOG_DIR")}
    lines = await asyncio.to_thread(_server_until_listening, tmp_path, environment)
    assert lines[-1][:4].isdigit() and " INFO server.app.serve: listening" in lines[-1]
    in_file = (tmp_path / "data" / "logs" / "server.log").read_text("utf-8").splitlines()
    assert lines[-1] in in_file


def test_the_file_rotates(tmp_path: Path) -> None:
    """The file handler configure_logging installs rotates at its size, keeping 5."""
    from server.logs import configure_logging

    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = []  # as in a fresh process (pytest's own handlers set aside)
    try:
        path = configure_logging("kiosk", logging.INFO, None,
                                 {"QMS_LOG_DIR": str(tmp_path)}, io.StringIO())
        assert path == tmp_path / "kiosk.log"
        rotating = [handler for handler in root.handlers
                    if isinstance(handler, logging.handlers.RotatingFileHandler)]
        assert len(rotating) == 1
        assert (rotating[0].maxBytes, rotating[0].backupCount) == (ROTATE_BYTES, ROTATED_FILES)
        # A second call (once the data directory is known) replaces, never doubles.
        configure_logging("kiosk", logging.INFO, None, {"QMS_LOG_DIR": str(tmp_path)},
                          io.StringIO())
        assert len(root.handlers) == 2
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers = saved


async def test_a_refused_token_is_logged_with_the_address(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    with pytest.raises(RequestFailed):
        async with ProtocolClient(server.ws_url, "kiosk", "not-a-token-0000", SITE):
            pass
    with pytest.raises(RequestFailed):
        async with ProtocolClient(server.ws_url, "manager", "not-a-ticket-0000", SITE):
            pass
    refused = [record.getMessage() for record in caplog.records
               if record.getMessage().startswith("refused a ")]
    assert len(refused) == 2, refused
    assert refused[0] == f"refused a kiosk hello from 127.0.0.1: token not valid at site " \
                         f"{SITE!r}"
    assert "manager hello from 127.0.0.1" in refused[1]


async def test_a_debug_log_level_writes_no_frame_and_so_no_secret(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    """websockets logs every frame at DEBUG (on the clients' side under ``websockets``, on
    the server's under ``uvicorn.error``): a login's password shows at the end of its frame.
    The server's logging keeps those loggers at INFO whatever level is asked for."""
    password = "pw-leak-42"
    before = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}

    async def log_in() -> None:
        async with ProtocolClient(server.ws_url, "counter", COUNTER_TOKEN, SITE) as counter:
            with pytest.raises(RequestFailed):
                await counter.request("login", counter="3", user="minh", password=password)

    caplog.set_level(logging.DEBUG)
    try:
        # Without the quiet levels every frame is logged, the password with it.
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.DEBUG)
        await log_in()
        assert " TEXT '" in caplog.text and password in caplog.text
        caplog.clear()
        for name, level in QUIET_LOGGERS.items():
            logging.getLogger(name).setLevel(level)
        await log_in()
        assert "failed sign-in of 'minh' at counter 3" in caplog.text  # still logging
        assert " TEXT '" not in caplog.text and password not in caplog.text
    finally:
        for name, level in before.items():
            logging.getLogger(name).setLevel(level)
