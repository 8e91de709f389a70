"""What a centre's own server forwards to the province: its site's events after a ``seq``,
each with the stored values of its subject (docs/protocol.md "A centre's own server").

Blocking: call it from a worker thread, never from the event loop.

The event log keeps each event as it went on the wire, which is not all a ticket's row holds
(its number group, queue key, officer...). So each event is sent with its subject's row as
it is stored when the batch is read: the same as just after the event, or later. Rows only
move forward, and the events and the rows are read in one transaction (one snapshot), so the
province's rows are never older than its events, and once the backlog is forwarded they equal
the centre's.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from server.store.database import Engines
from server.store.tables import CounterRow, EventRow, RatingRow, TicketRow

# Which record each event is sent with (none: config.changed, device.status).
_TICKET_EVENTS = frozenset({
    "ticket.issued", "ticket.called", "ticket.recalled", "ticket.serving", "ticket.done",
    "ticket.no_show", "ticket.requeued", "ticket.transferred", "ticket.cancelled"})


def read_batch(engines: Engines, site: str, after: int, limit: int) -> list[dict[str, Any]]:
    """The events of ``site`` with ``seq > after`` (at most ``limit``, oldest first), each a
    ``forward`` event object: ``seq``, ``event``, ``at``, ``data`` and ``record``."""
    with engines.reader.connect() as connection, connection.begin():
        rows = connection.execute(
            select(EventRow).where(EventRow.site == site, EventRow.seq > after)
            .order_by(EventRow.seq).limit(limit)).all()
        batch = [{"seq": row.seq, "event": row.name, "at": _time(row.at),
                  "data": json.loads(row.data)} for row in rows]
        tickets = _by_key(connection, TicketRow, TicketRow.id, {
            str(item["data"].get("id")) for item in batch if item["event"] in _TICKET_EVENTS})
        ratings = _by_key(connection, RatingRow, RatingRow.ticket_id, {
            str(item["data"].get("ticket_id")) for item in batch
            if item["event"] == "rating.received"})
        counters = _by_key(connection, CounterRow, CounterRow.code, {
            str(item["data"].get("code")) for item in batch
            if item["event"] == "counter.changed"}, CounterRow.site == site)
        for item in batch:
            name, data = item["event"], item["data"]
            if name in _TICKET_EVENTS:
                item["record"] = _record("ticket", tickets.get(str(data.get("id"))))
            elif name == "rating.received":
                item["record"] = _record("rating", ratings.get(str(data.get("ticket_id"))))
            elif name == "counter.changed":
                item["record"] = _record("counter", counters.get(str(data.get("code"))))
            elif name == "day.reset":
                item["record"] = _day_reset(connection, site, data)
    return batch


def _by_key(connection: Connection, table: Any, column: Any, keys: set[str],
            *where: Any) -> dict[str, dict[str, Any]]:
    if not keys:
        return {}
    found = connection.execute(select(table).where(column.in_(keys), *where)).mappings()
    return {str(row[column.key]): dict(row) for row in found}


def _record(kind: str, row: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored row as a wire record (times ISO 8601 with their offset, the site left out:
    the request names it)."""
    if row is None:
        return None  # refused by the province: an event whose subject is not stored
    record: dict[str, Any] = {"kind": kind}
    for key, value in row.items():
        if key == "site":
            continue
        if isinstance(value, datetime):
            value = _time(value)
        elif isinstance(value, date):
            value = value.isoformat()
        elif key == "remote":
            value = bool(value)
        record[key] = value
    return record


def _day_reset(connection: Connection, site: str, data: dict[str, Any]) -> dict[str, Any]:
    """A day reset's record: the previous day's tickets now cancelled (the reset's own, and
    any cancelled before it: cancelling those again changes nothing)."""
    previous = date.fromisoformat(str(data["previous_date"]))
    cancelled = connection.execute(
        select(TicketRow.id).where(TicketRow.site == site, TicketRow.business_date == previous,
                                   TicketRow.status == "cancelled")).scalars().all()
    return {"kind": "day_reset", "business_date": str(data["business_date"]),
            "previous_date": previous.isoformat(), "cancelled": list(cancelled)}


def _time(moment: datetime) -> str:
    return moment.isoformat()
