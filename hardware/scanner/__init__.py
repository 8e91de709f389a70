"""Barcode scanners on a serial port: a reader thread (:mod:`.serial_scanner`), the
byte-to-line decoder (:mod:`.lines`, sans-I/O) and a simulated scanner for the demo and tests
(:mod:`.emulator`). Keyboard-emulating (USB HID) scanners need no driver: the kiosk's window
tells their keystrokes from a person's (kiosk.ui.scan_input).

What a code means (a booking, an ID card) is the kiosk's business (kiosk.models.scan).
"""

from .errors import ScannerError
from .lines import LineDecoder
from .serial_scanner import (
    DEFAULT_BAUDRATE,
    ScanListener,
    ScannerReport,
    ScannerState,
    SerialScanner,
    serial_opener,
)

__all__ = [
    "DEFAULT_BAUDRATE",
    "LineDecoder",
    "ScanListener",
    "ScannerError",
    "ScannerReport",
    "ScannerState",
    "SerialScanner",
    "serial_opener",
]
