"""The TOML writer: whatever it writes, tomllib reads back as the same document."""

from __future__ import annotations

import math
import tomllib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.config.toml_writer import toml_text

# Any text a TOML file can hold: hypothesis leaves out lone surrogates by default.
texts = st.text(max_size=12)
plain_values: st.SearchStrategy[Any] = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),  # nan is written, but nan != nan
    texts,
)
inline_values = st.recursive(plain_values, lambda inner: st.lists(inner, max_size=4),
                             max_leaves=8)
documents = st.recursive(
    st.dictionaries(texts, inline_values, max_size=4),
    lambda tables: st.dictionaries(
        texts, st.one_of(inline_values, tables, st.lists(tables, min_size=1, max_size=3)),
        max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_what_is_written_reads_back_the_same(document: dict[str, Any]) -> None:
    assert tomllib.loads(toml_text(document)) == document


def test_the_layout_reads_like_a_configuration_file() -> None:
    document = {"name": "Quầy 1", "server": {"port": 8765},
                "sites": [{"code": "a", "policy": {"kind": "strict"},
                           "counters": [{"code": "Q1", "services": ["KS", "DD"]}]},
                          {"code": "b"}]}
    assert toml_text(document) == (
        'name = "Quầy 1"\n'
        "\n[server]\nport = 8765\n"
        '\n[[sites]]\ncode = "a"\n'
        '\n[sites.policy]\nkind = "strict"\n'
        '\n[[sites.counters]]\ncode = "Q1"\nservices = ["KS", "DD"]\n'
        '\n[[sites]]\ncode = "b"\n'
    )


def test_strings_and_keys_are_escaped() -> None:
    document = {"a b": 'say "hi"\\\n\t\x00\x7f end', "": "", "ở": "Trung tâm"}
    text = toml_text(document)
    assert '"a b" = "say \\"hi\\"\\\\\\n\\t\\u0000\\u007F end"' in text
    assert tomllib.loads(text) == document


def test_special_numbers() -> None:
    text = toml_text({"big": math.inf, "small": -math.inf, "odd": math.nan, "tiny": 5e-324})
    read = tomllib.loads(text)
    assert (read["big"], read["small"], read["tiny"]) == (math.inf, -math.inf, 5e-324)
    assert math.isnan(read["odd"])


def test_an_empty_list_of_tables_is_an_empty_list() -> None:
    assert tomllib.loads(toml_text({"officers": []})) == {"officers": []}


@pytest.mark.parametrize("document", [
    {"when": object()},
    {"mixed": [{"a": 1}, 2]},
    {"nested": [[{"a": 1}]]},
    {"huge": 2**63},
    {1: "key that is not text"},
], ids=["unknown type", "mixed list", "tables in an inline list", "beyond 64 bits",
        "non-text key"])
def test_what_toml_cannot_hold_is_refused(document: dict[Any, Any]) -> None:
    with pytest.raises((TypeError, ValueError)):
        toml_text(document)
