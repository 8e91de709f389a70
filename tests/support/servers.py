"""Shared test data for server tests: a compact site configuration and database helpers."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from server.security import hash_password

SITE = "hcc-test"
KIOSK_TOKEN = "kiosk-token-0001"
COUNTER_TOKEN = "counter-token-0001"
DISPLAY_TOKEN = "display-token-0001"
ADMIN_TOKEN = "admin-token-00001"
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
            ],
        }],
    }


def table_counts(database_path: Path) -> dict[str, int]:
    """Row counts straight from the SQLite file, to prove nothing changed."""
    with sqlite3.connect(database_path) as connection:
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("tickets", "events", "counters", "ratings", "number_counters")}
