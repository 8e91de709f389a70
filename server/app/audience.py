"""What each kind of connection may see of the wire objects.

A lobby display and a kiosk stand in the public hall, and their tokens sit on machines anyone
can reach: they are given only what the hall shows. A ticket's tracking code opens its status
page, and a case code (mã hồ sơ) and the ratings of one officer are nobody else's business,
so none of them reaches a public connection, in events, snapshots or replies. Counter
terminals, the hardware bridge and admin connections (staff) see everything.

A citizen's phone (the ticket's status page, role ``citizen``) is the narrowest audience: it
is anybody holding a ticket, so it sees its own ticket and its queue's figures, named field
by field (an allow-list, so a field added to the ticket later stays out until it is named
here), and nothing of the site's events: no other ticket, counter, rating or device.

The functions take the wire objects the views built and return copies without the private
fields; the views stay one description of each object.
"""

from __future__ import annotations

from typing import Any

from server.config.settings import Role

PUBLIC_ROLES = frozenset({Role.DISPLAY, Role.KIOSK})
"""Roles whose connections see only what the hall shows."""

CITIZEN_TICKET_FIELDS = ("number", "service", "service_name", "service_name_en", "status",
                         "counter", "counter_name", "issued_at", "called_at", "finished_at",
                         "ahead", "ahead_known", "eta_minutes", "call_count")
"""The fields of its own ticket a citizen's connection receives: what the status page shows
(not its id, tracking code, link, case code, priority group or the counter it was moved
to)."""

CITIZEN_QUEUE_FIELDS = ("service", "waiting", "open_counters")
"""Its queue's figures: the service, how many wait for it, how many open counters call it."""

CITIZEN_EVENT = "citizen.ticket"
"""The one event a citizen's connection receives: its view (ticket and queue) changed."""

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


def citizen_sees_change(name: str) -> bool:
    """Whether the site's event ``name`` may change what a citizen sees (its ticket's place,
    the queue): every event but the private ones. The event itself never reaches it."""
    return name not in PRIVATE_EVENTS


def citizen_view(ticket: dict[str, Any], queue: dict[str, Any]) -> dict[str, Any]:
    """The ``data`` of a :data:`CITIZEN_EVENT` (and of the hello and snapshot replies): the
    wire ``ticket`` and the ``queue`` figures, each cut to the fields a citizen may see."""
    return {"ticket": {key: ticket.get(key) for key in CITIZEN_TICKET_FIELDS},
            "queue": {key: queue.get(key) for key in CITIZEN_QUEUE_FIELDS}}
