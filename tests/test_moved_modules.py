"""0.1's module paths still import, for one release, with a DeprecationWarning naming the new one."""

from __future__ import annotations

import importlib
import sys

import pytest


@pytest.mark.parametrize(
    ("old", "new", "name"),
    [
        ("evogroup.torch.shared", "evogroup.torch.nn.shared", "SharedConv2d"),
        ("evogroup.torch.trainer", "evogroup.torch.train.trainer", "train_supernet"),
        (
            "evogroup.torch.training_options",
            "evogroup.torch.backend.training_options",
            "TrainingOptions",
        ),
        (
            "evogroup.torch.weight_sharing",
            "evogroup.torch.backend.weight_sharing",
            "WeightSharingBackend",
        ),
        ("evogroup.strategies.surrogate", "evogroup.strategies.guided.surrogate", "RidgeSurrogate"),
    ],
)
def test_an_old_module_path_gives_the_new_module_and_warns(old, new, name):
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {new}"):
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert hasattr(module, name)


def test_the_packages_that_replaced_modules_keep_their_names():
    from evogroup.torch.data import load_data
    from evogroup.torch.data.sources import load_data as moved_load
    from evogroup.torch.fitness import SupernetFitness
    from evogroup.torch.fitness.supernet_fitness import SupernetFitness as moved_fitness

    assert load_data is moved_load and SupernetFitness is moved_fitness


def test_the_guided_entry_point_and_its_old_path_name_one_class():
    from evogroup.strategies.guided import Guided
    from evogroup.strategies.guided.strategy import Guided as moved

    assert Guided is moved
