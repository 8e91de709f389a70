"""Test-wide settings: Qt must be told to run offscreen before anything imports it."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The real-server fixtures (server, connect, settings, database_path) for every folder.
pytest_plugins = ["support.server_fixtures"]
