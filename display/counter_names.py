"""How counters are named to the hall: on screen and aloud (pure).

Counters are known in the hall by the number in their name. A counter whose name is
``Quầy <n>`` (``"Quầy 8 - Trả kết quả"``, ``"Quầy số 3"``) is shown as a large ``<n>`` with the
rest of its name (``"Trả kết quả"``) beside it, and announced as ``<n>``: code ``Q08`` named
``Quầy 8 - Trả kết quả`` is read "đến quầy số tám", not "quy không tám". Any other name is
shown whole and the counter's code is read (letters by name, digits as a number: docs/voice.md).
"""

from __future__ import annotations

import re

__all__ = ["counter_display_parts", "spoken_counter"]

_COUNTER_NAME = re.compile(
    r"^\s*(?:quầy|quay|counter)\s+(?:số\s+|so\s+|no\.?\s*)?([0-9A-Za-z]+)\b\s*[-–—:·,]?\s*(.*)$",
    re.IGNORECASE)


def spoken_counter(code: str, name: str) -> str:
    """What to say for a counter: the number of a ``Quầy <n>…`` name, else the code."""
    match = _COUNTER_NAME.match(name)
    return match.group(1) if match else code


def counter_display_parts(code: str, name: str) -> tuple[str, str]:
    """(large, small) text for a counter: ``("8", "Trả kết quả")`` for ``Quầy 8 - Trả kết quả``;
    ``(name, "")`` for any other name (``(code, "")`` when the name is empty)."""
    match = _COUNTER_NAME.match(name)
    if match is None:
        return (name or code, "")
    return (match.group(1), match.group(2).strip())
