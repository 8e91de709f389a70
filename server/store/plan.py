"""One transaction's writes as plain SQL and driver parameters, and how a driver runs them.

Standard library only: the writer process (:mod:`server.store.writer`) imports this and the
database driver, not SQLAlchemy, so it starts in a few tens of milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Every SQLite connection's settings, in order. WAL with synchronous=FULL: a number printed on
# a ticket must still be in the database after a power cut.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
)
# The writer never checkpoints inside a commit (that stalled replies by up to 100 ms every few
# MB); the server runs passive checkpoints beside it instead.
SQLITE_WRITER_PRAGMAS = (*SQLITE_PRAGMAS, "PRAGMA wal_autocheckpoint=0")


@dataclass(frozen=True, slots=True)
class Statement:
    """``sql`` run once per parameter set in ``rows``: tuples for a positional paramstyle
    (SQLite's ``?``), mappings for a named one (psycopg's ``%(name)s``).

    ``fence``: a fencing statement (a site row written only ``WHERE owner_epoch`` is the
    writer's own), with one label (the site's code) per row: each row must change exactly
    one row, or the whole transaction is rolled back and :class:`FencedWrite` names it.
    """

    sql: str
    rows: Sequence[Any]
    fence: tuple[str, ...] | None = None


class FencedWrite(Exception):
    """A fencing statement's row changed nothing: the site it names (``label``) belongs to
    another owner now. The transaction was rolled back: nothing of the plan was written."""

    def __init__(self, label: str) -> None:
        super().__init__(f"site {label!r} is owned by another server process now (its "
                         "owner_epoch moved on): nothing was written")
        self.label = label


WritePlan = tuple[Statement, ...]


def run_plan(connection: Any, plan: WritePlan, sqlite: bool) -> list[int]:
    """Run ``plan`` in one transaction on a DB-API ``connection``; all of it or none of it.

    Returns each statement's row count. ``sqlite``: the connection is a ``sqlite3`` one in
    autocommit mode (``isolation_level=None``), and the transaction begins ``IMMEDIATE`` so it
    never fails on a lock upgrade; other drivers begin their transaction implicitly. Any error
    rolls the transaction back and is raised as the driver raised it; a fencing statement
    that changes nothing raises :class:`FencedWrite` (after the rollback).
    """
    if sqlite:
        connection.execute("BEGIN IMMEDIATE")
    try:
        counts = []
        for statement in plan:
            cursor = connection.cursor()
            try:
                if statement.fence is None:
                    cursor.executemany(statement.sql, statement.rows)
                    counts.append(cursor.rowcount)
                    continue
                # Row by row: which site was fenced off must be known, and a batch's site
                # rows are few.
                for label, row in zip(statement.fence, statement.rows, strict=True):
                    cursor.execute(statement.sql, row)
                    if cursor.rowcount != 1:
                        raise FencedWrite(label)
                counts.append(len(statement.rows))
            finally:
                cursor.close()
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    return counts
