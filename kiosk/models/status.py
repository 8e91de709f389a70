"""The two things outside the kiosk that can stop it from issuing: the server connection and
the ticket printer. Both are plain states the screens show, never exceptions."""

from __future__ import annotations

from enum import StrEnum


class ConnectionState(StrEnum):
    """The kiosk's link to the queue server."""

    CONNECTING = "connecting"
    """Starting up: no answer from the server yet."""
    ONLINE = "online"
    """Connected, with the server's menu."""
    OFFLINE = "offline"
    """The connection was lost; the kiosk reconnects by itself."""


class PrinterCondition(StrEnum):
    """The printer's condition, named as the protocol's ``device_status`` values."""

    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    """A warning for staff; tickets still print."""
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    """Switched off, unplugged, or not answering."""
    ERROR = "error"
    """Cutter, mechanism or any other fault that needs a person."""

    @property
    def blocks_printing(self) -> bool:
        """True when a ticket sent now would not print."""
        return self not in (PrinterCondition.OK, PrinterCondition.PAPER_NEAR_END)
