"""Shared test data for server tests: a compact site configuration and database helpers."""

from __future__ import annotations

import json
import socket
import sqlite3
from pathlib import Path
from typing import Any

from server.security import hash_password

SITE = "hcc-test"
KIOSK_TOKEN = "kiosk-token-0001"
COUNTER_TOKEN = "counter-token-0001"
DISPLAY_TOKEN = "display-token-0001"
ADMIN_TOKEN = "admin-token-00001"
BRIDGE_TOKEN = "bridge-token-0001"  # acts for counters 1 and 2 only
PASSWORD = "mat-khau-1"
# A fixed salt keeps the test data reproducible; real hashes get a random one.
PASSWORD_HASH = hash_password(PASSWORD, salt=b"0123456789abcdef")


def site_config(**server_overrides: Any) -> dict[str, Any]:
    server = {"host": "127.0.0.1", "port": 0, "public_url": "http://127.0.0.1:8765",
              "secret": "test-secret-0123456789", "admin_tokens": [ADMIN_TOKEN]}
    server.update(server_overrides)
    return {
        "server": server,
        "sites": [{
            "code": SITE,
            "name_vi": "Trung tâm Phục vụ hành chính công thử nghiệm",
            "name_en": "Test centre",
            "fields": [{"code": "DD", "name_vi": "Đất đai", "name_en": "Land"},
                       {"code": "TP", "name_vi": "Tư pháp - Hộ tịch", "name_en": "Justice"}],
            "number_groups": [{"code": "dat-dai", "numbers": "1001-1999"}],
            "services": [
                {"code": "DD-NOP", "name_vi": "Nộp hồ sơ đất đai", "field": "DD",
                 "kind": "submit", "number_group": "dat-dai", "expected_minutes": 10},
                {"code": "DD-TRA", "name_vi": "Nhận kết quả đất đai", "field": "DD",
                 "kind": "collect", "number_group": "dat-dai", "expected_minutes": 4},
                {"code": "HT", "name_vi": "Đăng ký khai sinh", "field": "TP", "numbers": "A###",
                 "expected_minutes": 8},
            ],
            "priority_groups": [{"code": "NCT", "name_vi": "Người cao tuổi"}],
            "zones": [{"code": "T1", "name_vi": "Tầng 1"}],
            "counters": [
                {"code": "1", "name": "Quầy 1", "zone": "T1", "services": ["DD-NOP", "DD-TRA"]},
                {"code": "2", "name": "Quầy 2", "zone": "T1", "services": ["HT", "DD-TRA"]},
                {"code": "3", "name": "Quầy 3", "zone": "T1", "services": ["HT"]},
            ],
            "officers": [
                {"user": "lan", "full_name": "Nguyễn Thị Lan", "password_hash": PASSWORD_HASH,
                 "counters": ["1", "2"]},
                {"user": "minh", "full_name": "Trần Văn Minh", "password_hash": PASSWORD_HASH},
            ],
            "tokens": [
                {"name": "kiosk", "role": "kiosk", "token": KIOSK_TOKEN},
                {"name": "counter", "role": "counter", "token": COUNTER_TOKEN},
                {"name": "display", "role": "display", "token": DISPLAY_TOKEN},
                {"name": "bridge", "role": "bridge", "token": BRIDGE_TOKEN,
                 "counters": ["1", "2"]},
            ],
        }],
    }


def table_counts(database_path: Path) -> dict[str, int]:
    """Row counts straight from the SQLite file, to prove nothing changed."""
    with sqlite3.connect(database_path) as connection:
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("tickets", "events", "counters", "ratings", "number_counters")}


def stalled_display(port: int, subscribe: list[str] | None = None) -> socket.socket:
    """A display on a raw socket with a 4 KB receive buffer: handshake done, hello sent, and
    nothing read after that until the test reads from it. Blocking: run it in a thread."""
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", port))
    stalled.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    b"Sec-WebSocket-Version: 13\r\n\r\n")
    answer = stalled.recv(4096)  # the 101 response, no more: the hello is not sent yet
    assert answer.startswith(b"HTTP/1.1 101") and answer.endswith(b"\r\n\r\n")
    hello: dict[str, Any] = {"type": "hello", "id": 1, "protocol": 1, "role": "display",
                             "token": DISPLAY_TOKEN, "site": SITE}
    if subscribe is not None:
        hello["subscribe"] = subscribe
    payload = json.dumps(hello, separators=(",", ":")).encode()
    # A client frame is masked (a zero mask leaves the payload as it is); a length over 125
    # takes the two-byte form, marked 126.
    length = (bytes([0x80 | len(payload)]) if len(payload) <= 125
              else bytes([0x80 | 126]) + len(payload).to_bytes(2, "big"))
    stalled.sendall(b"\x81" + length + b"\0\0\0\0" + payload)
    return stalled


def free_port() -> int:
    """A port free on 127.0.0.1 now (for a server a test starts after its clients)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def password_checks(monkeypatch: Any) -> list[str]:
    """The passwords the server's sessions check with scrypt from now on (in this process):
    a test that a login went without one."""
    from server import security
    from server.app import session

    checked: list[str] = []
    verify = security.verify_password

    def counted(password: str, stored: str) -> bool:
        checked.append(password)
        return verify(password, stored)

    monkeypatch.setattr(session, "verify_password", counted)
    return checked
