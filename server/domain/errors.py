"""The domain's exception hierarchy; each maps to one wire error code."""

from __future__ import annotations


class DomainError(Exception):
    """A command the rules refuse. ``code`` is the wire error code."""

    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidCommand(DomainError):
    """A value the rules cannot accept (unknown service, score off the scale, ...)."""

    code = "bad_request"


class NotFound(DomainError):
    """No such ticket, or nobody is waiting."""

    code = "not_found"


class Conflict(DomainError):
    """The ticket's or counter's state does not allow this transition."""

    code = "conflict"


class Forbidden(DomainError):
    """The actor may not do this (an officer not assigned to the counter, say)."""

    code = "forbidden"


class Closed(DomainError):
    """The site or service is not issuing now (outside hours, numbers used up, daily limit)."""

    code = "closed"
