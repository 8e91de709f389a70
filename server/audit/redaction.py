"""Before and after values an audit entry may keep: never a secret, never a full number.

- A key that names a secret (:data:`SECRET_KEYS`: passwords, password hashes, tokens,
  secrets, one-time codes) keeps no value: :data:`HIDDEN` stands for it, and after a
  change :data:`CHANGED`, so the log says a password was set without holding its hash.
- In every text, a run of nine or more digits (a phone number, a CCCD number, with or
  without spaces, dots or dashes between them) keeps its last three digits only:
  ``0912 345 678`` becomes ``*******678``. A case code of the one-stop system
  (``case_code``, ``000.00.12.H42-261123-0007``) is a file's number, not a person's, and is
  kept whole (:data:`UNMASKED_KEYS`).
- A configuration change (two documents of sites and accounts, server.store.configuration)
  is recorded as the paths it changed (``sites/hcc/services/CT/name_vi``), each with its
  value before and after (:func:`configuration_changes`); an item added or removed is one
  path with the whole item on one side.
- A value whose JSON passes :data:`JSON_LIMIT` characters is replaced by the list of its
  paths (``{"truncated": true, "paths": [...]}``): a restore that changes everything stays
  one bounded line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

SECRET_KEYS = frozenset({
    "password", "password_hash", "new_password", "current_password", "token", "tokens_secret",
    "admin_tokens", "secret", "one_time_code", "otp", "code_hash", "identity_hash",
    "code_sealed", "url_template", "body_template", "headers", "database_url",
})
UNMASKED_KEYS = frozenset({"case_code"})
HIDDEN = "(ẩn / hidden)"
CHANGED = "(đã đổi / changed)"
JSON_LIMIT = 16 * 1024
PATHS_KEPT = 100
# Digits with at most one space, dot, dash or bracket between them, nine or more in all.
_LONG_NUMBER = re.compile(r"\+?\d(?:[ .\-()]?\d){8,}")
# Keys of the items of a configuration list, tried in this order (services have codes,
# officers and accounts users, device tokens names).
IDENTITY_KEYS = ("code", "user", "name")
_MISSING = object()


def masked_text(text: str) -> str:
    """``text`` with every long run of digits cut to its last three."""
    return _LONG_NUMBER.sub(_mask, text)


def _mask(found: re.Match[str]) -> str:
    digits = [character for character in found.group(0) if character.isdigit()]
    return "*" * (len(digits) - 3) + "".join(digits[-3:])


def redacted(value: Any, key: str | None = None) -> Any:
    """``value`` as an audit entry may keep it (JSON types only): secrets hidden, long
    numbers masked, recursively. ``key``: the key ``value`` is held under."""
    if key is not None and key in SECRET_KEYS:
        return HIDDEN if value not in (None, "", [], {}) else value
    if isinstance(value, str):
        return value if key in UNMASKED_KEYS else masked_text(value)
    if isinstance(value, Mapping):
        return {str(name): redacted(item, str(name)) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [redacted(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return masked_text(str(value))


def encoded(value: Any) -> str | None:
    """The JSON text an entry keeps of ``value`` (redacted; ``None`` stays ``None``),
    bounded by :data:`JSON_LIMIT`."""
    if value is None:
        return None
    safe = redacted(value)
    text = json.dumps(safe, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if len(text) <= JSON_LIMIT:
        return text
    paths = list(safe)[:PATHS_KEPT] if isinstance(safe, dict) else []
    return json.dumps({"truncated": True, "paths": paths}, ensure_ascii=False,
                      separators=(",", ":"))


def configuration_changes(before: Mapping[str, Any], after: Mapping[str, Any]
                          ) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    """What changed from configuration document ``before`` to ``after``: the old and new
    value of each changed path (redacted; ``None`` where the path did not exist), and the
    codes of the sites the changes are in (``accounts`` belong to none)."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for key in ("sites", "accounts"):
        _walk(key, before.get(key, []), after.get(key, []), old, new)
    sites = {path.split("/")[1] for path in old if path.startswith("sites/")}
    return old, new, sites


def _walk(path: str, before: Any, after: Any, old: dict[str, Any], new: dict[str, Any]
          ) -> None:
    if before == after:
        return
    key = path.rsplit("/", 1)[-1]
    if key in SECRET_KEYS:
        old[path] = None if before is _MISSING else HIDDEN
        new[path] = None if after is _MISSING else CHANGED
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for name in [*before, *(name for name in after if name not in before)]:
            _walk(f"{path}/{name}", before.get(name, _MISSING), after.get(name, _MISSING),
                  old, new)
        return
    if isinstance(before, list) and isinstance(after, list):
        identity = _identity(before, after)
        if identity is not None:
            earlier = {str(item[identity]): item for item in before}
            later = {str(item[identity]): item for item in after}
            for name in [*earlier, *(name for name in later if name not in earlier)]:
                _walk(f"{path}/{name}", earlier.get(name, _MISSING),
                      later.get(name, _MISSING), old, new)
            return
    old[path] = None if before is _MISSING else redacted(before, key)
    new[path] = None if after is _MISSING else redacted(after, key)


def _identity(before: list[Any], after: list[Any]) -> str | None:
    """The key every item of both lists is known by, unique on each side, or ``None``."""
    items = [*before, *after]
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for key in IDENTITY_KEYS:
        if all(isinstance(item.get(key), str) for item in items) and all(
                len({item[key] for item in side}) == len(side) for side in (before, after)):
            return key
    return None
