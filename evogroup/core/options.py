"""Typed plug-in options: declared once as a frozen dataclass, validated once, shown by the CLI.

A backend (:class:`evogroup.backend.options.BackendOptions`) or a search strategy
(:class:`evogroup.core.strategy.StrategyOptions`) declares its options as fields made by
:func:`option`::

    @dataclass(frozen=True)
    class MyOptions(BackendOptions):
        width_mult: float = option(1.0, "channel width multiplier", low=0, low_open=True)
        data: str | None = option(None, "dataset folder", steps=TRAINING)

The type comes from the annotation (``str``, ``int``, ``float``, ``bool``, optionally
``| None``); ``None`` as a default means "not set" (the backend picks a recipe value).
Constructing the dataclass validates every value — type, choices, range — so a library
user and the CLI get the same one-line error, and the CLI shows the range in ``--help``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Union

from evogroup.core.errors import OptionError

#: The steps of a backend's lifecycle an option can change: training the supernet, scoring
#: genomes on it, training a genome from scratch. A front end shows an option wherever one of
#: its steps runs (the CLI's map of commands to steps is :mod:`evogroup.cli.command_steps`).
STEPS = ("supernet", "fitness", "final")
SUPERNET = ("supernet",)
FITNESS = ("fitness",)
FINAL = ("final",)
#: Options of every step that trains or scores a network (data, device, batch size).
TRAINING = STEPS
_KINDS = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


@dataclass(frozen=True)
class OptionSpec:
    """What :func:`option` records about a field (the dataclass field's metadata)."""

    help: str
    choices: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    steps: tuple[str, ...] = ()
    #: Deprecated (0.1's ``commands=``): the CLI commands that show it, checked by the CLI.
    commands: tuple[str, ...] = ()


def option(
    default: Any,
    help: str,  # noqa: A002 - the word users know from click and argparse
    *,
    choices: tuple[Any, ...] = (),
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    steps: tuple[str, ...] = (),
    commands: tuple[str, ...] = (),
) -> Any:
    """A dataclass field for a backend option.

    Args:
        default: the value when not given (``None``: not set).
        help: one line for ``--help``.
        choices: when not empty, the only admissible values.
        low, high: the admissible range (inclusive, or ``low < value`` with ``low_open``).
        steps: the lifecycle steps it changes, among :data:`STEPS` (empty: every command
            shows it); a name that is not a step is refused here, so a typo cannot hide a flag.
        commands: deprecated since 0.2 (removed in 0.3): CLI command names; use ``steps``.
    """
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        raise OptionError(f"option steps must be among {', '.join(STEPS)}, but got {unknown[0]!r}")
    if commands:
        warnings.warn(
            "option(commands=...) is deprecated and removed in evogroup 0.3: name the lifecycle"
            f" steps the option changes with steps= (among {', '.join(STEPS)})",
            DeprecationWarning,
            stacklevel=2,
        )
    spec = OptionSpec(help, tuple(choices), low, high, low_open, tuple(steps), tuple(commands))
    return dataclasses.field(default=default, metadata={"evogroup": spec})


@dataclass(frozen=True)
class Field:
    """One declared option: name, scalar type, whether ``None`` is allowed, default, spec."""

    name: str
    type: type
    optional: bool
    default: Any
    spec: OptionSpec

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def check(self, value: Any) -> Any:
        """``value`` converted to this field's type, or an :class:`OptionError` naming the rule."""
        if value is None:
            if self.optional or self.default is None:
                return None
            raise OptionError(f"{self.name} must be set, but got {self.name}=None")
        value = _convert(self.name, self.type, value)
        s = self.spec
        if s.choices and value not in s.choices:
            allowed = ", ".join(map(str, s.choices))
            raise OptionError(
                f"{self.name} must be one of {allowed}, but got {self.name}={value!r}"
            )
        if s.low is not None and (value <= s.low if s.low_open else value < s.low):
            rule = f"{self.name} {'>' if s.low_open else '>='} {s.low:g}"
            raise OptionError(f"{rule} must hold, but got {self.name}={value!r}")
        if s.high is not None and value > s.high:
            raise OptionError(f"{self.name} <= {s.high:g} must hold, but got {self.name}={value!r}")
        return value


def _convert(name: str, kind: type, value: Any) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise OptionError(f"{name} must be true or false, but got {name}={value!r}")
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise OptionError(f"{name} must be {_KINDS[kind]}, but got {name}={value!r}")
    if kind is float and not math.isfinite(value):  # NaN passes every range check otherwise
        raise OptionError(f"{name} must be a finite number, but got {name}={value!r}")
    return value


@dataclass(frozen=True)
class Options:
    """Base of a plug-in's options dataclass (a backend's, a strategy's); empty by itself."""

    def __post_init__(self) -> None:
        for f in self.fields():
            object.__setattr__(self, f.name, f.check(getattr(self, f.name)))

    @classmethod
    def fields(cls) -> tuple[Field, ...]:
        """The declared options, in declaration order."""
        return _fields(cls)

    @classmethod
    def parse(cls, owner: str, values: dict[str, Any], error: type[Exception] = OptionError):
        """Options from ``values`` (missing ones take their defaults); an unknown name is an
        ``error`` naming ``owner`` (e.g. "backend 'x'") and listing the known ones."""
        known = [f.name for f in cls.fields()]
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise error(
                f"{owner} has no option {unknown[0]!r}; it has: {', '.join(known) or 'none'}"
            )
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in self.fields()}

    def replace(self, **changes: Any) -> Options:
        return dataclasses.replace(self, **changes)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self.to_json().items())


@functools.cache
def _fields(cls: type) -> tuple[Field, ...]:
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        spec = f.metadata.get("evogroup")
        if spec is None:
            raise OptionError(f"{cls.__name__}.{f.name} must be declared with evogroup.option(...)")
        kind, optional = _scalar(cls, f.name, hints[f.name])
        out.append(Field(f.name, kind, optional, f.default, spec))
    return tuple(out)


def _scalar(cls: type, name: str, hint: Any) -> tuple[type, bool]:
    """``(scalar type, None allowed)`` of an annotation such as ``int`` or ``str | None``."""
    args = typing.get_args(hint) if typing.get_origin(hint) in (Union, types.UnionType) else (hint,)
    scalars = [a for a in args if a is not type(None)]
    if len(scalars) != 1 or scalars[0] not in _KINDS:
        raise OptionError(
            f"{cls.__name__}.{name} must be annotated str, int, float or bool (optionally"
            f" | None), but got {hint!r}"
        )
    return scalars[0], len(scalars) != len(args)
