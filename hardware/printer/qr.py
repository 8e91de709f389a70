"""QR code modules for the ticket, exactly as the ``qrcode`` library makes them, but faster.

``qrcode`` chooses the mask pattern the standard way: it lays the data out eight times, once
per mask, and scores each layout with four penalty rules in pure Python loops over every
module. That took most of a ticket's rendering time. :class:`FastMaskQRCode` lays the data
out once, derives the other seven layouts by XOR-ing the mask patterns into the data modules
(rows and columns held as integers, one bit per module), scores them with bit operations, and
lets ``qrcode`` build the final symbol with the chosen mask. The penalty rules are those of
``qrcode.util.lost_point`` (the tests check both the scores and the final modules against
``qrcode`` itself), so the printed code is the one ``qrcode`` would print.
"""

from __future__ import annotations

import functools
from typing import Any

import qrcode
from qrcode import util

MASK_PATTERNS = range(8)
"""The eight QR mask patterns."""


def qr_modules(data: str, error_correction: int, border: int) -> list[list[bool]]:
    """The QR symbol for ``data`` (smallest version that fits) with ``border`` light modules
    around it; ``True`` is dark. Same as ``qrcode.QRCode(...).get_matrix()`` after
    ``make(fit=True)``.

    Raises:
        qrcode.exceptions.DataOverflowError: ``data`` does not fit in any QR version.
    """
    code = FastMaskQRCode(error_correction=error_correction, border=border)
    code.add_data(data)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    return matrix


class FastMaskQRCode(qrcode.QRCode):  # type: ignore[misc]  # qrcode is untyped
    """``qrcode.QRCode`` whose :meth:`best_mask_pattern` scores the masks with bit operations
    instead of eight full layouts; everything else is ``qrcode``'s own code."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._free: str = ""

    def map_data(self, data: Any, mask_pattern: int) -> None:
        """Note which modules carry data (those still unset) before ``qrcode`` fills them."""
        self._free = "".join("1" if value is None else "0" for row in self.modules
                             for value in row)
        super().map_data(data, mask_pattern)

    def best_mask_pattern(self) -> int:
        """The mask ``qrcode`` would choose: the lowest :func:`penalty`, the first on a tie."""
        self.makeImpl(True, 0)
        size = self.modules_count
        rows, columns = _bits(self.modules)
        flips = _mask_flips(self._free, size)
        best_pattern, best_score = 0, 0
        for pattern, (row_flip, column_flip) in enumerate(flips):
            score = penalty(rows ^ row_flip, columns ^ column_flip, size)
            if pattern == 0 or score < best_score:
                best_pattern, best_score = pattern, score
        return best_pattern


def modules_penalty(modules: list[list[bool]]) -> int:
    """:func:`penalty` of a square symbol given as rows of booleans (``True`` is dark)."""
    rows, columns = _bits(modules)
    return penalty(rows, columns, len(modules))


def penalty(rows: int, columns: int, size: int) -> int:
    """``qrcode.util.lost_point`` of a ``size`` x ``size`` symbol.

    ``rows`` has bit ``r * size + c`` set when module ``(r, c)`` is dark, ``columns`` the
    same for the transposed symbol, so each rule runs on every line at once:

    1. Each run of five or more same-coloured modules in a row or column: its length - 2.
    2. Each 2x2 block of one colour: 3.
    3. Each 1:1:3:1:1 finder-like pattern with four light modules on one side, in a row or
       column: 40.
    4. 10 for every full 5% by which the dark share departs from 50%.
    """
    masks = _line_masks(size)
    score = 0
    for lines in (rows, columns):
        # same: bit c set when modules c and c + 1 of a line match; windows: c .. c + 4 match.
        same = ~(lines ^ (lines >> 1)) & masks.pairs
        windows = same & (same >> 1) & (same >> 2) & (same >> 3) & masks.runs
        # A run of length L >= 5 has L - 4 windows; its penalty L - 2 = windows + 2 per run.
        score += windows.bit_count() + 2 * (windows & ~(windows << 1)).bit_count()
        inverse = ~lines
        for pattern in (_FINDER_LEFT, _FINDER_RIGHT):
            matches = masks.finders
            for offset, dark in enumerate(pattern):
                matches &= (lines if dark else inverse) >> offset
            score += 40 * matches.bit_count()
    same_below = ~(rows ^ (rows >> size))
    same_right = ~(rows ^ (rows >> 1))
    score += 3 * (same_below & (same_below >> 1) & same_right & masks.blocks).bit_count()
    percent = float(rows.bit_count()) / (size**2)
    score += int(abs(percent * 100 - 50) / 5) * 10
    return score


_FINDER_LEFT = (1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0)
_FINDER_RIGHT = (0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1)


class _LineMasks:
    """Where a pattern may start so that it stays inside one line (bit r * size + c)."""

    def __init__(self, size: int) -> None:
        def starts(last_column: int, line_count: int = size) -> int:
            line = (1 << (last_column + 1)) - 1 if last_column >= 0 else 0
            return sum(line << (index * size) for index in range(line_count))

        self.pairs = starts(size - 2)
        self.runs = starts(size - 5)
        self.finders = starts(size - len(_FINDER_LEFT))
        self.blocks = starts(size - 2, size - 1)


@functools.lru_cache(maxsize=64)
def _line_masks(size: int) -> _LineMasks:
    return _LineMasks(size)


def _bits(modules: list[list[bool]]) -> tuple[int, int]:
    """``(rows, columns)`` as in :func:`penalty`."""
    row_text = ["".join("1" if dark else "0" for dark in row) for row in modules]
    column_text = ["".join(column) for column in zip(*row_text, strict=True)]
    return int("".join(row_text)[::-1], 2), int("".join(column_text)[::-1], 2)


@functools.lru_cache(maxsize=16)
def _mask_flips(free: str, size: int) -> tuple[tuple[int, int], ...]:
    """Per mask pattern: the data modules whose colour differs from mask 0's, as
    ``(rows, columns)`` bits; cached per layout (a version has one)."""
    darkened = []
    for pattern in MASK_PATTERNS:
        darkens = util.mask_func(pattern)
        darkened.append([
            [free[row * size + column] == "1" and bool(darkens(row, column))
             for column in range(size)]
            for row in range(size)
        ])
    flips = []
    for pattern in MASK_PATTERNS:
        difference = [[first != other for first, other in zip(row_0, row_p, strict=True)]
                      for row_0, row_p in zip(darkened[0], darkened[pattern], strict=True)]
        flips.append(_bits(difference))
    return tuple(flips)
