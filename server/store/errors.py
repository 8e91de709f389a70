"""The store's exception (standard library only, so the writer process can share it)."""


class StoreError(Exception):
    """The database cannot be opened, migrated or written."""


def describe_error(error: BaseException) -> str:
    """A driver's error as one line: its class and message."""
    return f"{type(error).__name__}: {error}"


class NotOwner(StoreError):
    """This server process does not own ``site`` (any more): nothing was saved, and it must
    not serve the site. ``owner``: the public URL of the process that does, when known."""

    def __init__(self, site: str, owner: str | None = None) -> None:
        super().__init__(f"site {site!r} is served by another server process"
                         + (f" ({owner})" if owner else "") + "; nothing was saved")
        self.site = site
        self.owner = owner


class DatabaseUnavailable(StoreError):
    """The database has no primary that this process can reach (PostgreSQL failing over,
    say): nothing can be written until one answers again.

    ``in_doubt``: the connection went while a change was being committed, so whether it was
    saved is unknown until the site is read back from the database (the same request sent
    again then finds it: a kiosk's ``issue`` with the same ``request_key`` gets its ticket).
    """

    def __init__(self, message: str, in_doubt: bool = False) -> None:
        super().__init__(message)
        self.in_doubt = in_doubt
