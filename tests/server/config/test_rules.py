"""Rules the models hold beyond the former loader's: what a TOML file could not be written
back with, or what only a form (not a TOML file) could send."""

from __future__ import annotations

import copy
import importlib
import math
from collections.abc import Callable
from typing import Any

import pytest

from server.config import ConfigError, parse_settings

Change = Callable[[dict[str, Any]], object]
_loader_test: Any = importlib.import_module("tests.server.config.test_loader")
BASE: dict[str, Any] = _loader_test.BASE


def site(data: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = data["sites"][0]
    return result


CASES: list[tuple[str, Change, str, tuple[str, ...]]] = [
    # re's "$" matches before a final newline; a code is matched whole.
    ("a code ending in a newline", lambda data: site(data)["counters"][0].update(code="Q1\n"),
     "sites[0].counters[0].code", ("not a code",)),
    ("a hash ending in a newline", lambda data: site(data)["officers"][0].update(
        password_hash=site(data)["officers"][0]["password_hash"] + "\n"),
     "sites[0].officers[0].password_hash", ("not a complete hash",)),
    ("a public url ending in a newline", lambda data: data["server"].update(
        public_url="http://192.0.2.1:8765\n"), "server.public_url", ("is not an address",)),
    # TOML reads inf and nan, which are more than zero or compare false with everything.
    ("an infinite expected time", lambda data: site(data)["services"][0].update(
        expected_minutes=math.inf), "sites[0].services[0].expected_minutes",
     ("finite number", "inf")),
    ("nan as a rate", lambda data: data["server"].update(rate_per_second=math.nan),
     "server.rate_per_second", ("finite number",)),
    # TOML integers are 64-bit; a larger one could not be written back.
    ("a daily limit beyond 64 bits", lambda data: site(data)["services"][0].update(
        daily_limit=2**63), "sites[0].services[0].daily_limit", ("at most",)),
    # Python text may hold lone surrogates (a form's bad decoding); UTF-8 files cannot.
    ("a name with a lone surrogate", lambda data: site(data).update(name_vi="Ph\ud800"),
     "sites[0].name_vi", ("not valid text",)),
    # Other scripts' digits are digits to Python's \d, not on a ticket.
    ("a range in other digits", lambda data: site(data)["number_groups"][1].update(
        numbers="١٠٠١-١٩٩٩"), "sites[0].number_groups[1].numbers", ("not a number format",)),
]


@pytest.mark.parametrize(("change", "key", "words"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_refused(change: Change, key: str, words: tuple[str, ...]) -> None:
    data = copy.deepcopy(BASE)
    change(data)
    with pytest.raises(ConfigError) as caught:
        parse_settings(data)
    assert caught.value.key == key, str(caught.value)
    for word in words:
        assert word in caught.value.reason, (word, caught.value.reason)


def test_a_whole_number_is_a_number_where_minutes_are_meant() -> None:
    data = copy.deepcopy(BASE)
    site(data)["services"][0]["expected_minutes"] = 12
    service = parse_settings(data).sites[0].services[0]
    assert service.expected_minutes == 12.0 and isinstance(service.expected_minutes, float)
