"""The one exception hierarchy of the kiosk package.

Every error the kiosk raises on purpose is a :class:`KioskError`. Printer faults and lost
connections are not exceptions at this level: they are states the kiosk shows and recovers
from (see :mod:`kiosk.models.status`).
"""

from __future__ import annotations


class KioskError(Exception):
    """Base class of every error raised by :mod:`kiosk`."""


class SettingsError(KioskError, ValueError):
    """A command-line option is wrong; the message names the option and the reason."""


class CatalogueError(KioskError, ValueError):
    """The server's snapshot lacks something the kiosk needs; the message names the key."""


class TicketDataError(KioskError, ValueError):
    """A ticket the server confirmed cannot be read or printed; the message names the field."""
