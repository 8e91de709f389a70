"""The one exception hierarchy of the ticket-printer package.

Every error this package raises on purpose is a :class:`PrinterError`, so a caller (the kiosk)
can catch that one class around "render and print a ticket". The subclasses say what went
wrong, so the caller can pick a message for the citizen or the operator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hardware.printer.status import PrinterStatus


class PrinterError(Exception):
    """Base class of every error raised by :mod:`hardware.printer`."""


class TicketContentError(PrinterError, ValueError):
    """The ticket content is not valid (empty field, naive datetime, URL too long, ...)."""


class FontError(PrinterError):
    """A bundled font file is missing or unreadable."""


class PrinterUrlError(PrinterError, ValueError):
    """A printer URL is malformed; the message names the part that is wrong."""


class PrinterDriverMissingError(PrinterError):
    """The transport needs an optional package that is not installed (e.g. pyusb)."""


class PrinterConnectionError(PrinterError):
    """The printer could not be reached, or the connection failed while sending or reading."""


class PrinterTimeoutError(PrinterConnectionError):
    """The printer did not accept data or did not answer a status request in time."""


class StatusReplyError(PrinterError):
    """A real-time status reply (answer to DLE EOT n) is malformed."""


class PrinterNotReadyError(PrinterError):
    """The printer refused a job because of a fault (virtual printer in a simulated fault).

    Attributes:
        status: the printer status that made the job fail.
    """

    def __init__(self, message: str, status: PrinterStatus) -> None:
        super().__init__(message)
        self.status = status


class EscposRenderError(PrinterError):
    """The test renderer met bytes it cannot interpret.

    Attributes:
        offset: byte offset in the job where the offending command starts.
    """

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} at byte offset {offset}")
        self.offset = offset
