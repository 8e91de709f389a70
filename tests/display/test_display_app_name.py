"""The lobby display's window is known by its own name (its X11 window class, its Wayland app
id), not by the script that started Python (``cli.py`` under ``python -m server.cli``)."""

from __future__ import annotations

import os
import subprocess
import sys

PROGRAM = """
import sys
sys.argv[0] = "/opt/qms/server/cli.py"  # as under python -m server.cli display
from display.ui.app import APPLICATION_NAME
from display.ui.qt_application import qt_application
application = qt_application(APPLICATION_NAME)
print(application.arguments()[0], application.applicationName(),
      application.desktopFileName())
"""


def test_the_display_application_is_named_qms_display() -> None:
    # In its own process: a test process already has its QApplication.
    finished = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True,
                              timeout=60, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.split() == ["qms-display", "qms-display", "qms-display"]
