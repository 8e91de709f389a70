"""``qms counter``: the officer's counter terminal."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from counter.errors import SettingsError
from counter.settings import parse_settings
from server.logs import configure_logging
from server.protocol.enrolment_client import enrol_command


def main(argv: Sequence[str]) -> int:
    """Parse ``argv`` (the options after ``qms counter``), run the app, return the status."""
    enrolled = enrol_command("counter", argv, os.environ)  # --enrol CODE: enrol, exit
    if enrolled is not None:
        return enrolled
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
