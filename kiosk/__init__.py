"""Kiosk: touch screen to printed Vietnamese ticket (the app comes with issue 3)."""
