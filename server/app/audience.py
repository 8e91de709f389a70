"""What each kind of connection may see of the wire objects.

A lobby display and a kiosk stand in the public hall, and their tokens sit on machines anyone
can reach: they are given only what the hall shows. A ticket's tracking code opens its status
page, and a case code (mã hồ sơ) and the ratings of one officer are nobody else's business,
so none of them reaches a public connection, in events, snapshots or replies. Counter
terminals, the hardware bridge and admin connections (staff) see everything.

The functions take the wire objects the views built and return copies without the private
fields; the views stay one description of each object.
"""

from __future__ import annotations

from typing import Any

from server.config.settings import Role

PUBLIC_ROLES = frozenset({Role.DISPLAY, Role.KIOSK})
"""Roles whose connections see only what the hall shows."""

PRIVATE_TICKET_FIELDS = frozenset({"track", "track_url", "case_code"})
"""Ticket fields a public connection never receives."""

PRIVATE_EVENTS = frozenset({"rating.received", "device.status"})
"""Events a public connection never receives: a rating names the officer and the case, and
device health is for the staff who fix devices."""


def public_ticket(ticket: dict[str, Any]) -> dict[str, Any]:
    """``ticket`` without its tracking code, status-page link and case code."""
    return {key: value for key, value in ticket.items() if key not in PRIVATE_TICKET_FIELDS}


def public_counter(counter: dict[str, Any]) -> dict[str, Any]:
    """``counter`` with its ticket in hand made public."""
    ticket = counter.get("ticket")
    return {**counter, "ticket": public_ticket(ticket) if ticket else ticket}


def public_event_data(name: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """An event's ``data`` as a public connection receives it, or ``None`` when such a
    connection does not receive the event at all."""
    if name in PRIVATE_EVENTS:
        return None
    if name.startswith("ticket."):
        return public_ticket(data)
    if name.startswith("counter."):
        return public_counter(data)
    return data


def public_state(state: dict[str, Any]) -> dict[str, Any]:
    """The ``state`` snapshot as a public connection receives it."""
    return {
        **state,
        "counters": [public_counter(counter) for counter in state["counters"]],
        "recent_calls": [public_ticket(ticket) for ticket in state["recent_calls"]],
    }
