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
