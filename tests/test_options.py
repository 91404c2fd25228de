"""Typed backend options: declared once, validated once, with the rule and the value in errors."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from evogroup import BackendError, BackendOptions, OptionError, option
from evogroup.core.options import SUPERNET


@dataclass(frozen=True)
class Opts(BackendOptions):
    module: str = option("M2", "network module", choices=("M1", "M2"))
    width_mult: float = option(1.0, "width", low=0, low_open=True)
    epochs: int | None = option(None, "epochs", low=1, steps=SUPERNET)
    fused: bool = option(True, "fused optimizer")


def test_defaults_and_conversion():
    opts = Opts.parse("demo", {"width_mult": 1, "epochs": 3.0})
    assert opts == Opts("M2", 1.0, 3, True)
    assert isinstance(opts.width_mult, float) and isinstance(opts.epochs, int)
    assert Opts.parse("demo", opts.to_json()) == opts


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"width_mult": 0}, "width_mult > 0 must hold, but got width_mult=0.0"),
        ({"epochs": 0}, "epochs >= 1 must hold, but got epochs=0"),
        ({"epochs": -3}, "epochs >= 1 must hold, but got epochs=-3"),
        ({"module": "M9"}, "module must be one of M1, M2, but got module='M9'"),
        ({"epochs": "3"}, "epochs must be an integer, but got epochs='3'"),
        ({"epochs": 2.5}, "epochs must be an integer, but got epochs=2.5"),
        ({"width_mult": float("nan")}, "width_mult must be a finite number"),
        ({"width_mult": float("inf")}, "width_mult must be a finite number"),
        ({"fused": 1}, "fused must be true or false, but got fused=1"),
        ({"module": None}, "module must be set, but got module=None"),
    ],
)
def test_bad_values_name_the_rule_and_the_value(values, message):
    with pytest.raises(OptionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Opts.parse("demo", values)


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(BackendError, match="backend 'demo' has no option 'depth'; it has: module"):
        Opts.parse("demo", {"depth": 3})


def test_a_typo_in_the_deprecated_commands_is_refused_where_the_cli_reads_it():
    from evogroup.cli.command_steps import shown_on

    with pytest.warns(DeprecationWarning):
        spec = option(1, "x", commands=("serach",)).metadata["evogroup"]
    with pytest.raises(OptionError, match="option commands must be among .* but got 'serach'"):
        shown_on(spec, "search")


def test_a_field_not_declared_with_option_is_refused():
    @dataclass(frozen=True)
    class Loose(BackendOptions):
        width: float = 1.0

    with pytest.raises(OptionError, match=r"Loose.width must be declared with evogroup.option"):
        Loose()


def test_an_unsupported_annotation_is_refused():
    @dataclass(frozen=True)
    class Listy(BackendOptions):
        sizes: list = option((), "sizes")

    with pytest.raises(OptionError, match="Listy.sizes must be annotated str, int, float or bool"):
        Listy()


def test_an_option_is_shown_on_the_commands_that_run_its_steps():
    from evogroup.cli.command_steps import COMMANDS, shown_on

    epochs = next(f for f in Opts.fields() if f.name == "epochs").spec
    everywhere = next(f for f in Opts.fields() if f.name == "module").spec
    shown = [c for c in COMMANDS if shown_on(epochs, c)]
    assert shown == ["search", "train-supernet", "reproduce", "rank-check"]
    assert all(shown_on(everywhere, c) for c in COMMANDS)


def test_a_step_typo_is_refused_where_the_option_is_declared():
    with pytest.raises(OptionError, match="option steps must be among supernet, fitness, final"):
        option(1, "x", steps=("supernett",))


def test_the_command_names_of_0_1_still_work_with_a_deprecation_warning():
    from evogroup.cli.command_steps import shown_on

    with pytest.warns(DeprecationWarning, match="steps="):
        field = option(1, "x", commands=("train",))
    spec = field.metadata["evogroup"]
    assert shown_on(spec, "train") and not shown_on(spec, "search")
