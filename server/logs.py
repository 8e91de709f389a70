"""Where a ``qms`` process writes its log: the journal under systemd, otherwise stderr and a
rotating file.

Every role calls :func:`configure_logging` from its entry point only (``qms server`` and the
other commands in :mod:`server.cli`, the apps from their ``main``); library code only logs.
Standard library only, so every role can import it.

- Under systemd (its stderr is the journal's stream, which ``JOURNAL_STREAM`` names), each
  record is one line on stderr with no time (the journal adds its own) and a ``<N>`` syslog
  priority prefix, so ``journalctl -p warning`` finds the warnings.
- Otherwise each record goes to stderr with the time, and to ``<directory>/<program>.log``,
  rotated at 10 MiB with 5 old files kept (50 MiB at most), when a directory is known:
  ``QMS_LOG_DIR`` if set, else the one the caller gives (the server's data directory).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

__all__ = ["LOG_DIRECTORY_VARIABLE", "configure_logging", "journal_is_stderr"]

JOURNAL_VARIABLE = "JOURNAL_STREAM"
LOG_DIRECTORY_VARIABLE = "QMS_LOG_DIR"
"""Environment variable naming the folder for log files (an app has no data directory)."""
ROTATE_BYTES = 10 * 1024 * 1024
ROTATED_FILES = 5
TIMED_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JOURNAL_FORMAT = "%(levelname)s %(name)s: %(message)s"
# sd-daemon(3): a line that starts with <N> is logged at syslog priority N.
SYSLOG_PRIORITIES = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3,
                     logging.CRITICAL: 2}

logger = logging.getLogger(__name__)
# Other libraries' loggers held to a level whatever the root's, and why.
QUIET_LOGGERS = {
    # Alembic 1.16+ logs a line per plugin each time it loads its migrations: noise.
    "alembic.runtime.plugins": logging.WARNING,
    # httpx logs each request's full address at INFO: an SMS gateway's holds the phone, the
    # message with its one-time code, perhaps the gateway's key (server.booking.sms).
    "httpx": logging.WARNING,
    # websockets logs every frame at DEBUG, a hello's token and an officer's password among
    # them (uvicorn's WebSocket protocol does so under uvicorn.error): a --log-level debug
    # must not write secrets to the journal. Their errors and warnings still come.
    "websockets": logging.INFO,
    "uvicorn.error": logging.INFO,
}


class JournalFormatter(logging.Formatter):
    """One line per record with its syslog priority first; tracebacks stay on that line's
    continuation lines, which the journal keeps with the record."""

    def __init__(self) -> None:
        super().__init__(JOURNAL_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        priority = SYSLOG_PRIORITIES.get(record.levelno, 6 if record.levelno < 30 else 3)
        return f"<{priority}>{super().format(record)}"


class _OwnHandler:
    """Marks the handlers installed here, so a second call replaces them and leaves others'
    (a test runner's, say) alone."""


def journal_is_stderr(environment: Mapping[str, str], stream: TextIO | None) -> bool:
    """Whether ``stream`` is the journal's: ``JOURNAL_STREAM`` (``device:inode``) names it.

    The variable alone is not enough: a child of a service inherits it even when its stderr
    goes to a file or a pipe (the demo's apps, say), and then wants its times back.
    """
    named = environment.get(JOURNAL_VARIABLE, "")
    if not named or stream is None:
        return False
    try:
        status = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return named == f"{status.st_dev}:{status.st_ino}"


def configure_logging(program: str, level: str | int = logging.INFO,
                      directory: Path | None = None,
                      environment: Mapping[str, str] | None = None,
                      stream: TextIO | None = None) -> Path | None:
    """Send the root logger's records where ``program`` (``server``, ``kiosk``...) should log.

    ``directory`` is the default folder for the rotating file (``QMS_LOG_DIR`` wins); with
    neither, stderr only. ``stream`` defaults to ``sys.stderr``, which is ``None`` under
    Windows' ``pythonw`` (an autostart entry): then only the file is written.

    May be called again (once the data directory is known): the handlers of the previous call
    are replaced. Like :func:`logging.basicConfig`, it does nothing when the root logger
    already has handlers of its own (a test runner's). Returns the log file, or ``None`` when
    there is none (journal, no folder, or the file cannot be opened, which is logged).
    """
    environment = os.environ if environment is None else environment
    stream = sys.stderr if stream is None else stream
    root = logging.getLogger()
    own = [handler for handler in root.handlers if isinstance(handler, _OwnHandler)]
    if len(own) != len(root.handlers):
        return None
    for handler in own:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    for name, quiet_level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(quiet_level)
    if journal_is_stderr(environment, stream):
        root.addHandler(_stream_handler(stream, JournalFormatter()))
        return None
    if stream is not None:
        root.addHandler(_stream_handler(stream, logging.Formatter(TIMED_FORMAT)))
    folder = environment.get(LOG_DIRECTORY_VARIABLE) or directory
    if not folder:
        return None
    path = Path(folder) / f"{program}.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = _OwnFileHandler(path, maxBytes=ROTATE_BYTES, backupCount=ROTATED_FILES,
                                       encoding="utf-8")
    except OSError as error:
        # A log file that cannot be written must not stop a kiosk or a server: say so on
        # stderr and go on without it.
        logger.warning("cannot write the log file %s (%s); logging to stderr only", path,
                       error)
        return None
    file_handler.setFormatter(logging.Formatter(TIMED_FORMAT))
    root.addHandler(file_handler)
    return path


class _OwnStreamHandler(logging.StreamHandler[TextIO], _OwnHandler):
    pass


class _OwnFileHandler(logging.handlers.RotatingFileHandler, _OwnHandler):
    pass


def _stream_handler(stream: TextIO, formatter: logging.Formatter) -> logging.Handler:
    handler = _OwnStreamHandler(stream)
    handler.setFormatter(formatter)
    return handler
