"""The configuration's versions in the database (table ``configuration_versions``).

A version is the deployment's sites and accounts as the TOML-shaped document they load from
(server.config), with who made it, when, and why. Versions are only ever added: the highest
is in force, every earlier one can be looked at, compared and restored (restoring adds a new
version equal to the old one). Reads block: call them off the event loop. The running server
adds versions through its writer process (:meth:`ConfigurationStore.insert_plan`); the
``qms config`` command, with no server running, through :meth:`ConfigurationStore.insert`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from server.audit.model import AuditEntry
from server.audit.store import entry_row
from server.store.bulk import DriverStatement
from server.store.database import Engines, StoreError
from server.store.errors import describe_error
from server.store.plan import WritePlan
from server.store.tables import AuditRow, ConfigurationRow


@dataclass(frozen=True, slots=True)
class ConfigurationVersion:
    """One version: ``document`` holds ``sites`` and ``accounts`` as the TOML has them."""

    version: int
    created_at: datetime
    author: str
    comment: str
    document: dict[str, Any]


class ConfigurationStore:
    """Reads and adds configuration versions on ``engines``."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines
        self._insert = DriverStatement(insert(ConfigurationRow), engines.writer.dialect)

    def latest(self) -> ConfigurationVersion | None:
        """The version in force, or ``None`` on a database that never had one."""
        query = select(ConfigurationRow).order_by(ConfigurationRow.version.desc()).limit(1)
        rows = self._read(query)
        return rows[0] if rows else None

    def version(self, number: int) -> ConfigurationVersion | None:
        rows = self._read(select(ConfigurationRow).where(ConfigurationRow.version == number))
        return rows[0] if rows else None

    def history(self, limit: int = 100) -> list[ConfigurationVersion]:
        """The newest ``limit`` versions, newest first."""
        return self._read(select(ConfigurationRow)
                          .order_by(ConfigurationRow.version.desc()).limit(limit))

    def newest_number(self) -> int:
        """The highest version number (0 before any)."""
        try:
            with self.engines.reader.connect() as connection:
                found = connection.execute(select(func.max(ConfigurationRow.version))).scalar()
        except SQLAlchemyError as error:
            raise StoreError(f"cannot read the configuration: {describe_error(error)}") \
                from error
        return int(found or 0)

    def insert_plan(self, version: ConfigurationVersion) -> WritePlan:
        """Adding ``version``, for the server's writer process."""
        return (self._insert.bind([_row(version)]),)

    def insert(self, version: ConfigurationVersion, audit: Sequence[AuditEntry] = ()) -> None:
        """Add ``version`` here and now (no server running: ``qms config import``), with the
        audit log's ``audit`` entries of it in the same transaction."""
        try:
            with self.engines.writer.begin() as connection:
                connection.execute(insert(ConfigurationRow), [_row(version)])
                if audit:
                    connection.execute(insert(AuditRow), [entry_row(entry) for entry in audit])
        except SQLAlchemyError as error:
            raise StoreError(f"cannot save configuration version {version.version}: "
                             f"{describe_error(error)}") from error

    def _read(self, query: Any) -> list[ConfigurationVersion]:
        try:
            with self.engines.reader.connect() as connection:
                rows = connection.execute(query).all()
        except SQLAlchemyError as error:
            raise StoreError(f"cannot read the configuration: {describe_error(error)}") \
                from error
        return [ConfigurationVersion(row.version, row.created_at, row.author, row.comment,
                                     json.loads(row.document)) for row in rows]


def _row(version: ConfigurationVersion) -> dict[str, Any]:
    return {"version": version.version, "created_at": version.created_at,
            "author": version.author[:64], "comment": version.comment[:200],
            "document": json.dumps(version.document, ensure_ascii=False, sort_keys=True)}
