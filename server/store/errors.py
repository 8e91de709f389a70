"""The store's exception (standard library only, so the writer process can share it)."""


class StoreError(Exception):
    """The database cannot be opened, migrated or written."""


def describe_error(error: BaseException) -> str:
    """A driver's error as one line: its class and message."""
    return f"{type(error).__name__}: {error}"
