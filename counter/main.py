"""``qms counter``: the officer's counter terminal."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from counter.errors import SettingsError
from counter.settings import parse_settings
from server.logs import configure_logging
from server.protocol.enrolment_client import enrol_command, first_run_wanted


def main(argv: Sequence[str]) -> int:
    """Parse ``argv`` (the options after ``qms counter``), run the app, return the status."""
    enrolled = enrol_command("counter", argv, os.environ)  # --enrol CODE: enrol, exit
    if enrolled is not None:
        return enrolled
    if first_run_wanted("counter", argv, os.environ):
        # No options and nothing stored: ask for the server and a code in a window.
        from counter.ui.app import qt_application
        from display.ui.first_run import first_run

        qt_application()
        if not first_run("counter", os.environ):
            return 2
    try:
        settings = parse_settings(argv, os.environ)
    except SettingsError as error:
        print(f"qms counter: {error}", file=sys.stderr)
        return 2
    configure_logging("counter", logging.INFO)  # the journal, or stderr and $QMS_LOG_DIR
    from counter.ui.app import run  # Qt is loaded only when the app really starts

    return run(settings)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
