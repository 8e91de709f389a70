"""``qms display``: the lobby display (``display.main.main(argv)``, called by ``server.cli``).

    qms display --server ws://10.0.0.5:8765/ws --token TOKEN --zone T1 [--voice-config voice.toml]

Options: ``qms display --help``. The app's own entry point configures logging; the library
modules below it only log.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from display.errors import DisplaySettingsError
from display.settings import parse_arguments
from server.logs import configure_logging
from server.protocol.enrolment_client import enrol_command, first_run_wanted

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the display; returns the exit status (2 for a bad option or voice pack)."""
    arguments = sys.argv[1:] if argv is None else argv
    enrolled = enrol_command("display", arguments, os.environ)  # --enrol CODE: enrol, exit
    if enrolled is not None:
        return enrolled
    if first_run_wanted("display", arguments, os.environ):
        # No options and nothing stored: ask for the server and a code in a window.
        from display.ui.app import APPLICATION_NAME
        from display.ui.first_run import first_run
        from display.ui.qt_application import qt_application

        qt_application(APPLICATION_NAME)
        if not first_run("display", os.environ):
            return 2
    try:
        settings, log_level = parse_arguments(arguments, os.environ)
    except DisplaySettingsError as error:
        print(f"qms display: {error}", file=sys.stderr)
        return 2
    configure_logging("display", log_level)  # the journal, or stderr and $QMS_LOG_DIR
    from display.ui.app import run  # Qt only once the options are good

    return run(settings)


if __name__ == "__main__":
    raise SystemExit(main())
