"""Debian's Chromium, driven by Playwright in the browser tests."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and kept off the (closed) network.
CHROMIUM_ARGUMENTS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                      "--disable-background-networking", "--disable-component-update",
                      "--disable-sync", "--no-first-run"]
