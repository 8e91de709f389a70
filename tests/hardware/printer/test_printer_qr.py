"""The fast QR mask choice gives exactly the symbol the qrcode library makes."""

from __future__ import annotations

import random

import pytest
import qrcode
from hypothesis import given, settings
from hypothesis import strategies as st
from qrcode import util

from hardware.printer.qr import FastMaskQRCode, modules_penalty, qr_modules

ERROR_LEVELS = [
    qrcode.constants.ERROR_CORRECT_L,
    qrcode.constants.ERROR_CORRECT_M,
    qrcode.constants.ERROR_CORRECT_Q,
    qrcode.constants.ERROR_CORRECT_H,
]


def reference_modules(data: str, error_correction: int, border: int) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=error_correction, border=border)
    code.add_data(data)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    return matrix


@pytest.mark.parametrize("size", [11, 12, 21, 25, 33, 45, 57])
def test_penalty_equals_qrcodes_lost_point(size: int) -> None:
    pattern = random.Random(size)
    for dark_share in (0.1, 0.5, 0.9):
        for _ in range(10):
            modules = [[pattern.random() < dark_share for _ in range(size)]
                       for _ in range(size)]
            assert modules_penalty(modules) == util.lost_point(modules)


def test_penalty_counts_runs_blocks_and_finder_patterns() -> None:
    light = [[False] * 21 for _ in range(21)]
    # 42 light runs of 21 (19 each), 400 blocks of 3, all light (10 x 10).
    assert modules_penalty(light) == 42 * 19 + 400 * 3 + 100 == util.lost_point(light)
    finder = [list(light_row) for light_row in light]
    finder[10][0:11] = [bool(dark) for dark in (1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0)]
    assert modules_penalty(finder) == util.lost_point(finder)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x1EF9), min_size=1,
               max_size=180),
       st.sampled_from(ERROR_LEVELS), st.sampled_from([0, 4]))
def test_symbol_is_the_one_qrcode_makes(data: str, level: int, border: int) -> None:
    assert qr_modules(data, level, border) == reference_modules(data, level, border)


@pytest.mark.parametrize("length", [10, 40, 80, 150, 400])
def test_mask_choice_matches_qrcode_for_ticket_urls(length: int) -> None:
    for index in range(8):
        url = f"https://hcc.example.vn/t/{index:08d}" + "x" * (length - 33)
        fast = FastMaskQRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
        fast.add_data(url)
        fast.best_fit()
        plain = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
        plain.add_data(url)
        plain.best_fit()
        assert fast.best_mask_pattern() == plain.best_mask_pattern()
