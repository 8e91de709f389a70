"""A small TOML writer: a document of tables, lists and plain values as TOML 1.0 text.

:mod:`tomllib` only reads. This writes what :func:`server.config.document.settings_document`
makes, and any document of the same kinds: text, booleans, whole numbers (64-bit), numbers,
lists of those (nested too), tables, and lists of tables. ``tomllib.loads(toml_text(d)) == d``
for every such ``d`` (a property test checks it). Dates, times and lists that mix tables with
other values are not written: the configuration has none, and a wrong guess would be worse
than a refusal (:class:`TypeError`).

Layout: a table's plain values first, then its tables (``[server]``), then its lists of
tables (``[[sites]]``), each under the full dotted path, so the text reads like the demo file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
# What a basic string cannot hold as itself: the quote, the backslash and control characters.
_ESCAPED = re.compile(r'["\\\x00-\x1f\x7f]')
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n",
                  "\f": "\\f", "\r": "\\r"}
_SMALLEST_INTEGER, _LARGEST_INTEGER = -(2**63), 2**63 - 1


def toml_text(document: Mapping[str, Any]) -> str:
    """``document`` as TOML text (UTF-8 when written to a file; ends with a newline)."""
    return "\n".join(_table(document, ())).strip("\n") + "\n"


def _table(table: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[str]:
    """The lines of ``table``'s plain values, then of its tables and lists of tables."""
    tables: list[tuple[str, Mapping[str, Any]]] = []
    table_lists: list[tuple[str, Sequence[Mapping[str, Any]]]] = []
    for key, value in table.items():
        if not isinstance(key, str):
            raise TypeError(f"a TOML key is text, not {type(key).__name__}")
        if isinstance(value, Mapping):
            tables.append((key, value))
        elif _is_table_list(value):
            table_lists.append((key, value))
        else:
            yield f"{_key(key)} = {_value(value)}"
    for key, sub_table in tables:
        yield ""
        yield f"[{_path((*path, key))}]"
        yield from _table(sub_table, (*path, key))
    for key, items in table_lists:
        for item in items:
            yield ""
            yield f"[[{_path((*path, key))}]]"
            yield from _table(item, (*path, key))


def _is_table_list(value: object) -> bool:
    """A non-empty list of tables only (an empty list is written ``[]``)."""
    if not isinstance(value, list | tuple) or not value:
        return False
    tables = [isinstance(item, Mapping) for item in value]
    if any(tables) and not all(tables):
        raise TypeError("a list that mixes tables with other values is not written")
    return all(tables)


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _path(path: tuple[str, ...]) -> str:
    return ".".join(_key(part) for part in path)


def _value(value: object) -> str:
    # bool before int: in Python a boolean is an int.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if not _SMALLEST_INTEGER <= value <= _LARGEST_INTEGER:
            raise ValueError(f"{value} does not fit a TOML integer (64 bits)")
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)  # the shortest text that reads back to the same float
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        if any(isinstance(item, Mapping) for item in value):
            raise TypeError("tables inside an inline list are not written")
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise TypeError(f"a {type(value).__name__} is not written as TOML")


def _string(text: str) -> str:
    """A basic string: ``"..."`` with the quote, the backslash and controls escaped."""
    return '"' + _ESCAPED.sub(_escape, text) + '"'


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    return _SHORT_ESCAPES.get(character, f"\\u{ord(character):04X}")
