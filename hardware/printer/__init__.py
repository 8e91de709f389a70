"""Queue-ticket printing: layout -> 1-bit raster -> ESC/POS bytes -> transport.

Typical use (the kiosk)::

    from hardware.printer import PaperWidth, TicketContent, open_printer, ticket_bytes

    printer = open_printer(settings.printer_url)      # e.g. "tcp://192.0.2.10:9100"
    status = printer.status()                          # None when the transport cannot ask
    if status is None or status.ready:
        printer.write(ticket_bytes(content, PaperWidth.MM80))

Rendering is pure and needs no printer; :func:`render_escpos` draws bytes back to an image for
tests, and ``virtual:///folder`` prints to PNG files for demos. Every deliberate error is a
:class:`PrinterError`.
"""

from hardware.printer.errors import (
    EscposRenderError,
    FontError,
    PrinterConnectionError,
    PrinterDriverMissingError,
    PrinterError,
    PrinterNotReadyError,
    PrinterTimeoutError,
    PrinterUrlError,
    StatusReplyError,
    TicketContentError,
)
from hardware.printer.escpos_bytes import CutMode, raster_job_bytes, ticket_bytes
from hardware.printer.font import VIETNAMESE_LETTERS, FontWeight, load_font, missing_characters
from hardware.printer.layout import Language, PaperWidth, TicketContent, TicketText, ticket_text
from hardware.printer.printer_url import PrinterAddress, parse_printer_url
from hardware.printer.raster import TicketStyle, render_ticket
from hardware.printer.render import RenderedJob, render_escpos, render_escpos_to_png
from hardware.printer.status import (
    PrinterFault,
    PrinterStatus,
    parse_status_replies,
    status_reply_bytes,
    status_request_bytes,
)
from hardware.printer.transport import Transport
from hardware.printer.transports import (
    FileTransport,
    SerialTransport,
    TcpTransport,
    UsbTransport,
    open_printer,
)
from hardware.printer.virtual import VirtualJob, VirtualPrinter

__all__ = [
    "VIETNAMESE_LETTERS",
    "CutMode",
    "EscposRenderError",
    "FileTransport",
    "FontError",
    "FontWeight",
    "Language",
    "PaperWidth",
    "PrinterAddress",
    "PrinterConnectionError",
    "PrinterDriverMissingError",
    "PrinterError",
    "PrinterFault",
    "PrinterNotReadyError",
    "PrinterStatus",
    "PrinterTimeoutError",
    "PrinterUrlError",
    "RenderedJob",
    "SerialTransport",
    "StatusReplyError",
    "TcpTransport",
    "TicketContent",
    "TicketContentError",
    "TicketStyle",
    "TicketText",
    "Transport",
    "UsbTransport",
    "VirtualJob",
    "VirtualPrinter",
    "load_font",
    "missing_characters",
    "open_printer",
    "parse_printer_url",
    "parse_status_replies",
    "raster_job_bytes",
    "render_escpos",
    "render_escpos_to_png",
    "render_ticket",
    "status_reply_bytes",
    "status_request_bytes",
    "ticket_bytes",
    "ticket_text",
]
