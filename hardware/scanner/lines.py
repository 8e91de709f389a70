"""Serial scanner output into scans: bytes in, one text per read code out. Sans-I/O.

A serial (RS-232, or USB in its virtual COM port mode) barcode scanner sends each code it read
followed by CR, LF or CR LF. :class:`LineDecoder` splits the byte stream there, decodes UTF-8
(the chip ID card's QR is UTF-8; an undecodable byte becomes U+FFFD rather than losing the
code), and drops empty lines. A line longer than ``max_line_bytes`` is not a code: it is
dropped whole, counted in :attr:`LineDecoder.overlong`, and the decoder resynchronises at the
next line end. A scanner set up without a line end is read by :meth:`LineDecoder.flush` once
it goes quiet.
"""

from __future__ import annotations

DEFAULT_MAX_LINE_BYTES = 4096
"""Longer than any code a kiosk reads (an ID card's QR is about 150 bytes)."""
_LINE_ENDS = b"\r\n"


class LineDecoder:
    """Splits a scanner's bytes into lines; see the module docstring."""

    def __init__(self, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> None:
        if max_line_bytes < 1:
            raise ValueError("max_line_bytes must be >= 1")
        self._max = max_line_bytes
        self._buffer = bytearray()
        self._discarding = False
        self.overlong = 0
        """How many lines were dropped for being too long."""

    def feed(self, data: bytes) -> list[str]:
        """The complete lines in ``data`` and what came before it, in order."""
        lines: list[str] = []
        for byte in data:
            if byte in _LINE_ENDS:
                if not self._discarding and self._buffer:
                    text = self._buffer.decode("utf-8", errors="replace").strip()
                    if text:
                        lines.append(text)
                self._buffer.clear()
                self._discarding = False
            elif self._discarding:
                continue
            elif len(self._buffer) >= self._max:
                self._buffer.clear()
                self._discarding = True
                self.overlong += 1
            else:
                self._buffer.append(byte)
        return lines

    def flush(self) -> str | None:
        """The unfinished line as a whole one (the scanner went quiet without a line end:
        some are set up without a suffix); None when there is none."""
        text = None
        if not self._discarding and self._buffer:
            text = self._buffer.decode("utf-8", errors="replace").strip() or None
        self._buffer.clear()
        self._discarding = False
        return text

    @property
    def pending(self) -> int:
        """Bytes of an unfinished line held."""
        return len(self._buffer)
