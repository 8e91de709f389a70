"""Test-wide settings: Qt must be told to run offscreen before anything imports it."""

import gc
import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The real-server fixtures (server, connect, settings, database_path) for every folder.
pytest_plugins = ["support.server_fixtures"]


# Tests of the Qt apps: the folders whose tests make widgets in this process.
QT_FOLDERS = ("kiosk", "counter", "display")


@pytest.fixture(autouse=True)
def garbage_on_the_main_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that makes widgets collects garbage on the main thread only, as the apps do
    (display.ui.qt_application.GuiThreadCollector): the collector running in a test server's
    worker thread would free a widget there, and its destructor would wait for the main thread
    while the main thread waits for that worker (a hang seen in full runs). Other tests keep
    automatic collection."""
    parts = request.path.relative_to(request.config.rootpath).parts
    in_qt_folder = len(parts) > 2 and parts[1] in QT_FOLDERS
    if not (in_qt_folder or set(request.fixturenames) & {"qtbot", "qapp"}):
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.enable()
