"""Every reason the configuration rules give (each case of the loader's test, secrets' too)
reads in Vietnamese on the administration pages, keeping the values it quotes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from server.config import ConfigError, parse_settings
from server.web.admin.reasons import in_vietnamese

LOADER_TEST = Path(__file__).resolve().parents[1] / "config" / "test_loader.py"


def loader_reasons() -> list[str]:
    spec = importlib.util.spec_from_file_location("loader_cases", LOADER_TEST)
    assert spec is not None and spec.loader is not None
    cases = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cases)
    changes = [case[1] for case in cases.CASES] + [case[1] for case in cases.SECRET_CASES]
    reasons: list[str] = []
    for change in changes:
        try:
            parse_settings(cases.broken(change))
        except ConfigError as error:
            reasons += [problem.reason for problem in error.problems]
    return reasons


def test_every_rule_reads_in_vietnamese() -> None:
    reasons = loader_reasons()
    assert len(reasons) > 100
    untranslated = sorted({reason for reason in reasons if in_vietnamese(reason) == reason})
    assert untranslated == []


def test_values_and_keys_are_kept() -> None:
    assert in_vietnamese("'Q 1' is not a code (letters, digits, '-', '_', '.'; at most 32)") \
        == "'Q 1' không phải là mã hợp lệ (chữ không dấu, số, '-', '_', '.'; tối đa 32 ký tự)"
    assert in_vietnamese("code 'HT' appears twice (also at sites[0].fields[0].code)") \
        == "mã 'HT' bị trùng (đã có ở sites[0].fields[0].code)"
    assert in_vietnamese("must be at least 1, got 0") == "phải từ 1 trở lên (đang là 0)"
    assert in_vietnamese("a reason nobody wrote a pattern for") == \
        "a reason nobody wrote a pattern for"
