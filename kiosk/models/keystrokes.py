"""Telling a keyboard-emulating (USB HID) scanner's burst from a person typing. Pure.

A HID barcode scanner "types" what it read: one keystroke every few milliseconds, ended by
Enter (or Tab, as some are set up). A person types at best a keystroke every 60-200 ms. So a
run of at least ``min_length`` characters, each within ``max_gap_ms`` of the one before and
ended by Enter or Tab within that gap too, is a scan; anything slower is a person, whose keys
are dropped (the kiosk has nothing to type into with a keyboard).

A slow key starts the run again, so a person's stray keys just before a scan do not spoil it.
Keys that type nothing (Shift, which a scanner presses for capitals) are not characters and do
not break a run. Times are the key events' own (milliseconds, from any origin); a time that
goes backwards (a wrapped 32-bit event clock) starts a new run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_MAX_GAP_MS = 40.0
"""Slower than scanners (1-20 ms between keys, even set to their slowest usual speed),
faster than any person's run of keys."""
DEFAULT_MIN_LENGTH = 8
"""A booking code's length: the shortest thing worth scanning."""
MAX_BURST_LENGTH = 4096
"""A run this long without an end is not a scan; it is dropped."""


@dataclass
class BurstDetector:
    """Feed it key presses in order; :meth:`end` returns the scanned text or None.

    Args:
        max_gap_ms: the longest pause between a scanner's keystrokes.
        min_length: fewer characters than this are not a scan.
    """

    max_gap_ms: float = DEFAULT_MAX_GAP_MS
    min_length: int = DEFAULT_MIN_LENGTH
    _characters: list[str] = field(default_factory=list)
    _last_at: float | None = None

    def __post_init__(self) -> None:
        if self.max_gap_ms <= 0:
            raise ValueError("max_gap_ms must be > 0")
        if self.min_length < 1:
            raise ValueError("min_length must be >= 1")

    @property
    def collecting(self) -> bool:
        """A run has started (the keys typed so far may still become a scan)."""
        return bool(self._characters)

    def character(self, text: str, at_ms: float) -> None:
        """A key that typed ``text`` (one character, or a few from a dead key) at ``at_ms``."""
        if not text:
            return
        if not self._in_time(at_ms) or len(self._characters) >= MAX_BURST_LENGTH:
            self._characters.clear()
        self._characters.append(text)
        self._last_at = at_ms

    def end(self, at_ms: float) -> str | None:
        """Enter or Tab at ``at_ms``: the run typed so far if it was a scanner's, else None.
        The run is over either way."""
        text = "".join(self._characters) if self._in_time(at_ms) else ""
        self.reset()
        return text if len(text) >= self.min_length else None

    def reset(self) -> None:
        """Forget the run."""
        self._characters.clear()
        self._last_at = None

    def _in_time(self, at_ms: float) -> bool:
        last = self._last_at
        return last is not None and 0 <= at_ms - last <= self.max_gap_ms
