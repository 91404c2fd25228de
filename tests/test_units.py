"""Reading and writing FLOP counts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evogroup import format_flops, parse_flops


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.8e8", 8e7),
        ("80M", 8e7),
        ("80m", 8e7),
        ("1.5G", 1.5e9),
        ("80000000", 8e7),
        (" 2k ", 2e3),
        ("80MFLOPs", 8e7),
        (8e7, 8e7),
        (3, 3.0),
    ],
)
def test_parse_flops_accepts(text, value):
    assert parse_flops(text) == value


@pytest.mark.parametrize("text", ["-3", "abc", "", "8e7x", "1.5Q", True])
def test_parse_flops_refuses_non_numbers(text):
    with pytest.raises(ValueError, match="a FLOP count is a positive number such as 0.8e8"):
        parse_flops(text)


@pytest.mark.parametrize("text", ["0", 0.0, -2.0, float("inf"), float("nan")])
def test_parse_flops_refuses_non_positive_values(text):
    with pytest.raises(ValueError, match="must be positive and finite"):
        parse_flops(text)


def test_format_flops_uses_the_papers_units():
    assert format_flops(8e7) == "0.800e8"
    assert format_flops(1.5397e8) == "1.540e8"


@given(st.floats(1e6, 1e12))
def test_flop_counts_round_trip_through_text(value):
    assert parse_flops(format_flops(value)) == pytest.approx(value, rel=1e-2)


@given(st.floats(1e-3, 1e6, exclude_max=True))
def test_small_costs_keep_their_digits(value):
    assert parse_flops(format_flops(value)) == pytest.approx(value, rel=1e-5)
