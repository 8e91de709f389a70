"""What a queue ticket says: the content, the paper it goes on, and the fixed labels.

This module decides words, not pixels: :func:`ticket_text` turns a :class:`TicketContent`
into the exact lines to print, in Vietnamese (default) or English. :mod:`raster` draws them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import Enum, StrEnum

from hardware.printer.errors import TicketContentError


class PaperWidth(Enum):
    """Thermal paper roll widths; the value is the printable width in dots at 203 dpi."""

    MM58 = 384
    MM80 = 576

    @property
    def dots(self) -> int:
        """Printable width in dots (pixels of the ticket raster)."""
        return self.value


class Language(StrEnum):
    """Language of the fixed labels on the ticket."""

    VIETNAMESE = "vi"
    ENGLISH = "en"


@dataclass(frozen=True)
class TicketContent:
    """Everything printed on one queue ticket.

    All strings are normalised to NFC (precomposed Vietnamese letters) on construction, so
    text typed with a decomposing input method prints the same as precomposed text.

    Attributes:
        centre_name: name of the centre, e.g. "Trung tâm Phục vụ hành chính công tỉnh ...".
        service_name: the service the ticket waits for.
        number: the queue number as printed, e.g. "A012" or "1005".
        people_ahead: tickets called before this one (>= 0), or None when no counter serving
            it is open (the ticket then says so instead of a number).
        eta_minutes: estimated wait in minutes (>= 0), or None when unknown.
        issued_at: timezone-aware issue time; printed in its own time zone.
        counters: counters serving this service, e.g. ("Quầy 1", "Quầy 3"); may be empty.
        status_url: ASCII URL encoded in the QR code (percent-encode anything else).
        footer: free text at the bottom; may be empty; "\n" starts a new paragraph.
        priority_label: e.g. "Ưu tiên: Người cao tuổi", or None for a normal ticket.
        language: language of the fixed labels (a :class:`Language` or "vi"/"en").

    Raises:
        TicketContentError: a field is empty, negative, naive, or otherwise invalid; the
            message names the field.
    """

    centre_name: str
    service_name: str
    number: str
    people_ahead: int | None
    eta_minutes: int | None
    issued_at: datetime
    status_url: str
    counters: tuple[str, ...] = ()
    footer: str = ""
    priority_label: str | None = None
    language: Language = Language.VIETNAMESE

    def __post_init__(self) -> None:
        for name in ("centre_name", "service_name", "number", "status_url"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise TicketContentError(f"{name} must be a non-empty string, got {value!r}")
            object.__setattr__(self, name, _clean(value))
        if not isinstance(self.footer, str):
            raise TicketContentError(f"footer must be a string, got {self.footer!r}")
        object.__setattr__(self, "footer", _clean_paragraphs(self.footer))
        if self.priority_label is not None:
            if not isinstance(self.priority_label, str) or not self.priority_label.strip():
                raise TicketContentError(
                    f"priority_label must be None or a non-empty string, got "
                    f"{self.priority_label!r}"
                )
            object.__setattr__(self, "priority_label", _clean(self.priority_label))
        if not isinstance(self.counters, tuple) or not all(
            isinstance(counter, str) and counter.strip() for counter in self.counters
        ):
            raise TicketContentError(
                f"counters must be a tuple of non-empty strings, got {self.counters!r}"
            )
        object.__setattr__(self, "counters", tuple(_clean(c) for c in self.counters))
        if self.people_ahead is not None and _not_count(self.people_ahead):
            raise TicketContentError(
                f"people_ahead must be None or an int >= 0, got {self.people_ahead!r}"
            )
        if self.eta_minutes is not None and _not_count(self.eta_minutes):
            raise TicketContentError(
                f"eta_minutes must be None or an int >= 0, got {self.eta_minutes!r}"
            )
        if not isinstance(self.issued_at, datetime) or self.issued_at.utcoffset() is None:
            raise TicketContentError(
                f"issued_at must be a timezone-aware datetime, got {self.issued_at!r}"
            )
        if not self.status_url.isascii() or any(c.isspace() for c in self.status_url):
            raise TicketContentError(
                "status_url must be ASCII without spaces (percent-encode other characters), "
                f"got {self.status_url!r}"
            )
        try:
            object.__setattr__(self, "language", Language(self.language))
        except ValueError as error:
            raise TicketContentError(
                f"language must be one of {[lang.value for lang in Language]}, "
                f"got {self.language!r}"
            ) from error


@dataclass(frozen=True)
class TicketText:
    """The final lines of a ticket, in print order groups.

    Attributes:
        centre_name: heading (bold, centred, wrapped).
        service_name: service line (wrapped).
        priority_label: highlighted priority line, or None.
        number_label: label above the number ("Số thứ tự").
        number: the queue number, printed very large.
        details: people ahead (or that no counter serving it is open), estimated wait,
            counters (when any), issue date and time.
        scan_hint: caption under the QR code.
        status_url: QR payload.
        footer: bottom text, may be empty; paragraphs separated by "\n".
    """

    centre_name: str
    service_name: str
    priority_label: str | None
    number_label: str
    number: str
    details: tuple[str, ...]
    scan_hint: str
    status_url: str
    footer: str


@dataclass(frozen=True)
class _Labels:
    number: str
    people_ahead: str
    no_counter_open: str
    eta: str
    eta_minutes_one: str
    eta_minutes_many: str
    eta_under_one_minute: str
    eta_unknown: str
    counter_one: str
    counter_many: str
    issued: str
    scan_hint: str


_LABELS: dict[Language, _Labels] = {
    Language.VIETNAMESE: _Labels(
        number="Số thứ tự",
        people_ahead="Số người đang chờ trước bạn: {count}",
        no_counter_open="Chưa có quầy mở cho thủ tục này",
        eta="Thời gian chờ dự kiến: {wait}",
        eta_minutes_one="khoảng {minutes} phút",
        eta_minutes_many="khoảng {minutes} phút",
        eta_under_one_minute="dưới 1 phút",
        eta_unknown="chưa xác định",
        counter_one="Quầy phục vụ: {counters}",
        counter_many="Quầy phục vụ: {counters}",
        issued="Ngày {date}",
        scan_hint="Quét mã để theo dõi lượt",
    ),
    Language.ENGLISH: _Labels(
        number="Queue number",
        people_ahead="People waiting ahead of you: {count}",
        no_counter_open="No counter open for this procedure yet",
        eta="Estimated wait: {wait}",
        eta_minutes_one="about {minutes} minute",
        eta_minutes_many="about {minutes} minutes",
        eta_under_one_minute="less than 1 minute",
        eta_unknown="not yet known",
        counter_one="Service counter: {counters}",
        counter_many="Service counters: {counters}",
        issued="Issued {date}",
        scan_hint="Scan to follow your turn",
    ),
}


def format_issued_at(issued_at: datetime) -> str:
    """Format an aware datetime as ``dd/mm/yyyy HH:MM`` in its own time zone."""
    return issued_at.strftime("%d/%m/%Y %H:%M")


def ticket_text(content: TicketContent) -> TicketText:
    """Return the lines to print for ``content``, with labels in ``content.language``."""
    labels = _LABELS[content.language]
    details = [labels.no_counter_open if content.people_ahead is None
               else labels.people_ahead.format(count=content.people_ahead)]
    if content.eta_minutes is None:
        wait = labels.eta_unknown
    elif content.eta_minutes == 0:
        wait = labels.eta_under_one_minute
    elif content.eta_minutes == 1:
        wait = labels.eta_minutes_one.format(minutes=1)
    else:
        wait = labels.eta_minutes_many.format(minutes=content.eta_minutes)
    details.append(labels.eta.format(wait=wait))
    if content.counters:
        template = labels.counter_one if len(content.counters) == 1 else labels.counter_many
        details.append(template.format(counters=", ".join(content.counters)))
    details.append(labels.issued.format(date=format_issued_at(content.issued_at)))
    return TicketText(
        centre_name=content.centre_name,
        service_name=content.service_name,
        priority_label=content.priority_label,
        number_label=labels.number,
        number=content.number,
        details=tuple(details),
        scan_hint=labels.scan_hint,
        status_url=content.status_url,
        footer=content.footer,
    )


def _clean(text: str) -> str:
    """NFC-normalise and collapse runs of whitespace (tabs, newlines) to single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _clean_paragraphs(text: str) -> str:
    """Like :func:`_clean` for each line; keeps non-empty lines separated by "\\n"."""
    lines = (_clean(line) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _not_count(value: object) -> bool:
    return isinstance(value, bool) or not isinstance(value, int) or value < 0
