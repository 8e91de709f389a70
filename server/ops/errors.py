"""The operations commands' exceptions: each message says what went wrong and what to do."""


class OperationError(Exception):
    """An operations command cannot do what was asked; nothing was changed unless the
    message says so."""


class DatabaseInUse(OperationError):
    """A restore would overwrite a database that a running server (or another program) has
    open."""


class BackupError(OperationError):
    """A backup or restore failed, or its file is not what it should be."""


class ServiceError(OperationError):
    """Service units cannot be installed or removed as asked."""
