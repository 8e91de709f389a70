"""The store's exception (standard library only, so the writer process can share it)."""


class StoreError(Exception):
    """The database cannot be opened, migrated or written."""
