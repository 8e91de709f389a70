"""The counter app's one exception hierarchy."""

from __future__ import annotations


class CounterAppError(Exception):
    """Base of every error the counter app raises."""


class SettingsError(CounterAppError):
    """The command line cannot be turned into settings; the message says which option."""


class ConnectionStartError(CounterAppError):
    """The connection thread did not start (its event loop never became ready)."""
