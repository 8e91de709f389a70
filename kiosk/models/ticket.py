"""A ticket the server confirmed, and what its paper says.

:class:`IssuedTicket` is read from the ``issue`` reply; :func:`ticket_content` turns it into
the printer library's :class:`~hardware.printer.TicketContent`. Both are pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hardware.printer import Language as TicketLanguage
from hardware.printer import TicketContent, TicketContentError
from kiosk.errors import TicketDataError
from kiosk.models.catalogue import Catalogue
from kiosk.models.texts import Language, texts


@dataclass(frozen=True)
class IssuedTicket:
    """The fields of a confirmed ticket the kiosk shows and prints.

    Attributes:
        ticket_id: ``site:yyyymmdd:number``, unique.
        number: as printed (``A012``, ``1005``).
        ahead: the calls the open counters make before this ticket's; ``None`` when no
            open counter serves it yet (the wire's ``ahead_known`` is false): the screen and
            the paper say so instead of a number.
        eta_minutes: the estimated wait; ``None`` when unknown.
        issued_at: timezone-aware, in the site's time zone.
        track_url: the status page the QR code points to.
    """

    ticket_id: str
    number: str
    service: str
    service_name: str
    service_name_en: str
    priority: str | None
    ahead: int | None
    eta_minutes: int | None
    issued_at: datetime
    track_url: str

    @classmethod
    def from_wire(cls, ticket: Mapping[str, Any]) -> IssuedTicket:
        """Read the protocol's ``ticket`` object.

        Raises:
            TicketDataError: a field is missing or malformed (the message names it).
        """

        def text(key: str) -> str:
            value = ticket.get(key)
            if not isinstance(value, str) or not value:
                raise TicketDataError(f"ticket.{key}: expected non-empty text, got {value!r}")
            return value

        def count(key: str, optional: bool = False) -> int | None:
            value = ticket.get(key)
            if value is None and optional:
                return None
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise TicketDataError(f"ticket.{key}: expected a whole number >= 0, got {value!r}")
            return value

        try:
            issued_at = datetime.fromisoformat(text("issued_at"))
        except ValueError as error:
            raise TicketDataError(f"ticket.issued_at: {error}") from error
        if issued_at.utcoffset() is None:
            raise TicketDataError("ticket.issued_at: has no time zone")
        priority = ticket.get("priority")
        name_en = ticket.get("service_name_en")
        ahead = count("ahead")
        # Absent from servers older than ``ahead_known``: their count was all they had.
        known = ticket.get("ahead_known", True)
        if not isinstance(known, bool):
            raise TicketDataError(f"ticket.ahead_known: expected true or false, got {known!r}")
        return cls(
            ticket_id=text("id"),
            number=text("number"),
            service=text("service"),
            service_name=text("service_name"),
            service_name_en=name_en if isinstance(name_en, str) else "",
            priority=priority if isinstance(priority, str) and priority else None,
            ahead=ahead if known else None,
            eta_minutes=count("eta_minutes", optional=True),
            issued_at=issued_at,
            track_url=text("track_url"),
        )

    def service_text(self, language: Language) -> str:
        """The service name in ``language`` (English falls back to Vietnamese)."""
        if language is Language.ENGLISH and self.service_name_en:
            return self.service_name_en
        return self.service_name


def priority_label(ticket: IssuedTicket, catalogue: Catalogue, language: Language) -> str | None:
    """``Ưu tiên: Người cao tuổi`` for a priority ticket, None for an ordinary one."""
    if ticket.priority is None:
        return None
    group = catalogue.priority_group(ticket.priority)
    name = group.name.text(language) if group is not None else ticket.priority
    return texts(language).priority_label.format(group=name)


def ticket_content(ticket: IssuedTicket, catalogue: Catalogue, language: Language) -> TicketContent:
    """What to print for ``ticket``: the centre, the service, the number, people ahead, the
    estimate, the counters serving it, the time, the QR link and the site's footer; labels in
    ``language``.

    Raises:
        TicketDataError: the printer library refused the content (e.g. a non-ASCII URL).
    """
    try:
        return TicketContent(
            centre_name=catalogue.site.name.text(language),
            service_name=ticket.service_text(language),
            number=ticket.number,
            people_ahead=ticket.ahead,
            eta_minutes=ticket.eta_minutes,
            issued_at=ticket.issued_at,
            status_url=ticket.track_url,
            counters=catalogue.counter_names(ticket.service),
            footer=catalogue.site.ticket_footer,
            priority_label=priority_label(ticket, catalogue, language),
            language=TicketLanguage(language.value),
        )
    except TicketContentError as error:
        raise TicketDataError(f"ticket {ticket.number} cannot be printed: {error}") from error
