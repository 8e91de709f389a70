"""The display app's one exception hierarchy: everything it raises derives from DisplayError.

The voice announcer (``display.voice``) keeps its own, ``VoiceError``; the app catches those
where it builds the announcer.
"""

from __future__ import annotations

__all__ = ["DisplayError", "DisplaySettingsError", "MalformedMessageError"]


class DisplayError(Exception):
    """Base class of every error raised by the display app."""


class DisplaySettingsError(DisplayError, ValueError):
    """A command-line option or setting is invalid; the message names it."""


class MalformedMessageError(DisplayError, ValueError):
    """A snapshot or event from the server lacks a field the board needs, or has a bad type."""
