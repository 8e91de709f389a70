"""Writing a report file whole or not at all.

A writer gets a temporary file beside the target (same directory, so the final rename is
atomic on one file system); only when it has finished is the file renamed into place. A
failure or an interruption removes the temporary file and leaves any earlier file at the
target as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from server.reports.errors import ReportOutputError


@contextlib.contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A temporary path to write; renamed to ``target`` when the block ends normally.

    Raises :class:`ReportOutputError` (field ``out``) when the directory is missing or not
    writable.
    """
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise ReportOutputError("out", f"no directory {str(directory)!r} for {target.name!r}",
                                f"không có thư mục {str(directory)!r}")
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                        dir=directory)
    except OSError as error:
        raise ReportOutputError("out", f"cannot write in {str(directory)!r}: "
                                       f"{error.strerror}",
                                f"không ghi được vào {str(directory)!r}") from error
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, target)
    except OSError as error:
        raise ReportOutputError("out", f"cannot write {str(target)!r}: {error.strerror}",
                                f"không ghi được tệp {str(target)!r}") from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
