"""The qms command, run as a real process."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from server.cli import main
from server.protocol.client import ProtocolClient

EXTRA_ADMIN_TOKEN = "env-admin-token-000001"
DEMO_CONFIG = str(Path(__file__).resolve().parents[2] / "server" / "config" / "demo.toml")


def test_wrong_config_stops_the_start_naming_the_key(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "centre.toml"
    config.write_text('[server]\nport = "tám"\n', "utf-8")
    assert main(["server", "--config", str(config), "--data-dir", str(tmp_path)]) == 2
    assert "server.port: must be a whole number, got 'tám'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("database_url", "words"),
    [
        ("nonsense://x", "database URL 'nonsense://x': Can't load plugin"),
        ("sqlite:///", "needs a file path"),
        ("postgresql://qms:very-secret@127.0.0.1:1/qms",
         "cannot open the database 'postgresql+psycopg://qms:***@127.0.0.1:1/qms'"),
    ],
)
def test_an_unusable_database_stops_the_start_with_a_plain_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str, words: str
) -> None:
    assert main(["server", "--config", DEMO_CONFIG, "--db", database_url, "--port", "0",
                 "--data-dir", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("qms: database error: ") and words in error
    assert "very-secret" not in error and "Traceback" not in error


def test_a_server_without_a_configuration_refuses_to_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["server", "--port", "0", "--data-dir", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "--config: is required" in error and "qms demo" in error


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda text: text, "server.secret"),
        (lambda text: text.replace('secret = "Zl-4', 'secret = "own-secret-Zl-4'),
         "server.admin_tokens[0]"),
        (lambda text: text.replace('secret = "Zl-4', 'secret = "own-secret-Zl-4')
         .replace('admin_tokens = ["demo-admin-token-0001"]', "admin_tokens = []"),
         "sites[0].tokens[0].token"),
        (lambda text: text.replace('secret = "Zl-4', 'secret = "own-secret-Zl-4')
         .replace('admin_tokens = ["demo-admin-token-0001"]', "admin_tokens = []")
         .replace('token = "demo-', 'token = "own-'),
         "sites[0].officers[0].password_hash"),
    ],
)
def test_the_demos_published_secrets_are_refused_off_loopback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, key: str
) -> None:
    config = tmp_path / "centre.toml"
    config.write_text(change(Path(DEMO_CONFIG).read_text("utf-8")).replace(
        'public_url = "http://127.0.0.1:8765"', 'public_url = "http://192.0.2.10:8765"'),
        "utf-8")
    arguments = ["server", "--config", str(config), "--data-dir", str(tmp_path),
                 "--host", "0.0.0.0"]
    assert main(arguments) == 2
    error = capsys.readouterr().err
    assert f"{key}: is the demo's published value" in error
    assert "127.0.0.1" in error


def test_hash_password_prints_a_verifiable_hash(capsys: pytest.CaptureFixture[str]) -> None:
    from server.security import verify_password

    assert main(["hash-password", "mat-khau-dai"]) == 0
    assert verify_password("mat-khau-dai", capsys.readouterr().out.strip())


async def _start(arguments: list[str], environment: dict[str, str]) -> tuple[
        asyncio.subprocess.Process, str, list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", *arguments,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=environment)
    assert process.stdout is not None
    lines: list[str] = []
    async with asyncio.timeout(60):
        while True:
            line = (await process.stdout.readline()).decode()
            assert line, "the server exited: " + "".join(lines)
            lines.append(line)
            found = re.search(r"listening on (http://\S+) \(WebSocket (ws://\S+)\)", line)
            if found:
                return process, found.group(2), lines


async def test_server_logs_address_and_database_and_accepts_env_admin_token(
    tmp_path: Path
) -> None:
    database = tmp_path / "centre.sqlite3"
    environment = {**os.environ, "QMS_ADMIN_TOKEN": EXTRA_ADMIN_TOKEN}
    process, ws_url, lines = await _start(
        ["server", "--config", DEMO_CONFIG, "--port", "0", "--host", "127.0.0.1",
         "--data-dir", str(tmp_path), "--db", f"sqlite:///{database}"], environment)
    try:
        assert any(str(database) in line for line in lines)
        async with ProtocolClient(ws_url, "admin", EXTRA_ADMIN_TOKEN, "hcc-tinh") as admin:
            assert admin.hello_result["role"] == "admin"
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 30) == 0


async def test_server_stops_with_an_error_when_its_writer_process_dies(tmp_path: Path) -> None:
    process, _ws_url, lines = await _start(
        ["server", "--config", DEMO_CONFIG, "--port", "0", "--host", "127.0.0.1",
         "--data-dir", str(tmp_path)], dict(os.environ))
    found = re.search(r"database writer process (\d+) is ready", "".join(lines))
    assert found, "".join(lines)
    os.kill(int(found.group(1)), signal.SIGKILL)
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert "exited (code -9)" in output.decode() and "start the server again" in output.decode()


async def test_demo_check_issues_and_calls_a_ticket(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "demo", "--check", "--port", "0",
        "--data-dir", str(tmp_path), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    text = output.decode()
    assert process.returncode == 0, text
    assert "demo1234" in text
    assert re.search(r"managers' pages: http://127\.0\.0\.1:\d+/manage — sign in as "
                     r"giamdoc \(manager\), sonoivu \(province\)", text), text
    assert re.search(r"reports: http://127\.0\.0\.1:\d+/manage/reports .+administration: "
                     r"http://127\.0\.0\.1:\d+/admin \(quantri\)", text), text
    assert re.search(r"check: issued 1001 for .+; called 1001 to Quầy 1", text), text


def test_an_app_gets_its_own_options_untouched(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    seen: list[list[str]] = []

    def fake_main(argv: list[str]) -> int:
        seen.append(argv)
        return 0

    monkeypatch.setitem(sys.modules, "counter.main", types.SimpleNamespace(main=fake_main))
    assert main(["counter", "--server", "ws://x/ws", "--counter", "Q01"]) == 0
    assert seen == [["--server", "ws://x/ws", "--counter", "Q01"]]


async def test_the_demo_may_listen_on_every_interface(tmp_path: Path) -> None:
    # The demo names this computer's LAN address in the QR codes itself, so --host 0.0.0.0
    # needs no public_url (a server does: tests/server/config/test_loader.py).
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "demo", "--check", "--host", "0.0.0.0",
        "--port", "0", "--data-dir", str(tmp_path), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()
    assert "answered 200" in output.decode()
