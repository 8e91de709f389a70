"""Write statements compiled once, bound to many rows at a time as plain driver parameters.

The commit path runs a handful of statements per batch, hundreds of batches a second. Through
``Connection.execute`` each one pays for a compile-cache lookup, an execution context, event
dispatch and parameter processing: more Python than the statement itself takes in SQLite.
A :class:`DriverStatement` compiles once and keeps only what must happen per row: each value
goes through its column type's own bind processor, so what is stored is exactly what
``Connection.execute`` would store (and what the readers, which stay on SQLAlchemy, expect).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import UpdateBase

from server.store.plan import Statement

Processor = Callable[[Any], Any] | None


class DriverStatement:
    """``statement`` compiled for ``dialect``; :meth:`bind` gives it rows to run with.

    For statements whose parameters are all given per row (``insert(table)`` with nothing
    bound in advance, optionally ``ON CONFLICT``; an ``update`` or ``delete`` written with
    ``bindparam``): each row must carry every parameter the statement names.
    """

    def __init__(self, statement: UpdateBase, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        # Positional paramstyles (SQLite's qmark) take tuples in this order; named ones
        # (psycopg's pyformat) take mappings.
        order = compiled.positiontup
        self._names: tuple[str, ...] = tuple(order if order is not None else compiled.binds)
        self._positional = order is not None
        self._columns: tuple[tuple[str, Processor], ...] = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in self._names)

    def bind(self, rows: Sequence[Mapping[str, Any]],
             fence: tuple[str, ...] | None = None) -> Statement:
        """The statement with ``rows`` (parameter name -> Python value) as driver parameters;
        ``fence``: a label per row, for a fencing statement (:class:`Statement`).

        Raises ``KeyError`` for a row missing a parameter, and whatever a column type raises
        for a value it cannot store (``ValueError`` for a naive datetime, say).
        """
        converted = [tuple(row[name] if processor is None else processor(row[name])
                           for name, processor in self._columns) for row in rows]
        if self._positional:
            return Statement(self.sql, converted, fence)
        return Statement(self.sql, [dict(zip(self._names, values, strict=True))
                                    for values in converted], fence)
