"""Hypothesis strategies for hostile protocol frames, derived from the message definitions.

Every request model of :mod:`server.protocol.messages` is read field by field (its type,
length and range limits, its choices, whether it may be left out); from that come values the
field accepts and values it must refuse. A request type added to the protocol is covered
without a change here; a field of a kind this module has never seen stops the suite with
:class:`UnknownFieldKind`, so that it is taught rather than skipped.

A :class:`HostileFrame` says what it is meant to be: ``malformed`` when a mutation that the
definitions forbid was applied (a missing field, a value out of its limits, an unknown field,
broken JSON, an oversized frame...); a well-shaped frame (``malformed`` false) carries values
that name nothing of the test site (no service, counter, officer or site code it has), so that
it is refused for its authority or its state, never carried out.
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from pydantic.fields import FieldInfo

from server.protocol import messages as wire


class UnknownFieldKind(TypeError):
    """A message field of a kind these strategies cannot yet attack."""


# --- field kinds, read from the definitions -------------------------------------------------


@dataclass(frozen=True)
class TextKind:
    min_length: int
    max_length: int | None
    printable: bool  # control characters refused (messages._printable)
    digits: int | None  # exactly this many ASCII digits (messages._cccd)


@dataclass(frozen=True)
class IntegerKind:
    minimum: int | None
    maximum: int | None


@dataclass(frozen=True)
class BooleanKind:
    pass


@dataclass(frozen=True)
class ChoiceKind:
    values: tuple[str, ...]


@dataclass(frozen=True)
class TimeKind:
    """An ISO 8601 time with an offset, years 2000 .. 2100 (messages._sane_time)."""


@dataclass(frozen=True)
class DateKind:
    """A ``YYYY-MM-DD`` date from 1900 (messages._birth_date)."""


@dataclass(frozen=True)
class TextListKind:
    max_items: int | None
    item: TextKind


@dataclass(frozen=True)
class NullKind:
    pass


@dataclass(frozen=True)
class EventListKind:
    """A list of forwarded events (messages.ForwardedEvent: a centre's ``forward``)."""

    max_items: int | None


Kind = (TextKind | IntegerKind | BooleanKind | ChoiceKind | TimeKind | DateKind | TextListKind
        | NullKind | EventListKind)


@dataclass(frozen=True)
class FieldShape:
    """One field of a request: its name, whether it must be given, the kinds it takes, and
    a strict validator of the field alone (what the server's model does with it)."""

    name: str
    required: bool
    kinds: tuple[Kind, ...]
    adapter: TypeAdapter[Any]

    def accepts(self, value: Any) -> bool:
        try:
            self.adapter.validate_json(json.dumps(value))
        except (PydanticValidationError, ValueError):
            return False
        return True


@dataclass(frozen=True)
class RequestShape:
    """A request type (``name``) and its fields other than ``type``."""

    name: str
    model: type[BaseModel]
    fields: tuple[FieldShape, ...]

    @property
    def required(self) -> tuple[FieldShape, ...]:
        return tuple(field for field in self.fields if field.required)


def request_models() -> dict[str, type[BaseModel]]:
    """Every member of the protocol's request union, by its ``type``."""
    union = get_args(wire.Request)[0]
    models: dict[str, type[BaseModel]] = {}
    for model in get_args(union):
        literal = model.model_fields["type"].annotation
        (name,) = get_args(literal)
        models[name] = model
    return models


def request_shapes() -> dict[str, RequestShape]:
    """The shape of every request type, read from its model."""
    return {name: shape_of(name, model) for name, model in request_models().items()}


def shape_of(name: str, model: type[BaseModel]) -> RequestShape:
    """The shape of one request model; raises :class:`UnknownFieldKind` for a field these
    strategies cannot attack yet."""
    return RequestShape(name, model, tuple(
        _field_shape(field_name, info) for field_name, info in model.model_fields.items()
        if field_name != "type"))


def _field_shape(name: str, info: FieldInfo) -> FieldShape:
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[(annotation, *info.metadata)]
    strict = ConfigDict(strict=True)
    return FieldShape(name, info.is_required(), _kinds(info.annotation, list(info.metadata)),
                      TypeAdapter(annotation, config=strict))


def _kinds(annotation: Any, metadata: list[Any]) -> tuple[Kind, ...]:
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        return _kinds(base, [*metadata, *extra])
    if origin in (Union, types.UnionType):
        return tuple(kind for member in get_args(annotation) for kind in _kinds(member, metadata))
    constraints = _constraints(metadata)
    if annotation is type(None):
        return (NullKind(),)
    if origin is Literal:
        return (ChoiceKind(tuple(str(value) for value in get_args(annotation))),)
    if origin is list:
        (item,) = get_args(annotation)
        if item is wire.ForwardedEvent:
            return (EventListKind(constraints.get("max_length")),)
        kinds = _kinds(item, [])
        if len(kinds) != 1 or not isinstance(kinds[0], TextKind):
            raise UnknownFieldKind(f"a list of {item!r}")
        return (TextListKind(constraints.get("max_length"), kinds[0]),)
    if annotation is str:
        checks = constraints.get("after", ())
        return (TextKind(constraints.get("min_length", 0), constraints.get("max_length"),
                         printable=wire._printable in checks,
                         digits=constraints.get("max_length") if wire._cccd in checks
                         else None),)
    if annotation is bool:
        return (BooleanKind(),)
    if annotation is int:
        return (IntegerKind(constraints.get("ge"), constraints.get("le")),)
    if annotation is datetime:
        return (TimeKind(),)
    if annotation is date:
        return (DateKind(),)
    raise UnknownFieldKind(f"no hostile values known for {annotation!r}: teach "
                           "support.frame_strategies")


# The checks of messages.py whose refusals the values below know how to provoke.
_KNOWN_CHECKS: tuple[Callable[..., Any], ...] = (
    wire._printable, wire._cccd, wire._sane_time, wire._birth_date)


def _constraints(metadata: Iterable[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"after": ()}
    for item in metadata:
        if isinstance(item, FieldInfo):
            found.update({key: value for key, value in _constraints(item.metadata).items()
                          if key != "after"})
            found["after"] += _constraints(item.metadata)["after"]
        elif isinstance(item, annotated_types.MinLen):
            found["min_length"] = item.min_length
        elif isinstance(item, annotated_types.MaxLen):
            found["max_length"] = item.max_length
        elif isinstance(item, annotated_types.Ge):
            found["ge"] = item.ge
        elif isinstance(item, annotated_types.Le):
            found["le"] = item.le
        elif isinstance(item, AfterValidator | BeforeValidator):
            if item.func not in _KNOWN_CHECKS:
                raise UnknownFieldKind(f"a check {item.func.__name__}: teach "
                                       "support.frame_strategies what it refuses")
            found["after"] += (item.func,)
        else:
            raise UnknownFieldKind(f"a constraint {item!r}")
    return found


# --- values ---------------------------------------------------------------------------------

# Text a person could type: letters of every script, digits, punctuation, no control
# characters and no lone surrogates (those are broken JSON, made on purpose elsewhere).
_PRINTABLE = st.characters(exclude_categories=("Cs", "Cc"))
_CONTROL = st.sampled_from(["\x00", "\n", "\r", "\t", "\x1b", "\x7f", "\x85", "\x9f"])
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6)
_WRONG_TYPES = st.sampled_from([0, 1, -1, 1.5, True, False, [], {}, ["x"], {"a": 1}])


@dataclass(frozen=True)
class Names:
    """What the values of a well-shaped frame must never name (compared trimmed and without
    case): the test site's codes, officers and ticket numbers."""

    known: frozenset[str]

    def names_nothing(self, value: Any) -> bool:
        if isinstance(value, str):
            return value.strip().casefold() not in self.known
        if isinstance(value, list):
            return all(self.names_nothing(item) for item in value)
        return True


def _repeated(longest: int) -> Callable[[str], str]:
    def repeat(seed: str) -> str:
        return (seed * longest)[:longest]
    return repeat


def _over(limit: int) -> Callable[[int], str]:
    def text(extra: int) -> str:
        return "x" * (limit + extra)
    return text


def _shifted(base: int) -> Callable[[int], int]:
    def shift(offset: int) -> int:
        return base + offset
    return shift


def _time_text(moment: datetime, offset_minutes: int) -> str:
    zone = timezone(timedelta(minutes=offset_minutes))
    return moment.replace(tzinfo=zone).isoformat()


def _spliced(head: str, bad: str, tail: str) -> str:
    return head + bad + tail


def valid_value(kind: Kind, names: Names) -> st.SearchStrategy[Any]:
    """A value of ``kind`` that its field accepts and that names nothing of the site."""
    if isinstance(kind, TextKind):
        if kind.digits is not None:
            return st.text("0123456789", min_size=kind.digits, max_size=kind.digits)
        longest = kind.max_length if kind.max_length is not None else 60
        short = st.text(_PRINTABLE, min_size=kind.min_length, max_size=min(longest, 8))
        # The longest the field allows (a short text repeated: drawing hundreds of characters
        # one by one is slow): limits are where off-by-one refusals hide.
        full = st.text(_PRINTABLE, min_size=1, max_size=3).map(_repeated(longest))
        return st.one_of(short, full).filter(names.names_nothing)
    if isinstance(kind, IntegerKind):
        return st.integers(kind.minimum if kind.minimum is not None else -(2**63),
                           kind.maximum if kind.maximum is not None else 2**63 - 1)
    if isinstance(kind, BooleanKind):
        return st.booleans()
    if isinstance(kind, ChoiceKind):
        return st.sampled_from(kind.values)
    if isinstance(kind, TimeKind):
        return st.builds(_time_text, st.datetimes(datetime(2000, 1, 2), datetime(2099, 12, 30)),
                         st.integers(-12 * 60, 14 * 60))
    if isinstance(kind, DateKind):
        return st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(date.isoformat)
    if isinstance(kind, TextListKind):
        return st.lists(valid_value(kind.item, names), max_size=min(kind.max_items or 8, 8))
    if isinstance(kind, EventListKind):
        # Events that name nothing of the site: a configuration change, no record.
        return st.lists(st.fixed_dictionaries({
            "seq": st.integers(1, 2**53), "event": st.just("config.changed"),
            "at": valid_value(TimeKind(), names), "data": st.just({})}), max_size=3)
    assert isinstance(kind, NullKind)
    return st.none()


def invalid_candidates(kind: Kind) -> st.SearchStrategy[Any]:
    """Values meant to break ``kind``'s limits (the field's own check decides: see
    :func:`invalid_value`)."""
    wrong: list[st.SearchStrategy[Any]] = [_WRONG_TYPES, st.none()]
    if isinstance(kind, TextKind):
        if kind.max_length is not None:
            wrong.append(st.integers(1, 40).map(_over(kind.max_length)))
        if kind.min_length:
            wrong.append(st.just(""))
        if kind.printable:
            wrong.append(st.builds(_spliced, st.text(_PRINTABLE, max_size=4), _CONTROL,
                                   st.text(_PRINTABLE, max_size=4)))
        if kind.digits is not None:
            wrong.append(st.text("0123456789abc -", min_size=1, max_size=14))
    elif isinstance(kind, IntegerKind):
        if kind.minimum is not None:
            wrong.append(st.integers(-(2**40), -1).map(_shifted(kind.minimum)))
        if kind.maximum is not None:
            wrong.append(st.integers(1, 2**40).map(_shifted(kind.maximum)))
        wrong.append(st.sampled_from(["1", "0x10", 2.0, -0.5, 1e300]))
    elif isinstance(kind, BooleanKind):
        wrong.append(st.sampled_from(["true", "false", 0, 1, "yes"]))
    elif isinstance(kind, ChoiceKind):
        wrong.append(st.sampled_from([value.upper() for value in kind.values]
                                     + [value + " " for value in kind.values]))
        wrong.append(st.text(_PRINTABLE, max_size=12))
    elif isinstance(kind, TimeKind):
        wrong.append(st.sampled_from([
            "2026-11-23T08:00:00", "1999-12-31T23:00:00+07:00", "2101-01-01T00:00:00+07:00",
            "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "26-11-23 08:00",
            "2026-13-01T00:00:00+07:00", "not a time", "2026-11-23T08:00:00+25:00"]))
    elif isinstance(kind, DateKind):
        wrong.append(st.sampled_from(["1950-3-14", "2026-02-30", "1899-12-31", "14/03/1950",
                                      "1950-03-14T00:00:00", "", "２０２０-01-01"]))
    elif isinstance(kind, EventListKind):
        event = {"seq": 1, "event": "config.changed", "at": "2026-11-23T08:00:00+07:00",
                 "data": {}}
        wrong.append(st.sampled_from([
            [1, 2], "events", [None], [{**event, "seq": 0}], [{**event, "event": "ticket."}],
            [{**event, "record": {"kind": "ticket"}}], [{**event, "extra": 1}],
            [{key: value for key, value in event.items() if key != "at"}],
            [{**event, "data": []}]]))
    elif isinstance(kind, TextListKind):
        most = kind.max_items or 32
        wrong.append(st.just(["ticket."] * (most + 1)))
        if kind.item.max_length is not None:
            wrong.append(st.just(["x" * (kind.item.max_length + 1)]))
        wrong.append(st.sampled_from([[1, 2], "ticket.", [None]]))
    return st.one_of(wrong)


def invalid_value(field: FieldShape) -> st.SearchStrategy[Any]:
    """A value ``field`` refuses, whichever of its kinds it is read as."""
    def refused(value: Any) -> bool:
        return not field.accepts(value)
    return st.one_of([invalid_candidates(kind) for kind in field.kinds
                      if not isinstance(kind, NullKind)]).filter(refused)


# --- frames ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HostileFrame:
    """One frame to send: text (a text frame) or bytes (a binary frame), the request type it
    was made from, and whether a mutation the definitions forbid was applied (then the
    server must answer ``bad_request``)."""

    payload: str | bytes
    type: str
    malformed: bool
    how: str

    def __repr__(self) -> str:  # failures print it: keep huge frames short
        shown = self.payload if len(self.payload) <= 300 else self.payload[:300]
        return f"HostileFrame({self.how}, {self.type}, {shown!r})"


REQUEST_IDS = st.one_of(st.integers(0, 2**53), st.text(_PRINTABLE, max_size=64))
_BAD_IDS = st.sampled_from([-1, 2**53 + 1, 1.5, True, None, "i" * 65, [1], {"id": 1}])
MUTATIONS = ("missing_field", "invalid_value", "unknown_field", "bad_id", "bad_type",
             "truncated", "junk_after", "not_an_object", "deep_nesting", "huge_number",
             "lone_surrogate", "invalid_utf8", "oversized")


def dump(frame: dict[str, Any]) -> str:
    """A frame's JSON text as a client writes it."""
    return json.dumps(frame, ensure_ascii=False)


class RequestFrames:
    """The strategies of one request type, built once (building a strategy costs far more
    than drawing from it)."""

    def __init__(self, shape: RequestShape, names: Names,
                 overrides: dict[str, st.SearchStrategy[Any]] | None = None,
                 always: frozenset[str] = frozenset()) -> None:
        self.shape = shape
        values: dict[str, st.SearchStrategy[Any]] = {}
        for field in shape.fields:
            if overrides and field.name in overrides:
                values[field.name] = overrides[field.name]
            elif field.name == "id":
                values[field.name] = REQUEST_IDS
            else:
                values[field.name] = st.one_of([valid_value(kind, names) for kind in field.kinds
                                                if not isinstance(kind, NullKind)])
        self.valid_values = values
        self.invalid_values = {field.name: invalid_value(field) for field in shape.fields}
        self.well_shaped: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
            {"type": st.just(shape.name),
             **{field.name: values[field.name] for field in shape.fields
                if field.required or field.name in always}},
            optional={field.name: values[field.name] for field in shape.fields
                      if not field.required and field.name not in always})
        known = {field.name for field in shape.fields} | {"type"}

        def unknown(name: str) -> bool:
            return name not in known

        def not_a_type(name: object) -> bool:
            return name not in wire.REQUEST_TYPES

        self.unknown_names = st.text(_PRINTABLE, min_size=1, max_size=24).filter(unknown)
        self.bad_types = st.one_of(
            st.sampled_from([shape.name.upper(), shape.name + "_", " " + shape.name]),
            st.text(_PRINTABLE, max_size=20).filter(not_a_type), _WRONG_TYPES)
        self.field_names = st.sampled_from([field.name for field in shape.fields])
        self.required_names = st.sampled_from([field.name for field in shape.required])
        self.value_names = st.sampled_from([field.name for field in shape.fields
                                            if field.name != "id"] or ["id"])
        self.malformed = st.composite(self._malformed)()

    def _malformed(self, draw: st.DrawFn) -> HostileFrame:
        """A request of this type broken by one mutation the definitions forbid."""
        kind = self.shape.name
        frame = draw(self.well_shaped)
        mutation = draw(st.sampled_from(MUTATIONS))
        if mutation == "missing_field":
            frame.pop(draw(self.required_names), None)
        elif mutation == "invalid_value":
            name = draw(self.value_names)
            frame[name] = draw(self.invalid_values[name])
        elif mutation == "unknown_field":
            frame[draw(self.unknown_names)] = draw(ANY_JSON)
        elif mutation == "bad_id":
            frame["id"] = draw(_BAD_IDS)
        elif mutation == "bad_type":
            frame["type"] = draw(self.bad_types)
        if mutation in ("missing_field", "invalid_value", "unknown_field", "bad_id",
                        "bad_type"):
            return HostileFrame(dump(frame), kind, True, mutation)
        text = dump(frame)
        if mutation == "truncated":  # a strict prefix of an object is never JSON
            return HostileFrame(text[:draw(st.integers(0, len(text) - 1))], kind, True,
                                mutation)
        if mutation == "junk_after":
            return HostileFrame(text + draw(st.sampled_from(["x", "}", ",", "]", "{}", "0",
                                                              '"', "\u00a0z"])),
                                kind, True, mutation)
        if mutation == "not_an_object":
            return HostileFrame(json.dumps(draw(st.one_of(
                st.lists(ANY_JSON, max_size=3), st.text(max_size=10), st.integers(),
                st.none(), st.booleans(), st.just([frame])))), kind, True, mutation)
        if mutation == "deep_nesting":
            depth = draw(st.sampled_from([300, 2_000, 20_000]))
            return HostileFrame(text[:-1] + ',"nest":' + "[" * depth + "]" * depth + "}",
                                kind, True, mutation)
        if mutation == "huge_number":
            digits = draw(st.sampled_from([20, 400, 4_000]))
            name = draw(self.field_names)
            rest = {key: value for key, value in frame.items() if key != name}
            return HostileFrame(dump(rest)[:-1] + f', "{name}": ' + "9" * digits + "}",
                                kind, True, mutation)
        if mutation == "lone_surrogate":
            frame[draw(self.field_names)] = "a\ud800b"
            return HostileFrame(json.dumps(frame), kind, True, mutation)
        if mutation == "invalid_utf8":
            raw = text.encode("utf-8")
            at = draw(st.integers(0, len(raw)))
            bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80"]))
            return HostileFrame(raw[:at] + bad + raw[at:], kind, True, mutation)
        assert mutation == "oversized"
        padding = wire.MAX_FRAME_BYTES - len(text.encode("utf-8")) + draw(st.integers(1, 2_000))
        frame["padding"] = "p" * padding
        return HostileFrame(dump(frame), kind, True, mutation)


def frames(shapes: dict[str, RequestShape], names: Names,
           always: dict[str, frozenset[str]] | None = None) -> st.SearchStrategy[HostileFrame]:
    """Frames of every request type in ``shapes``, in equal shares: half of them well shaped
    (with values that name nothing; ``always[type]`` names optional fields they always
    carry), the others broken by one mutation."""
    options: list[st.SearchStrategy[HostileFrame]] = []
    for name, shape in sorted(shapes.items()):
        built = RequestFrames(shape, names, always=(always or {}).get(name, frozenset()))

        def shaped(frame: dict[str, Any], name: str = name) -> HostileFrame:
            return HostileFrame(dump(frame), name, False, "well_shaped")

        options.append(st.one_of(built.well_shaped.map(shaped), built.malformed))
    return st.one_of(options)
