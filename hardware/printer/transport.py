"""The interface every printer transport implements: bytes out, status in.

Transports only move bytes (the ticket is rendered to bytes by pure code before). A transport
is meant to be used by one thread at a time (e.g. the kiosk's print worker), except where a
class says otherwise.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType

from hardware.printer.status import PrinterStatus


class Transport(ABC):
    """A connection to one printer.

    Attributes:
        url: the printer URL this transport was opened from (for logs and messages).
    """

    url: str

    @abstractmethod
    def write(self, data: bytes) -> None:
        """Send one job's bytes; return when the transport has accepted all of them.

        Raises:
            PrinterConnectionError: the printer cannot be reached or the write failed
                (:class:`PrinterTimeoutError` when it timed out); part of the job may have
                been sent.
            PrinterError: any other transport-specific refusal.
        """

    @abstractmethod
    def status(self) -> PrinterStatus | None:
        """Ask the printer for its real-time status; None when this transport cannot ask.

        Raises:
            PrinterConnectionError: the printer cannot be reached or did not answer in time.
            StatusReplyError: the printer answered something that is not a status reply.
        """

    @abstractmethod
    def close(self) -> None:
        """Release the connection. Idempotent. Writing after closing raises
        :class:`PrinterConnectionError`."""

    def __enter__(self) -> Transport:
        return self

    def __exit__(
        self,
        exception_type: type[BaseException] | None,
        exception: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
