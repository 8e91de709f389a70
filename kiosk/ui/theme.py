"""Colours, fonts and sizes of the kiosk screens.

Sizes scale with the screen's short side (1080 px on a Full HD screen in either orientation),
so a 1080x1920 portrait and a 1920x1080 landscape kiosk get the same text sizes. The bundled
DejaVu Sans (the ticket font, which covers every Vietnamese letter) is used everywhere, so the
screens look the same on Linux and Windows and no system font is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QFontDatabase

from hardware.printer import FontWeight

FONT_FAMILY = "DejaVu Sans"
REFERENCE_SHORT_SIDE = 1080

BACKGROUND = QColor("#eef2f7")
HEADER = QColor("#0b4f9c")
TILE = QColor("#0d63c6")
TILE_PRESSED = QColor("#083f80")
TILE_DISABLED = QColor("#a3adb8")
TILE_TEXT = QColor("#ffffff")
TILE_DETAIL = QColor("#ffe082")
TILE_BADGE = QColor("#cfe3ff")
TILE_DISABLED_TEXT = QColor("#f4f6f8")
PRIORITY = QColor("#d84315")
PRIORITY_PRESSED = QColor("#9f2f0d")
ALERT = QColor("#c62828")
CHECK_IN = QColor("#00796b")
CHECK_IN_PRESSED = QColor("#004d40")
NOTICE = QColor("#fff3e0")
TEXT = QColor("#1b2430")


@dataclass(frozen=True)
class Metrics:
    """Pixel sizes for one window size.

    Attributes:
        scale: the short side divided by 1080.
        tile_min_px / tile_max_px: the range the menu tiles' title size is fitted in.
    """

    scale: float
    landscape: bool = False

    def px(self, reference: float) -> int:
        """``reference`` pixels on a 1080-px short side, scaled to this window."""
        return max(1, round(reference * self.scale))

    @property
    def tile_min_px(self) -> int:
        return self.px(36)

    @property
    def tile_max_px(self) -> int:
        return self.px(60)

    @property
    def margin(self) -> int:
        return self.px(18)

    @property
    def spacing(self) -> int:
        return self.px(14)


def metrics_for(width: int, height: int) -> Metrics:
    """The metrics of a window ``width`` x ``height``."""
    return Metrics(scale=max(min(width, height), 200) / REFERENCE_SHORT_SIDE,
                   landscape=width > height)


def load_fonts() -> None:
    """Register the bundled fonts with Qt (call once, after the QApplication exists)."""
    for weight in FontWeight:
        QFontDatabase.addApplicationFont(str(weight.path))


def font(pixel_size: int, bold: bool = False) -> QFont:
    """The kiosk font at ``pixel_size`` (em size in pixels)."""
    result = QFont(FONT_FAMILY)
    result.setPixelSize(max(1, pixel_size))
    result.setBold(bold)
    return result


def stylesheet(metrics: Metrics) -> str:
    """The style of the ordinary widgets (labels, buttons) for ``metrics``."""
    radius = metrics.px(16)
    # The ticket page has room to spare on a portrait screen: its texts grow by a fifth.
    ticket = 1.0 if metrics.landscape else 1.2
    return f"""
        QWidget#kioskWindow {{ background: {BACKGROUND.name()}; }}
        QWidget#header {{ background: {HEADER.name()}; }}
        QLabel#centreName {{ color: white; font-weight: bold; font-size: {metrics.px(40)}px; }}
        QLabel#instruction {{ color: #ffe082; font-size: {metrics.px(34)}px; }}
        QPushButton#languageButton {{
            background: white; color: {HEADER.name()}; font-weight: bold;
            font-size: {metrics.px(34)}px; border-radius: {radius}px;
            padding: {metrics.px(12)}px {metrics.px(26)}px; }}
        QLabel#banner {{
            background: {ALERT.name()}; color: white; font-weight: bold;
            font-size: {metrics.px(38)}px; padding: {metrics.px(14)}px; }}
        QPushButton#backButton, QPushButton#navigationButton {{
            background: white; color: {HEADER.name()}; font-weight: bold;
            font-size: {metrics.px(36)}px; border: {metrics.px(3)}px solid {HEADER.name()};
            border-radius: {radius}px; padding: {metrics.px(10)}px {metrics.px(26)}px; }}
        QPushButton#navigationButton:disabled {{ color: #9aa5b1; border-color: #c5ccd4; }}
        QLabel#pageLabel {{ color: {TEXT.name()}; font-size: {metrics.px(32)}px; }}
        QLabel#pageTitle {{ color: {TEXT.name()}; font-weight: bold;
            font-size: {metrics.px(44)}px; }}
        QLabel#pageSubtitle {{ color: {TEXT.name()}; font-size: {metrics.px(36)}px; }}
        QLabel#bigMessage {{ color: {TEXT.name()}; font-weight: bold;
            font-size: {metrics.px(60)}px; }}
        QLabel#message {{ color: {TEXT.name()}; font-size: {metrics.px(40)}px; }}
        QLabel#numberLabel {{ color: {TEXT.name()}; font-size: {metrics.px(50 * ticket)}px; }}
        QLabel#number {{ color: {HEADER.name()}; font-weight: bold;
            font-size: {metrics.px(200 if metrics.landscape else 240)}px; }}
        QLabel#serviceName {{ color: {TEXT.name()}; font-weight: bold;
            font-size: {metrics.px(44 * ticket)}px; }}
        QLabel#priorityLabel {{ color: white; background: {PRIORITY.name()};
            font-weight: bold; font-size: {metrics.px(38 * ticket)}px;
            padding: {metrics.px(8)}px {metrics.px(24)}px;
            border-radius: {metrics.px(10)}px; }}
        QLabel#detail {{ color: {TEXT.name()}; font-size: {metrics.px(40 * ticket)}px; }}
        QLabel#hint {{ color: {HEADER.name()}; font-weight: bold;
            font-size: {metrics.px(42 * ticket)}px; }}
        QLabel#fault {{ color: #8e0000; background: #fdecea; font-weight: bold;
            font-size: {metrics.px(46 * ticket)}px;
            border: {metrics.px(4)}px solid {ALERT.name()};
            border-radius: {radius}px; padding: {metrics.px(22)}px; }}
        QLabel#reassurance {{ color: {TEXT.name()}; font-size: {metrics.px(38)}px; }}
        QPushButton#primaryButton {{
            background: {TILE.name()}; color: white; font-weight: bold;
            font-size: {metrics.px(52)}px; border-radius: {radius}px;
            padding: {metrics.px(22)}px {metrics.px(70)}px; }}
        QPushButton#primaryButton:pressed {{ background: {TILE_PRESSED.name()}; }}
        QPushButton#primaryButton:disabled {{ background: {TILE_DISABLED.name()};
            color: {TILE_DISABLED_TEXT.name()}; }}
        QLabel#notice {{ background: {NOTICE.name()}; color: {TEXT.name()}; font-weight: bold;
            font-size: {metrics.px(36)}px; padding: {metrics.px(12)}px;
            border-bottom: {metrics.px(4)}px solid {PRIORITY.name()}; }}
        QLabel#codeBox {{ background: white; color: {TEXT.name()}; font-weight: bold;
            font-size: {metrics.px(64)}px; min-width: {metrics.px(84)}px;
            min-height: {metrics.px(104)}px; border: {metrics.px(3)}px solid #9aa5b1;
            border-radius: {metrics.px(10)}px; }}
        QLabel#codeBox[current="true"] {{ border: {metrics.px(5)}px solid {CHECK_IN.name()}; }}
        QLabel#codeDash {{ color: {TEXT.name()}; font-weight: bold;
            font-size: {metrics.px(64)}px; padding: 0 {metrics.px(6)}px; }}
        QLabel#checkInHint {{ color: {TEXT.name()}; font-size: {metrics.px(32)}px; }}
        QPushButton#keyButton {{
            background: {TILE.name()}; color: white; font-weight: bold;
            font-size: {metrics.px(52)}px; border-radius: {metrics.px(12)}px;
            min-height: {metrics.px(84)}px; max-height: {metrics.px(190)}px; }}
        QPushButton#keyButton:pressed {{ background: {TILE_PRESSED.name()}; }}
        QPushButton#keyButton:disabled {{ background: {TILE_DISABLED.name()};
            color: {TILE_DISABLED_TEXT.name()}; }}
        QPushButton#secondaryButton {{
            background: white; color: {HEADER.name()}; font-weight: bold;
            font-size: {metrics.px(40)}px; border: {metrics.px(3)}px solid {HEADER.name()};
            border-radius: {radius}px; padding: {metrics.px(22)}px {metrics.px(30)}px; }}
        QPushButton#secondaryButton:disabled {{ color: #9aa5b1; border-color: #c5ccd4; }}
    """
