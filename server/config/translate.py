"""pydantic's ValidationError read as the configuration's problems: key and plain reason.

A location ``('sites', 0, 'counters', 3, 'services', 1)`` becomes the key
``sites[0].counters[3].services[1]``; pydantic's error types become the words the TOML's
reader understands (``must be a whole number, got '8765'``, ``unknown key; did you mean
'server'?``); the models' own rules (:func:`server.config.errors.rule_error`) carry their
key and reason. A value is shown only when its field holds no secret.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from server.config.errors import (
    RULE_ERROR_TYPE,
    ConfigError,
    Problem,
    join_key,
    rule_problem,
)
from server.config.values import SECRET_FIELD

# How alike two key names must be (difflib ratio) to suggest one is a misspelling of the other.
TYPO_CUTOFF = 0.75

# What each of pydantic's type errors expected, in the words of the reasons.
_EXPECTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "dict_type": "a table",
}


def config_error(error: ValidationError, model: type[BaseModel]) -> ConfigError:
    """The :class:`ConfigError` for ``error``, raised validating ``model``; keys are relative
    to the document ``model`` validated. Its ``problems`` list every error pydantic found."""
    problems = [_problem(item, model) for item in error.errors(include_url=False)]
    if not problems:  # pydantic never raises without an error; keep a message regardless
        problems = [Problem("", "is not a valid configuration")]
    key, reason = problems[0]
    return ConfigError(key, reason, problems)


def _problem(item: ErrorDetails, model: type[BaseModel]) -> Problem:
    location = item["loc"]
    base = location_key(location)
    kind = item["type"]
    context: Mapping[str, Any] = item.get("ctx") or {}
    owner, field = _locate(model, location)
    value = item.get("input")
    hidden = field is not None and _is_secret(field)
    if kind == RULE_ERROR_TYPE:
        return rule_problem(base, str(context["key"]), tuple(context["parts"]))
    if kind == "missing":
        return Problem(base, "is required" + _missing_hint(location, value, owner))
    if kind == "extra_forbidden":
        return Problem(base, "unknown key" + _unknown_hint(location, owner))
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        if isinstance(value, bool):
            # TOML booleans are ints in Python; say so rather than "got True".
            return Problem(base, f"must be {expected}, not a boolean")
        return Problem(base, f"must be {expected}, got {describe(value, hidden)}")
    if kind == "greater_than_equal":
        return Problem(base, f"must be at least {context['ge']}, got {describe(value, hidden)}")
    if kind == "greater_than":
        return Problem(base, f"must be more than {context['gt']:g}, "
                             f"got {describe(value, hidden)}")
    if kind == "less_than_equal":
        return Problem(base, f"must be at most {context['le']}, got {describe(value, hidden)}")
    if kind == "finite_number":
        return Problem(base, f"must be a finite number, got {describe(value, hidden)}")
    if kind == "string_too_short":
        return Problem(base, f"must be at least {context['min_length']} characters")
    # An error type no rule here produces: pydantic's own sentence, which shows no value.
    return Problem(base, item["msg"][:1].lower() + item["msg"][1:])


def location_key(location: Sequence[int | str]) -> str:
    """``('sites', 0, 'code')`` as ``sites[0].code``."""
    key = ""
    for part in location:
        key = join_key(key, f"[{part}]" if isinstance(part, int) else part)
    return key


def describe(value: object, hidden: bool) -> str:
    """A value for a reason: tables, lists and secrets by their kind only."""
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    if hidden:
        kinds = {str: "text", bool: "true or false", int: "a whole number", float: "a number"}
        return kinds.get(type(value), "a value")
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value)


def _missing_hint(location: Sequence[int | str], table: object,
                  owner: type[BaseModel] | None) -> str:
    """A key of ``table`` the model does not know and that looks like the missing one."""
    if owner is None or not isinstance(table, Mapping) or not location:
        return ""
    unknown = [name for name in table if isinstance(name, str) and name not in owner.model_fields]
    near = difflib.get_close_matches(str(location[-1]), unknown, n=1, cutoff=TYPO_CUTOFF)
    return f" (is {near[0]!r} a misspelling of it?)" if near else ""


def _unknown_hint(location: Sequence[int | str], owner: type[BaseModel] | None) -> str:
    names = sorted(owner.model_fields) if owner is not None else []
    near = difflib.get_close_matches(str(location[-1]), names, n=1, cutoff=TYPO_CUTOFF)
    if near:
        return f"; did you mean {near[0]!r}?"
    return " (a typo, or a setting this version does not know)"


def _locate(model: type[BaseModel], location: Sequence[int | str]
            ) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """The model that holds the last key of ``location``, and that key's field if it has it.

    List positions are skipped: ``('sites', 0, 'counters', 3, 'zone')`` is the ``zone`` field
    of :class:`CounterModel`.
    """
    owner: type[BaseModel] | None = None
    current: type[BaseModel] | None = model
    field: FieldInfo | None = None
    for part in location:
        if isinstance(part, int):
            continue
        if current is None:
            return None, None
        owner, field = current, current.model_fields.get(part)
        current = _model_within(field.annotation) if field is not None else None
    return owner, field


def _model_within(annotation: object) -> type[BaseModel] | None:
    """The model a field's type holds: itself, or inside a list, an optional, an Annotated."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (list, typing.Union, types.UnionType,
                                         typing.Annotated):
        for argument in typing.get_args(annotation):
            found = _model_within(argument)
            if found is not None:
                return found
    return None


def _is_secret(field: FieldInfo) -> bool:
    extra = field.json_schema_extra
    return isinstance(extra, dict) and all(extra.get(name) == value
                                           for name, value in SECRET_FIELD.items())
