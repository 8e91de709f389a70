"""Kiosk: touch screen to printed Vietnamese ticket (issue 3).

``qms kiosk --server ws://HOST:8765/ws --token TOKEN --site SITE --printer PRINTER_URL``

- :mod:`kiosk.models` — Qt-free: the menu from the server's snapshot, the screen state
  machine (time injected), the texts in Vietnamese and English, the ticket content.
- :mod:`kiosk.connection` — the protocol client on its own thread; reconnects by itself and
  re-sends an unanswered press with the same ``request_key``.
- :mod:`kiosk.printing` — the print worker thread; printer status and faults.
- :mod:`kiosk.controller` — carries out the model's effects; Qt-free.
- :mod:`kiosk.ui` — the PySide6 widgets (the only modules that import Qt).
- :mod:`kiosk.main` — the command line.

See docs/kiosk.md.
"""
