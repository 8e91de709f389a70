"""The reports package's one exception hierarchy.

Every refusal names the input at fault (``field``: ``from``, ``to``, ``site``, ``by``,
``format``, ``out``, ``db``, ``config``) so that a form can put the message next to it and the
command can print it as it is. A report never leaves half a file behind when it fails.
"""

from __future__ import annotations


class ReportError(Exception):
    """A report cannot be made. ``field`` names the input at fault (``None``: none of them);
    ``message`` says why in English and ``message_vi`` in Vietnamese."""

    def __init__(self, field: str | None, message: str, message_vi: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message
        self.message_vi = message_vi or message

    def __reduce__(self) -> tuple[type[ReportError], tuple[str | None, str, str]]:
        # Rebuilt whole when it crosses from a child process (ReportService.export).
        return type(self), (self.field, self.message, self.message_vi)


class ReportAccessError(ReportError):
    """The account may not see a site it asked for (a web page answers 403)."""


class ReportDataError(ReportError):
    """The database cannot be opened or read (not the request's fault)."""


class ReportOutputError(ReportError):
    """The file cannot be written (no half-written file is left)."""
