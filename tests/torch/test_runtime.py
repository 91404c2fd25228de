"""The runtime resolved once per command, the recipe merged once with the options, and
the choices spelled once (``evogroup.torch.options.choices``)."""

from __future__ import annotations

import pickle
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from evogroup.core.errors import DeviceError, OptionError
from evogroup.torch.backend.training_options import TrainingOptions
from evogroup.torch.data.decode import DECODE_CHOICES
from evogroup.torch.device.runtime import Runtime, resolve_device
from evogroup.torch.options import choices
from evogroup.torch.options.recipe import Recipe, default_recipe, merge_options


def test_the_runtime_resolves_each_option_once():
    runtime = Runtime.resolve("cpu")
    assert (runtime.device, runtime.kernel, runtime.decode) == (
        torch.device("cpu"),
        "grouped",
        "auto",
    )
    assert (runtime.world, runtime.rank, runtime.cuda_indices) == (1, 0, [])
    assert Runtime.resolve("cpu", kernel="masked").kernel == "masked"
    assert runtime.per_process(64) == 64
    with pytest.raises(
        OptionError, match="^--kernel must be one of grouped, masked, auto, but got 'x'$"
    ):
        Runtime.resolve("cpu", kernel="x")
    with pytest.raises(
        OptionError, match="^--device must be cpu, cuda, cuda:N or mps, but got 'gpu0'$"
    ):
        resolve_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="^--device cuda: CUDA is not available"):
            Runtime.resolve("cuda")


def test_a_shipped_runtime_resolves_again_where_it_lands():
    asked = Runtime.resolve(None, kernel="auto", compile=False)
    landed = pickle.loads(pickle.dumps(asked))
    assert landed == asked and landed.asked == asked.asked  # here: the same process
    by_hand = Runtime(torch.device("cpu"), "masked", "gpu")  # no request: shipped as is
    assert pickle.loads(pickle.dumps(by_hand)) == by_hand


def test_the_recipe_takes_the_given_options_in_one_merge():
    opts = TrainingOptions()
    recipe = default_recipe("digits")
    assert merge_options(recipe, opts) == recipe
    given = SimpleNamespace(
        **{**vars(opts), "epochs": 3, "final_lr": 0.5, "recal_images": 7, "sampling": "sandwich"}
    )
    merged = merge_options(recipe, given)
    assert (merged.supernet_epochs, merged.final_lr, merged.recal_images) == (3, 0.5, 7)
    assert merged.supernet(seed=1, budget=2.0).to_json() == {
        "epochs": 3,
        "batch_size": 64,
        "lr": 5e-3,
        "seed": 1,
        "sampling": "sandwich",
        "budget": 2.0,
    }
    assert merged.final(seed=1).lr == 0.5 and merged.final(seed=1).sampling == "uniform"
    assert merged.final(seed=1).eval_batch_size == Recipe(1, 1, 1).eval_batch_size == 512
    with pytest.raises(
        OptionError, match="^--distill needs --sampling sandwich, but sampling is uniform$"
    ):
        merge_options(recipe, SimpleNamespace(**{**vars(opts), "distill": True}))


def test_the_levers_pass_through_the_merge_to_the_supernet_only():
    opts = TrainingOptions()
    levers = {"fair": True, "bn_per_choice": True, "weight_decay": 0.01}
    given = SimpleNamespace(
        **{**vars(opts), **levers, "sampling": "sandwich", "sandwich_genomes": 5}
    )
    config = merge_options(default_recipe("digits"), given).supernet(seed=0)
    assert {k: config.to_json()[k] for k in (*levers, "sandwich_genomes")} == {
        **levers,
        "sandwich_genomes": 5,
    }
    final = merge_options(default_recipe("digits"), given).final(seed=0)
    assert (final.fair, final.sandwich_genomes, final.bn_per_choice, final.weight_decay) == (
        False,
        3,
        False,
        0.0,
    )  # training from scratch: the paper's
    with pytest.raises(
        OptionError, match="^--sandwich-genomes needs --sampling sandwich, but sampling is uniform$"
    ):
        merge_options(
            default_recipe("digits"), SimpleNamespace(**{**vars(opts), "sandwich_genomes": 4})
        )
    with pytest.raises(
        OptionError, match="--train-budget must not be given, but got --train-budget 5e"
    ):
        merge_options(
            default_recipe("digits"),
            SimpleNamespace(**{**vars(opts), "fair": True, "train_budget": 5e7}),
        )


def test_the_options_offer_the_choices_the_torch_layer_takes():
    fields = TrainingOptions.__dataclass_fields__
    assert fields["kernel"].metadata["evogroup"].choices == choices.KERNEL_CHOICES
    assert fields["decode"].metadata["evogroup"].choices == DECODE_CHOICES
    assert fields["sampling"].metadata["evogroup"].choices == choices.SAMPLING
    assert fields["fitness_metric"].metadata["evogroup"].choices == choices.METRICS


def test_the_backend_guide_lists_every_training_option():
    guide = (Path(__file__).resolve().parents[2] / "docs" / "backends.md").read_text()
    paragraph = guide[guide.index("`TrainingOptions` holds") : guide.index("### 2. Write")]
    assert [f for f in TrainingOptions.__dataclass_fields__ if f"`{f}`" not in paragraph] == []
