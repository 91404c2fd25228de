"""The supernet levers, each tested for what it changes: strictly fair sampling's counts per
cycle, sandwich with N genomes, BatchNorm per group choice (separate statistics, export,
checkpoints), weight decay, fitness by negative loss; all recorded in the recipe, and a
run with all of them resumes as if uninterrupted.

The subject is binmobilenet's supernet at width 0.25 on 192 digits images (birealnet's
too where the net's structure matters).
"""

from __future__ import annotations

import dataclasses

import pytest
import torch
from binmobilenet import SuperNet
from birealnet import SuperNet as BiRealSuperNet
from torch.utils.data import Subset

from evogroup.backend.registry import get_backend
from evogroup.rundir.layout import RunLayout
from evogroup.testing.fixtures import invoke
from evogroup.torch.data.sources import load_data
from evogroup.torch.device.accel import Speed
from evogroup.torch.device.runtime import Runtime
from evogroup.torch.fitness.supernet_fitness import SupernetFitness, negative_loss, recalibrate_bn
from evogroup.torch.nn.choice_bn import ChoiceBatchNorm2d, per_choice_bn
from evogroup.torch.nn.weights import load_supernet, supernet_kind
from evogroup.torch.options.recipe import TrainConfig
from evogroup.torch.train import steps
from evogroup.torch.train import trainer as tr
from tests.helpers import interrupted_in_epoch

SMALL = {"module": "M2", "num_classes": 10, "width_mult": 0.25}
ALL = TrainConfig(
    epochs=2,
    batch_size=64,
    lr=1e-3,
    seed=7,
    sampling="sandwich",
    fair=True,
    sandwich_genomes=4,
    bn_per_choice=True,
    weight_decay=0.05,
)


@pytest.fixture(scope="module")
def data():
    """Digits cut down to 192 training images (3 steps of 64 per epoch)."""
    d = load_data()
    sub = {
        k: Subset(getattr(d, k), range(n))
        for k, n in [("train", 192), ("train_plain", 192), ("test", 100), ("search_val", 64)]
    }
    return dataclasses.replace(d, **sub)


def _net(seed: int = 0) -> SuperNet:
    with tr.seeded(seed):
        return SuperNet(**SMALL)


def train(net, data, out, config=ALL, **kwargs):
    meta = {"arch": SMALL, "image_size": 32, "data": data.describe()}
    return tr.train_supernet(
        net,
        data,
        config,
        RunLayout(out),
        kind=supernet_kind("binmobilenet"),
        meta=meta,
        runtime=Runtime.resolve("cpu"),
        progress=False,
        **kwargs,
    )


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    net = _net()
    return net, train(net, data, tmp_path_factory.mktemp("levers"))


# -- strictly fair sampling ---------------------------------------------------------------


def test_fair_draws_use_every_choice_of_every_gene_once_per_cycle():
    space = _net().space
    fair = steps.FairDraw(space, seed=3)
    for i, layer in enumerate(space.layers):
        k = len(layer.choices)
        for cycle in range(3):
            used = [fair(d)[i] for d in range(cycle * k, (cycle + 1) * k)]
            assert sorted(used) == sorted(layer.choices), (layer.name, cycle)
    assert steps.FairDraw(space, seed=3)(17) == fair(17)  # a pure function of (seed, draw)
    assert [fair(d) for d in range(20)] != [steps.FairDraw(space, seed=4)(d) for d in range(20)]


def _recorded_steps(monkeypatch, config, n: int, resume_at: int | None = None) -> list[list]:
    calls = []
    monkeypatch.setattr(
        steps, "learn_genomes", lambda model, net, genomes, *a, **k: calls.append(genomes)
    )
    net = _net()
    step = steps.supernet_step(net, config)
    if resume_at is not None:
        step.resume_at(resume_at)
    for _ in range(n):
        step(net, None, None, None, None)
    return calls


def test_a_fair_sandwich_step_has_n_genomes_and_resumes_its_sequence(monkeypatch):
    net = _net()
    largest = tuple(layer.choices[0] for layer in net.space.layers)
    smallest = tuple(layer.choices[-1] for layer in net.space.layers)
    fair = steps.FairDraw(net.space, ALL.seed)
    calls = _recorded_steps(monkeypatch, ALL, 6)
    assert all(len(genomes) == 4 and genomes[:2] == [largest, smallest] for genomes in calls)
    assert [g for genomes in calls for g in genomes[2:]] == [fair(d) for d in range(12)]
    assert _recorded_steps(monkeypatch, ALL, 3, resume_at=3) == calls[3:]


def test_contradicting_levers_are_refused_in_one_line():
    with pytest.raises(ValueError, match="sandwich_genomes >= 3 must hold"):
        dataclasses.replace(ALL, sandwich_genomes=2)
    with pytest.raises(ValueError, match="needs sampling 'sandwich'"):
        dataclasses.replace(ALL, sampling="uniform")
    with pytest.raises(ValueError, match="fair sampling draws from the whole space"):
        dataclasses.replace(ALL, budget=1e7)
    with pytest.raises(ValueError, match="weight_decay >= 0"):
        dataclasses.replace(ALL, weight_decay=-1.0)


# -- BatchNorm per group choice -----------------------------------------------------------


@pytest.mark.parametrize("cls", [SuperNet, BiRealSuperNet], ids=["binmobilenet", "birealnet"])
def test_per_choice_bn_keeps_separate_statistics_and_exports_the_chosen_one(cls):
    with tr.seeded(0):
        net = cls(num_classes=10, width_mult=0.25)
    assert per_choice_bn(net) == len(net.space) and per_choice_bn(net) == 0
    bns = [m for m in net.modules() if isinstance(m, ChoiceBatchNorm2d)]
    a, b = net.space.uniform(1), tuple(layer.choices[-1] for layer in net.space.layers)
    x = torch.randn(8, 3, 32, 32)
    net.train()
    net(x, a).sum().backward()
    net(x, b)
    for bn, ga, gb in zip(bns, a, b):
        one, other = bn.choices[bn.groups.index(ga)], bn.choices[bn.groups.index(gb)]
        assert int(one.num_batches_tracked) == 1 and int(other.num_batches_tracked) == 1
        assert not torch.equal(one.running_var, other.running_var)
        untouched = [c for g, c in zip(bn.groups, bn.choices) if g not in (ga, gb)]
        assert all(int(c.num_batches_tracked) == 0 for c in untouched)
        assert all(torch.count_nonzero(c.weight.grad) == 0 for c in untouched)  # in the graph
    net.eval()
    with torch.no_grad():
        torch.testing.assert_close(net.export(b)(x), net(x, b))


def test_all_levers_are_recorded_and_a_killed_run_resumes_to_the_same_weights(
    trained, data, tmp_path, monkeypatch
):
    uninterrupted, path = trained
    ckpt = torch.load(path, weights_only=False)
    assert {
        k: ckpt["recipe"][k] for k in ("fair", "sandwich_genomes", "bn_per_choice", "weight_decay")
    } == {"fair": True, "sandwich_genomes": 4, "bn_per_choice": True, "weight_decay": 0.05}
    assert ckpt["optimizer"]["param_groups"][0]["weight_decay"] == 0.05
    with interrupted_in_epoch(monkeypatch, tr, 2), pytest.raises(KeyboardInterrupt):
        train(_net(), data, tmp_path)
    resumed = _net(seed=99)
    train(resumed, data, tmp_path, resume=True)
    for (k, a), b in zip(uninterrupted.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), k
    loaded, meta = load_supernet(path, "binmobilenet", SuperNet)  # converted again to load
    assert any(isinstance(m, ChoiceBatchNorm2d) for m in loaded.modules())


def test_weight_decay_shrinks_weights_that_get_no_gradient():
    config = dataclasses.replace(ALL, sampling="uniform", sandwich_genomes=3)
    assert TrainConfig(1, 64, 1e-3, 0).to_json().get("weight_decay") is None  # paper: none
    assert config.to_json()["weight_decay"] == 0.05
    w = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.AdamW([w], lr=0.1, weight_decay=config.weight_decay)
    w.grad = torch.zeros(3)
    opt.step()
    assert torch.allclose(w.detach(), torch.full((3,), 1 - 0.1 * 0.05))


# -- fitness by negative loss -------------------------------------------------------------


def test_negative_loss_is_minus_the_mean_cross_entropy():
    net = torch.nn.Linear(4, 3)
    batches = [(torch.randn(5, 4), torch.randint(0, 3, (5,))) for _ in range(2)]
    x, y = torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])
    expected = -torch.nn.functional.cross_entropy(net(x), y).item()
    assert negative_loss(net, batches, Speed(torch.device("cpu"))) == pytest.approx(expected)


def test_loss_fitness_orders_genomes_by_their_cross_entropy(trained, data):
    _, path = trained
    fit = SupernetFitness(
        path,
        "binmobilenet",
        SuperNet,
        "digits",
        0,
        data=data,
        recal_images=64,
        runtime=Runtime.resolve("cpu"),
        metric="loss",
    )
    genomes = [_net().space.uniform(g) for g in (1, 2, 4)]
    scores = [fit(g) for g in genomes]
    net, speed = fit._state["net"], fit._state["speed"]
    direct = []
    for g in genomes:
        net.set_genome(g)
        recalibrate_bn(net, (x for x, _ in fit._state["recal"]()), speed)
        with torch.no_grad():
            losses = [
                torch.nn.functional.cross_entropy(net(x), y, reduction="sum")
                for x, y in fit._state["val"]()
            ]
        direct.append(-float(sum(losses)) / len(data.search_val))
    assert scores == pytest.approx(direct, rel=1e-5)
    assert sorted(range(3), key=scores.__getitem__) == sorted(range(3), key=direct.__getitem__)
    assert fit.describe()["metric"] == "loss"
    with pytest.raises(ValueError, match="metric must be one of accuracy, loss"):
        SupernetFitness(path, "binmobilenet", SuperNet, "digits", 0, metric="top5")


# -- the levers as backend options ---------------------------------------------------------


@pytest.mark.parametrize("name", ["binmobilenet", "birealnet"])
def test_every_lever_is_an_option_of_the_backend(name):
    help_text = invoke(["train-supernet", "--backend", name, "--help"]).output
    for flag in ("--fair", "--sandwich-genomes", "--bn-per-choice", "--weight-decay"):
        assert flag in help_text
    assert "--fitness-metric" in invoke(["search", "--backend", name, "--help"]).output
    backend = get_backend(name)
    assert backend.fitness_label(backend.options(fitness_metric="loss")).startswith(
        "supernet negative cross-entropy"
    )


def test_clashing_lever_options_are_refused_before_training(tmp_path):
    out = invoke(
        [
            "train-supernet",
            "--backend",
            "binmobilenet",
            "--sandwich-genomes",
            "5",
            "--out",
            tmp_path / "a",
        ],
        exit_code=2,
    ).output
    assert "--sandwich-genomes needs --sampling sandwich" in out
    out = invoke(
        [
            "train-supernet",
            "--backend",
            "binmobilenet",
            "--fair",
            "true",
            "--train-budget",
            "0.5e8",
            "--out",
            tmp_path / "b",
        ],
        exit_code=2,
    ).output
    assert "--train-budget must not be given" in out
