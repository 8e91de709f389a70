"""The bundled DejaVu fonts (they cover every Vietnamese letter), loaded once into Qt.

The same files are served to the web display (``display/web/assets/fonts``), so both displays
look alike and neither depends on the fonts installed on the TV or PC.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase

__all__ = ["CONDENSED_FAMILY", "FONT_DIRECTORY", "FONT_FAMILY", "Fonts", "load_fonts"]

logger = logging.getLogger(__name__)

FONT_DIRECTORY = Path(__file__).resolve().parent.parent / "web" / "assets" / "fonts"
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansCondensed-Bold.ttf")
FONT_FAMILY = "DejaVu Sans"
CONDENSED_FAMILY = "DejaVu Sans Condensed"  # the web display's "QMS Condensed": the same file

_loaded = False


def load_fonts() -> None:
    """Register the bundled fonts with Qt (once; needs a QGuiApplication). A missing file is
    logged, and Qt falls back to the system's sans-serif."""
    global _loaded
    if _loaded:
        return
    for name in FONT_FILES:
        if QFontDatabase.addApplicationFont(str(FONT_DIRECTORY / name)) < 0:
            logger.error("cannot load font %s; Vietnamese text may use a fallback font",
                         FONT_DIRECTORY / name)
    _loaded = True


class Fonts:
    """Font factory with a bounded cache (pixel sizes are rounded to whole pixels)."""

    _LIMIT = 256

    def __init__(self) -> None:
        self._cache: dict[tuple[int, bool, bool], QFont] = {}

    def get(self, pixel_size: float, *, bold: bool = False, condensed: bool = False) -> QFont:
        """DejaVu Sans at ``pixel_size`` (bold; condensed is DejaVu Sans Condensed Bold, for
        numbers)."""
        key = (max(1, round(pixel_size)), bold, condensed)
        font = self._cache.get(key)
        if font is None:
            if len(self._cache) >= self._LIMIT:
                self._cache.clear()
            # The condensed face by its own family name: asking for a stretch instead makes Qt
            # squeeze the (semi-condensed) face further, and the web display could not match.
            font = QFont(CONDENSED_FAMILY if condensed else FONT_FAMILY)
            font.setPixelSize(key[0])
            font.setBold(bold or condensed)
            font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
            self._cache[key] = font
        return font
