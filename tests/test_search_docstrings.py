"""The examples in the docstrings of the search modules run and print what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["evogroup.core.front", "evogroup.strategies.guided.surrogate"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    failed, attempted = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert attempted > 0, f"{name} has no docstring example"
    assert failed == 0
