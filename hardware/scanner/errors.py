"""The one exception hierarchy of :mod:`hardware.scanner`."""

from __future__ import annotations


class ScannerError(Exception):
    """Base class of every error raised by :mod:`hardware.scanner` (a misuse, such as starting
    a scanner twice; a port that fails is a state reported to the listener, not an error)."""
