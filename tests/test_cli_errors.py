"""The command line tells a user's mistake from a bug by the exception's type alone."""

from __future__ import annotations

import pytest

from evogroup.cli.errors import FAILED, USAGE, describe
from evogroup.core.errors import (
    CheckpointError,
    InvalidValueError,
    OptionError,
    RunInUseError,
)
from evogroup.core.space import SearchSpace


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (OptionError("--budget must be positive, but got -1"), USAGE),
        (CheckpointError("checkpoint.json is corrupt"), FAILED),
        (RunInUseError("runs/x is in use"), FAILED),
        (InvalidValueError("a search space needs at least one layer"), FAILED),
    ],
)
def test_an_evogroup_error_is_one_line_with_its_exit_code(exc, code):
    assert describe(exc) == (str(exc), code)


def test_a_value_evogroup_checks_is_typed_wherever_it_is_raised():
    with pytest.raises(InvalidValueError) as caught:
        SearchSpace([])
    assert describe(caught.value) == ("a search space needs at least one layer", FAILED)


@pytest.mark.parametrize(
    "exc", [ValueError("math domain error"), TypeError("bad operand"), KeyError(3)]
)
def test_any_other_exception_is_a_bug_and_keeps_its_traceback(exc):
    assert describe(exc) is None


def test_a_value_error_from_user_code_called_by_evogroup_is_not_taken_for_ours():
    def user_fitness(genome):
        raise ValueError("my own bug")

    try:
        user_fitness((1,))
    except ValueError as exc:
        assert describe(exc) is None
