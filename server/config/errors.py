"""The configuration's one exception, and how a rule of the models names where it broke.

A problem is always a *key* (``sites[0].counters[3].services[1]``, ``server.public_url``) and
a plain *reason* an IT officer or an administrator can act on. Secrets (tokens, the server
secret, password hashes, the database address) never appear in a reason: a reason names the
key that holds one, not its value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from pydantic_core import PydanticCustomError

# The error type of every rule written in server.config.models (pydantic's own errors keep
# theirs: missing, int_type, greater_than_equal, ...).
RULE_ERROR_TYPE = "qms_config"


class Problem(NamedTuple):
    """One thing wrong: where (``key``) and why (``reason``)."""

    key: str
    reason: str


class ConfigError(ValueError):
    """The configuration is wrong; ``key`` names where, ``reason`` says why.

    ``problems`` holds every problem found in one pass, the first being ``(key, reason)``:
    a form can show each beside its input. Checks between sections (a counter's service
    exists, two number groups never print the same number) run once every value is valid on
    its own, so they appear only when nothing else is wrong.
    """

    def __init__(self, key: str, reason: str,
                 problems: Sequence[Problem] | None = None) -> None:
        super().__init__(f"{key}: {reason}" if key else reason)
        self.key = key
        self.reason = reason
        self.problems: tuple[Problem, ...] = (tuple(problems) if problems
                                              else (Problem(key, reason),))


def join_key(base: str, relative: str) -> str:
    """``relative`` (``counters[3].zone``, ``[2]``, ``""``) read from the table at ``base``."""
    if not base:
        return relative
    if not relative:
        return base
    return base + relative if relative.startswith("[") else f"{base}.{relative}"


def rule_error(key: str, *parts: str) -> PydanticCustomError:
    """The error a model's rule raises: ``key`` relative to the model, the reason in ``parts``.

    ``parts`` alternate text and keys (text, key, text, ...); each key is relative to the
    model too and is shown in full (``also at sites[0].services[0].code``) wherever the model
    sits. The rule never puts a secret in a part.
    """
    relative_reason = "".join(parts)
    return PydanticCustomError(RULE_ERROR_TYPE, "{reason}",
                               {"reason": relative_reason, "key": key, "parts": parts})


def rule_problem(base: str, key: str, parts: Sequence[str]) -> Problem:
    """The :class:`Problem` of a rule's error raised by the model at ``base``."""
    reason = "".join(join_key(base, part) if index % 2 else part
                     for index, part in enumerate(parts))
    return Problem(join_key(base, key), reason)
