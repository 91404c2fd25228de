"""SearchSpace and Layer: choices, clipping, validation messages, index and JSON round trips."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evogroup import InvalidGenomeError, Layer, SearchSpace, divisors
from evogroup.testing import genomes, search_spaces

channels = st.integers(1, 2048)


@given(channels)
def test_divisors_are_all_divisors_in_order(n):
    assert divisors(n) == tuple(d for d in range(1, n + 1) if n % d == 0)


@pytest.mark.parametrize("n", [0, -4, 2.0, True])
def test_divisors_refuse_non_positive_integers(n):
    with pytest.raises(ValueError, match="channel counts must be positive integers"):
        divisors(n)


@given(channels, channels)
def test_choices_are_the_divisors_of_the_gcd(cin, cout):
    assert Layer.from_channels("conv", cin, cout).choices == divisors(math.gcd(cin, cout))


@given(channels, st.integers(1, 64), st.integers(1, 4096))
def test_min_and_max_groups_clip_the_choices(c, low, high):
    kept = [d for d in divisors(c) if low <= d <= high]
    if kept:
        assert Layer.from_channels("dw", c, min_groups=low, max_groups=high).choices == tuple(kept)
    else:
        with pytest.raises(ValueError, match="min_groups <= max_groups must leave a divisor"):
            Layer.from_channels("dw", c, min_groups=low, max_groups=high)


def test_clipping_that_leaves_nothing_names_the_layer():
    with pytest.raises(
        ValueError, match=r"of 12 for layer 'dw3', but got \(min_groups=5, max_groups=5\)"
    ):
        Layer.from_channels("dw3", 12, min_groups=5, max_groups=5)


def test_layer_choices_are_sorted_and_deduplicated():
    assert Layer("dw", (4, 1, 2, 2)).choices == (1, 2, 4)


@pytest.mark.parametrize(
    ("choices", "message"),
    [((), "layer 'dw' must have at least one group choice"), ((0, 2), "group counts must be >= 1")],
)
def test_layer_refuses_bad_choices(choices, message):
    with pytest.raises(ValueError, match=message):
        Layer("dw", choices)


def test_bad_channel_count_names_the_layer():
    with pytest.raises(ValueError, match="layer 'pw' got 0"):
        Layer.from_channels("pw", 8, 0)


def test_space_from_channel_pairs_and_names():
    space = SearchSpace.from_channels([32, (64, 96)], names=["dw", "pw"], max_groups=16)
    assert space.names == ("dw", "pw")
    assert [layer.choices for layer in space.layers] == [(1, 2, 4, 8, 16), (1, 2, 4, 8, 16)]
    assert space.size == 25


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SearchSpace(()), "a search space needs at least one layer"),
        (
            lambda: SearchSpace((Layer("a", (1,)), Layer("a", (1, 2)))),
            r"layer names must be unique, but got duplicates \['a'\]",
        ),
        (
            lambda: SearchSpace.from_channels([8, 8], names=["x"]),
            "names must match channels one to one, but got 1 names for 2 layers",
        ),
    ],
)
def test_space_refuses_bad_layers(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@given(search_spaces())
def test_size_is_the_product_of_choice_counts(space):
    assert space.size == math.prod(len(layer.choices) for layer in space.layers)


@given(st.data())
def test_index_value_round_trip(data):
    space = data.draw(search_spaces())
    genome = data.draw(genomes(space))
    indices = space.to_indices(genome)
    assert all(0 <= i < len(layer.choices) for i, layer in zip(indices, space.layers))
    assert space.from_indices(indices) == genome
    assert space.validate(genome) == genome


@given(search_spaces())
def test_json_round_trip(space):
    again = SearchSpace.from_json(json.loads(json.dumps(space.to_json())))
    assert again == space
    assert again.fingerprint() == space.fingerprint()


def test_fingerprint_changes_with_the_choices():
    space = SearchSpace.from_channels([8, 8])
    assert space.fingerprint() != SearchSpace.from_channels([8, 8], max_groups=4).fingerprint()


@given(search_spaces(), st.integers(1, 256))
def test_uniform_clips_each_layer(space, groups):
    genome = space.uniform(groups)
    assert space.validate(genome) == genome
    for layer, g in zip(space.layers, genome):
        assert abs(g - groups) == min(abs(c - groups) for c in layer.choices)


def test_uniform_ties_go_to_the_larger_count():
    space = SearchSpace((Layer("a", (2, 4)), Layer("b", (1, 2, 4, 8))))
    assert space.uniform(3) == (4, 4)
    assert space.uniform(64) == (4, 8)


@pytest.fixture
def space():
    return SearchSpace.from_channels([8, (8, 12)], names=["dw1", "pw2"])  # (1,2,4,8), (1,2,4)


@pytest.mark.parametrize(
    ("genome", "message"),
    [
        ((1, 2, 4), r"one group count per layer \(2\), but got 3"),
        ((1, 8), r"layer 'pw2' cannot have 8 groups; allowed: 1, 2, 4"),
        ((3, 1), r"layer 'dw1' cannot have 3 groups; allowed: 1, 2, 4, 8"),
        ((2.5, 1), r"layer 'dw1': group counts are integers, got 2.5"),
        ((True, 1), r"layer 'dw1': group counts are integers, got True"),
        (("2", 1), r"layer 'dw1': group counts are integers, got '2'"),
    ],
)
def test_validation_names_layer_value_and_choices(space, genome, message):
    with pytest.raises(InvalidGenomeError, match=message):
        space.validate(genome)


def test_validation_accepts_integral_floats(space):
    assert space.validate([4.0, 2]) == (4, 2)


def test_long_choice_lists_are_shortened_in_messages():
    with pytest.raises(InvalidGenomeError, match=r"allowed: 1, 2, 3, .*, \.\.\., 5040"):
        Layer.from_channels("big", 5040).index(11)
