"""``qms kiosk`` / ``python -m kiosk.main``: the kiosk's entry point.

The only place in the kiosk that configures logging and reads the environment; everything
below gets a frozen :class:`~kiosk.settings.KioskSettings`.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from kiosk.errors import SettingsError
from kiosk.settings import TOKEN_VARIABLE, parse_arguments
from server.logs import configure_logging
from server.protocol.enrolment_client import enrol_command, first_run_wanted


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, then run the kiosk until its window closes; returns the status."""
    started_at = time.perf_counter()
    arguments = sys.argv[1:] if argv is None else argv
    enrolled = enrol_command("kiosk", arguments, os.environ)  # --enrol CODE: enrol, exit
    if enrolled is not None:
        return enrolled
    if first_run_wanted("kiosk", arguments, os.environ, TOKEN_VARIABLE):
        # No options and nothing stored: ask for the server and a code in a window.
        from display.ui.first_run import first_run
        from kiosk.ui.app import qt_application

        qt_application()
        if not first_run("kiosk", os.environ):
            return 2
    try:
        settings, log_level = parse_arguments(arguments, os.environ, Path.cwd())
    except SettingsError as error:
        print(f"qms kiosk: {error}", file=sys.stderr)
        return 2
    configure_logging("kiosk", log_level)  # the journal, or stderr and $QMS_LOG_DIR
    from kiosk.ui.app import run  # Qt loads only once the options are known to be good
    from kiosk.ui.pyside_guard import UnsupportedQtError

    try:
        return run(settings, started_at)
    except UnsupportedQtError as error:
        print(f"qms kiosk: {error}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
