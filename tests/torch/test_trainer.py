"""The trainer: supernet training, checkpoints and resume, loading, final training, evaluation.

The subject is binmobilenet's supernet at width 0.25 on 192 digits images.
"""

from __future__ import annotations

import csv
import dataclasses
import io

import pytest
import torch
from binmobilenet import SuperNet
from torch.utils.data import Subset

from evogroup.core.errors import CheckpointError
from evogroup.core.operators import sample
from evogroup.rundir.layout import RunLayout
from evogroup.torch.data.loaders import make_loader
from evogroup.torch.data.sources import load_data
from evogroup.torch.device.accel import Speed
from evogroup.torch.device.runtime import Runtime
from evogroup.torch.fitness.accuracy import accuracy
from evogroup.torch.fitness.supernet_file import check_supernet
from evogroup.torch.nn.weights import load_checkpoint, load_supernet, model_kind, supernet_kind
from evogroup.torch.options.recipe import Recipe, TrainConfig, default_recipe
from evogroup.torch.train import trainer as tr
from evogroup.torch.train.steps import learn_genomes
from tests.helpers import interrupted_in_epoch

SMALL = {"module": "M2", "num_classes": 10, "width_mult": 0.25}
CONFIG = TrainConfig(epochs=2, batch_size=64, lr=1e-3, seed=7)
KIND = supernet_kind("binmobilenet")


@pytest.fixture(scope="module")
def data():
    """Digits cut down to 192 training images (3 steps of 64 per epoch)."""
    d = load_data()
    sub = {
        k: Subset(getattr(d, k), range(n))
        for k, n in [("train", 192), ("train_plain", 192), ("test", 100)]
    }
    return dataclasses.replace(d, **sub)


def train(net, data, out, config=CONFIG, **kwargs):
    meta = {"arch": SMALL, "image_size": 32, "data": data.describe()}
    return tr.train_supernet(
        net,
        data,
        config,
        RunLayout(out),
        kind=KIND,
        meta=meta,
        runtime=Runtime.resolve("cpu"),
        progress=False,
        **kwargs,
    )


def _rows(path) -> list[dict[str, str]]:
    with open(path) as fh:
        return list(csv.DictReader(fh))


def _net(seed: int = 0) -> SuperNet:
    with tr.seeded(seed):
        return SuperNet(**SMALL)


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("supernet")
    net = _net()
    return net, train(net, data, out)


def test_train_supernet_writes_metrics_and_checkpoint(trained, data):
    net, path = trained
    assert path.name == "supernet.pt" and path.is_file()
    rows = _rows(path.parent / "supernet_metrics.csv")
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert set(rows[0]) == {"epoch", "loss", "train_acc", "lr", "seconds"}
    assert float(rows[-1]["lr"]) == 0.0 and 0 <= float(rows[0]["train_acc"]) <= 100
    loaded, meta = load_supernet(path, "binmobilenet", SuperNet)
    assert meta["arch"] == SMALL and meta["image_size"] == 32
    assert meta["epoch"] == 2 and meta["complete"] and meta["data"]["name"] == "digits"
    assert meta["recipe"] == {"epochs": 2, "batch_size": 64, "lr": 1e-3, "seed": 7}
    for (k, a), b in zip(net.state_dict().items(), loaded.state_dict().values()):
        assert torch.equal(a, b), k


def test_training_leaves_the_callers_rng_alone(data, tmp_path):
    net = _net()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    train(net, data, tmp_path, dataclasses.replace(CONFIG, epochs=1))
    assert torch.equal(torch.rand(3), expected)


def test_resume_ends_with_the_weights_of_an_uninterrupted_run(trained, data, tmp_path, monkeypatch):
    uninterrupted, _ = trained
    with interrupted_in_epoch(monkeypatch, tr, 2), pytest.raises(KeyboardInterrupt):
        train(_net(), data, tmp_path)
    resumed = _net(seed=99)  # other initial weights: everything must come from the checkpoint
    train(resumed, data, tmp_path, resume=True)
    for (k, a), b in zip(uninterrupted.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), k
    rows = _rows(tmp_path / "supernet_metrics.csv")
    assert [r["epoch"] for r in rows] == ["1", "2"]


def test_resume_with_another_recipe_is_refused(trained, data, tmp_path):
    _, path = trained
    (tmp_path / "supernet.pt").write_bytes(path.read_bytes())
    with pytest.raises(CheckpointError, match=r"trained with lr=0.001, but this run has lr=0.01"):
        train(_net(), data, tmp_path, dataclasses.replace(CONFIG, lr=1e-2), resume=True)


def test_a_supernet_of_another_module_or_class_count_is_refused(trained):
    _, path = trained
    meta = load_checkpoint(path, KIND)["meta"]
    with pytest.raises(
        CheckpointError, match=r"trained with module='M2', but module='M3' is needed"
    ):
        check_supernet(path, meta, {**SMALL, "module": "M3"}, meta["data"])
    with pytest.raises(CheckpointError, match=r"num_classes=10, but num_classes=1000 is needed"):
        check_supernet(path, meta, {**SMALL, "num_classes": 1000}, meta["data"])


def test_load_supernet_refuses_files_that_are_not_supernet_checkpoints(tmp_path):
    with pytest.raises(CheckpointError, match=r"no such supernet checkpoint"):
        load_supernet(tmp_path / "none.pt", "binmobilenet", SuperNet)
    (tmp_path / "junk.pt").write_bytes(b"\x00junk")
    with pytest.raises(CheckpointError, match=r"junk.pt: not a supernet checkpoint \("):
        load_supernet(tmp_path / "junk.pt", "binmobilenet", SuperNet)
    buf = io.BytesIO()
    torch.save({"kind": model_kind("binmobilenet"), "model": {}}, buf)
    (tmp_path / "model.pt").write_bytes(buf.getvalue())
    with pytest.raises(CheckpointError, match=r"not a supernet checkpoint written by evogroup"):
        load_supernet(tmp_path / "model.pt", "binmobilenet", SuperNet)


def test_train_model_reports_top1_top5_on_test(trained, data, tmp_path):
    net, _ = trained
    genome = net.space.uniform(4)
    meta = {"arch": SMALL, "genome": list(genome)}
    result = tr.train_network(
        net.export(genome),
        data,
        dataclasses.replace(CONFIG, epochs=1),
        RunLayout(tmp_path),
        kind=model_kind("binmobilenet"),
        meta=meta,
        runtime=Runtime.resolve("cpu"),
        progress=False,
    )
    assert 0 <= result["top1"] <= result["top5"] <= 100
    assert result["params"] > 0 and result["epochs"] == 1
    rows = _rows(tmp_path / "train_metrics.csv")
    assert len(rows) == 1 and {"test_top1", "test_top5"} <= set(rows[0])
    ckpt = torch.load(tmp_path / "model.pt", weights_only=True)
    assert ckpt["meta"] == meta


def test_accuracy_counts_top1_and_top5_whatever_the_batches(trained, data):
    net, _ = trained
    static = net.export(net.space.uniform(2))
    speed = Speed(torch.device("cpu"))
    top1, top5 = accuracy(static, make_loader(data.test, 32), speed)
    assert 0 <= top1 <= top5 <= 100
    assert accuracy(static, make_loader(data.test, 50), speed) == (top1, top5)
    assert static.training  # the mode is restored
    with torch.no_grad():
        logits = static.eval()(torch.stack([x for x, _ in data.test]))
    labels = torch.tensor([y for _, y in data.test])
    assert top1 == 100.0 * logits.argmax(1).eq(labels).sum().item() / len(labels)
    with pytest.raises(ValueError, match="at least one image"):
        accuracy(static, [], speed)


def test_default_recipes():
    assert default_recipe("imagefolder", 224) == Recipe(64, 256, 512, 1e-3, 1e-3, 4096, 512)
    for name in ("digits", "cifar10", "imagefolder"):
        recipe = default_recipe(name, 32)
        assert recipe.supernet_epochs >= 1 and 1 <= recipe.batch_size <= 512 and recipe.lr > 0


def test_the_seed_governs_the_initial_weights():
    a, b, c = _net(seed=5), _net(seed=5), _net(seed=6)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert not torch.equal(a.stem[0].weight, c.stem[0].weight)


def test_bad_training_settings_name_the_rule():
    with pytest.raises(
        ValueError, match="epochs >= 1, batch_size >= 1, lr > 0 and eval_batch_size >= 1 must hold"
    ):
        TrainConfig(epochs=0, batch_size=64, lr=1e-3, seed=0)


def _grads(net) -> list[torch.Tensor]:
    return [p.grad.clone() if p.grad is not None else torch.zeros_like(p) for p in net.parameters()]


@pytest.mark.parametrize("distill", [False, True])
def test_a_sandwich_step_sums_the_gradients_of_its_three_genomes(distill):
    net = _net()
    space = net.space
    largest = tuple(layer.choices[0] for layer in space.layers)
    smallest = tuple(layer.choices[-1] for layer in space.layers)
    middle = space.uniform(4)
    x, y = torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,))
    speed = Speed(torch.device("cpu"))
    net.eval()  # BatchNorm in eval mode: the three passes are independent of their order
    net.zero_grad(set_to_none=True)
    loss, logits = learn_genomes(
        net, net, [largest, smallest, middle], x, y, speed, distill=distill
    )
    together = _grads(net)
    expected = [torch.zeros_like(p) for p in net.parameters()]
    with torch.no_grad():
        teacher = net(x, largest).softmax(1)
    for i, genome in enumerate((largest, smallest, middle)):
        net.zero_grad(set_to_none=True)
        out = net(x, genome)
        if distill and i > 0:
            part = torch.nn.functional.kl_div(out.log_softmax(1), teacher, reduction="batchmean")
        else:
            part = torch.nn.functional.cross_entropy(out, y)
        part.backward()
        expected = [e + g for e, g in zip(expected, _grads(net))]
    for a, b in zip(together, expected):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(loss, part.detach())
    torch.testing.assert_close(logits, out.detach())


def test_sandwich_and_budget_settings_are_recorded_and_checked(data, tmp_path):
    config = dataclasses.replace(CONFIG, epochs=1, sampling="sandwich", distill=True, budget=1.0)
    net, drawn = _net(), []

    def draw(rng):
        drawn.append(sample(net.space, rng))
        return drawn[-1]

    path = train(net, data, tmp_path, config, draw=draw)
    assert len(drawn) == 3  # one drawn genome per step; 192 images, batch 64
    ckpt = torch.load(path, weights_only=True)
    assert ckpt["recipe"]["sampling"] == "sandwich" and ckpt["recipe"]["budget"] == 1.0
    with pytest.raises(ValueError, match="distill needs 'sandwich'"):
        TrainConfig(epochs=1, batch_size=64, lr=1e-3, seed=0, distill=True)
