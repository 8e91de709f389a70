"""Real-time printer status: the DLE EOT n requests and the parser of their replies.

ESC/POS ``DLE EOT n`` (10 04 n) makes the printer answer one status byte at once, even while
it is offline. This module asks for all four kinds in one go and reads the four answer bytes:

=====  ===============  ===========================================================
n      kind             bits used (bit 0 = least significant)
=====  ===============  ===========================================================
1      printer status   bit 3: offline
2      offline cause    bit 2: cover open; bit 5: printing stopped by paper end;
                        bit 6: error occurred
3      error cause      bit 2: mechanical (recoverable) error; bit 3: autocutter error;
                        bit 5: unrecoverable error; bit 6: automatically recoverable
                        error (e.g. print head too hot)
4      roll paper       bits 2-3: paper near end; bits 5-6: paper end (no paper)
=====  ===============  ===========================================================

In every reply bits 1 and 4 are fixed to 1 and bits 0 and 7 to 0; a byte that breaks that
is not a status reply and is rejected. Some printers set only one bit of a two-bit sensor
pair, so either bit counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum

from hardware.printer.errors import StatusReplyError

DLE = 0x10
EOT = 0x04

_FIXED_BITS_MASK = 0b1001_0011
_FIXED_BITS_VALUE = 0b0001_0010


class StatusRequest(IntEnum):
    """The ``n`` of ``DLE EOT n``."""

    PRINTER = 1
    OFFLINE_CAUSE = 2
    ERROR_CAUSE = 3
    ROLL_PAPER = 4


STATUS_REQUESTS: tuple[StatusRequest, ...] = tuple(StatusRequest)
"""The requests sent by :func:`status_request_bytes`, in order; one reply byte each."""

STATUS_REPLY_LENGTH = len(STATUS_REQUESTS)
"""Number of bytes a printer answers to :func:`status_request_bytes`."""


class PrinterFault(Enum):
    """A reason the printer cannot print now (paper near end is a warning, not a fault)."""

    OFFLINE = "offline"
    COVER_OPEN = "cover_open"
    PAPER_OUT = "paper_out"
    CUTTER_ERROR = "cutter_error"
    MECHANICAL_ERROR = "mechanical_error"
    UNRECOVERABLE_ERROR = "unrecoverable_error"
    AUTO_RECOVERABLE_ERROR = "auto_recoverable_error"


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer reported. The defaults describe a healthy printer.

    Attributes:
        online: the printer accepts data for printing.
        cover_open: the paper cover is open.
        paper_out: no paper (end sensor), or printing stopped because paper ended.
        paper_near_end: the roll is nearly finished; printing still works.
        cutter_error: the autocutter jammed or failed.
        mechanical_error: a recoverable mechanical error (e.g. paper jam).
        unrecoverable_error: a hardware fault that needs service.
        auto_recoverable_error: a transient error (e.g. head too hot) that clears by itself.
    """

    online: bool = True
    cover_open: bool = False
    paper_out: bool = False
    paper_near_end: bool = False
    cutter_error: bool = False
    mechanical_error: bool = False
    unrecoverable_error: bool = False
    auto_recoverable_error: bool = False

    @property
    def faults(self) -> tuple[PrinterFault, ...]:
        """Every reason the printer cannot print now; empty when it can."""
        flags = (
            (not self.online, PrinterFault.OFFLINE),
            (self.cover_open, PrinterFault.COVER_OPEN),
            (self.paper_out, PrinterFault.PAPER_OUT),
            (self.cutter_error, PrinterFault.CUTTER_ERROR),
            (self.mechanical_error, PrinterFault.MECHANICAL_ERROR),
            (self.unrecoverable_error, PrinterFault.UNRECOVERABLE_ERROR),
            (self.auto_recoverable_error, PrinterFault.AUTO_RECOVERABLE_ERROR),
        )
        return tuple(fault for present, fault in flags if present)

    @property
    def ready(self) -> bool:
        """True when a ticket sent now should print (no fault; near end is fine)."""
        return not self.faults


def status_request_bytes() -> bytes:
    """``DLE EOT 1``, ``DLE EOT 2``, ``DLE EOT 3``, ``DLE EOT 4``: ask for every status byte."""
    return b"".join(bytes((DLE, EOT, request)) for request in STATUS_REQUESTS)


def parse_status_replies(replies: bytes) -> PrinterStatus:
    """Parse the :data:`STATUS_REPLY_LENGTH` bytes answering :func:`status_request_bytes`.

    Raises:
        StatusReplyError: wrong length, or a byte whose fixed bits are wrong (the message
            names the byte and the request it answers).
    """
    if len(replies) != STATUS_REPLY_LENGTH:
        raise StatusReplyError(
            f"expected {STATUS_REPLY_LENGTH} status bytes, got {len(replies)}: {replies.hex(' ')}"
        )
    for index, (request, value) in enumerate(zip(STATUS_REQUESTS, replies, strict=True)):
        if value & _FIXED_BITS_MASK != _FIXED_BITS_VALUE:
            raise StatusReplyError(
                f"status byte {index} (answer to DLE EOT {request.value}, {request.name}) is "
                f"0x{value:02x}; a status reply has bits 1 and 4 set and bits 0 and 7 clear"
            )
    printer, offline_cause, error_cause, roll_paper = replies
    return PrinterStatus(
        online=not printer & 0x08,
        cover_open=bool(offline_cause & 0x04),
        paper_out=bool(roll_paper & 0x60) or bool(offline_cause & 0x20),
        paper_near_end=bool(roll_paper & 0x0C),
        cutter_error=bool(error_cause & 0x08),
        mechanical_error=bool(error_cause & 0x04),
        unrecoverable_error=bool(error_cause & 0x20),
        auto_recoverable_error=bool(error_cause & 0x40),
    )


def status_reply_bytes(status: PrinterStatus) -> bytes:
    """The four bytes a printer in ``status`` would answer; for fakes and simulators."""
    base = _FIXED_BITS_VALUE
    printer = base | (0 if status.online else 0x08)
    offline_cause = base | (0x04 if status.cover_open else 0) | (0x20 if status.paper_out else 0)
    if status.cutter_error or status.mechanical_error or status.unrecoverable_error:
        offline_cause |= 0x40
    error_cause = (
        base
        | (0x04 if status.mechanical_error else 0)
        | (0x08 if status.cutter_error else 0)
        | (0x20 if status.unrecoverable_error else 0)
        | (0x40 if status.auto_recoverable_error else 0)
    )
    roll_paper = base | (0x0C if status.paper_near_end else 0) | (0x60 if status.paper_out else 0)
    return bytes((printer, offline_cause, error_cause, roll_paper))
