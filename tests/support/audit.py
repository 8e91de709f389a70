"""Reading the audit log straight from a test's SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def audit_rows(database_path: Path, action: str | None = None) -> list[dict[str, Any]]:
    """Every row of ``audit_log`` (of ``action`` when given), in the order written."""
    connection = sqlite3.connect(database_path)
    connection.row_factory = sqlite3.Row
    try:
        query = "SELECT * FROM audit_log"
        found = (connection.execute(query + " WHERE action = ? ORDER BY id", (action,))
                 if action is not None else connection.execute(query + " ORDER BY id"))
        return [dict(row) for row in found]
    finally:
        connection.close()


def audit_text(database_path: Path) -> str:
    """Every value of every audit row as one text, to search for what must never be there."""
    return "\n".join("|".join("" if value is None else str(value) for value in row.values())
                     for row in audit_rows(database_path))
