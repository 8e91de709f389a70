"""The bridge's one exception hierarchy."""

from __future__ import annotations


class BridgeError(Exception):
    """Base of every error the bridge raises."""


class MapFileError(BridgeError):
    """The device map file cannot be read or is wrong; the message names the entry."""


class BridgeSettingsError(BridgeError):
    """The command line cannot be turned into settings."""
