"""A ticket's status page kept live over the WebSocket: the citizen role.

The page behind the ticket's QR opens the server's WebSocket and says ``hello`` with the role
``citizen`` and its ticket's tracking code: the one thing the page holds besides the rating
key, which stays out of the socket. There is no device token; the tracking code, an HMAC of
the ticket id that cannot be guessed from another, is the whole credential, and it admits the
connection to that one ticket of today at its site.

What it then receives is its *view* (:func:`view_of`): its own ticket, cut to the fields the
page shows, and its queue's figures, through the citizen audience of
:mod:`server.app.audience`. It never receives the site's events themselves: every committed
event that may change the view has the view worked out again, and a ``citizen.ticket`` event
is sent only when it changed. Its ``ahead`` and ``eta_minutes`` are the status page's and the
kiosk's (:meth:`server.app.views.Views.ticket`, one forecast per state for all of them).

Connections are bounded per address, per ticket and per site (:class:`CitizenConnections`):
a phone is one person, and a page that anyone may open must not let one machine hold the
server's memory.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from server.app.audience import citizen_view
from server.config.settings import ServerSettings, SiteSettings
from server.domain.calling import open_counters
from server.domain.model import SiteState

if TYPE_CHECKING:
    from server.app.runtime import SiteRuntime


class CitizenConnections:
    """How many citizens' connections each address, ticket and site holds now."""

    def __init__(self) -> None:
        self.addresses: Counter[str] = Counter()
        self.tickets: Counter[str] = Counter()  # ticket ids name their site
        self.sites: Counter[str] = Counter()

    def admit(self, limits: ServerSettings, address: str, site: str,
              ticket_id: str) -> str | None:
        """Count a new connection in, or say why it is refused (nothing counted then)."""
        if self.addresses[address] >= limits.max_citizen_connections_per_address:
            return (f"this address already has {self.addresses[address]} ticket pages open, "
                    "the most one may; close one and try again")
        if self.tickets[ticket_id] >= limits.max_citizen_connections_per_ticket:
            return (f"this ticket already has {self.tickets[ticket_id]} pages open, the most "
                    "one may; close one and try again")
        if self.sites[site] >= limits.max_citizen_connections_per_site:
            return (f"the centre already has {self.sites[site]} ticket pages open, the most "
                    "it takes; try again later")
        self.addresses[address] += 1
        self.tickets[ticket_id] += 1
        self.sites[site] += 1
        return None

    def release(self, address: str, site: str, ticket_id: str) -> None:
        """A connection :meth:`admit` counted has gone."""
        for counts, key in ((self.addresses, address), (self.tickets, ticket_id),
                            (self.sites, site)):
            counts[key] -= 1
            if counts[key] <= 0:
                del counts[key]


def queue_figures(site: SiteSettings, state: SiteState, service: str) -> dict[str, Any]:
    """``service``'s figures as the snapshot has them: how many wait, how many open
    counters call it."""
    return {"service": service, "waiting": len(state.queues.get(service, ())),
            "open_counters": open_counters(site, state, service)}


def view_of(runtime: SiteRuntime, ticket_id: str) -> dict[str, Any] | None:
    """What a citizen following ``ticket_id`` sees in the committed state now (``None``
    once the ticket is gone: a new day began)."""
    state = runtime.committed
    ticket = state.tickets.get(ticket_id)
    if ticket is None:
        return None
    return citizen_view(runtime.views.ticket(state, ticket),
                        queue_figures(runtime.settings, state, ticket.service))
