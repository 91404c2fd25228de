"""The masked (fixed-shape) weight-sharing kernel computes exactly what the grouped one does."""

from __future__ import annotations

import random

import pytest
import torch
from binmobilenet.supernet import SuperNet
from birealnet.supernet import SuperNet as BiRealSuperNet

from evogroup.torch.device.accel import Speed, choose_speed, fixed_shapes
from evogroup.torch.device.runtime import Runtime, resolve_kernel
from evogroup.torch.fitness.accuracy import accuracy
from evogroup.torch.fitness.supernet_fitness import recalibrate_bn
from evogroup.torch.nn.binary import binarize_weight
from evogroup.torch.nn.masked import binarize_masked_weight, block_mask_
from evogroup.torch.nn.shared import SharedConv2d, block_diagonal

SMALL = {"num_classes": 10, "width_mult": 0.25}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def twins(module: str | None, dtype=torch.float32):
    """A grouped and a masked supernet with the same weights (``module`` None: birealnet)."""
    torch.manual_seed(0)
    make = (
        (lambda k: BiRealSuperNet(**SMALL, kernel=k))
        if module is None
        else (lambda k: SuperNet(module, **SMALL, kernel=k))
    )
    grouped, masked = make("grouped").to(dtype), make("masked").to(dtype)
    masked.load_state_dict(grouped.state_dict())
    return grouped, masked


def forward_backward(grouped, masked, genome, x) -> list[torch.Tensor]:
    """Both nets' outputs under ``genome`` in train mode, with fresh gradients of
    ``mean(out ** 2)`` left on their parameters."""
    outs = []
    for net in (grouped, masked):
        net.train().zero_grad(set_to_none=True)
        out = net(x, genome)
        out.square().mean().backward()
        outs.append(out)
    return outs


def draw(net, seed: int) -> tuple[int, ...]:
    rng = random.Random(seed)
    return tuple(rng.choice(layer.choices) for layer in net.space.layers)


def test_block_mask_is_the_block_diagonal_and_is_rewritten_in_place():
    mask = torch.empty(6, 4)
    ptr = mask.data_ptr()
    w = torch.randn(6, 4, 1, 1)
    for g in (1, 2):
        block_mask_(mask, g)
        assert mask.data_ptr() == ptr
        kept = (w[..., 0, 0] * mask)[mask.bool()].view(6, 4 // g)
        torch.testing.assert_close(kept, block_diagonal(w, g)[..., 0, 0])


def test_alpha_is_the_mean_over_the_active_block_only():
    conv = SharedConv2d(8, 8, 3, 1, True, kernel="masked")
    conv.set_groups(4)
    assert conv.inv_count.item() == pytest.approx(1 / (2 * 9))  # 1 / ((C_in / g) k^2)
    masked = binarize_masked_weight(conv.weight, conv.mask[:, :, None, None], conv.inv_count)
    assert not masked[~conv.mask.bool()].any()  # off-block entries are zero
    sliced = binarize_weight(block_diagonal(conv.weight.detach(), 4))
    torch.testing.assert_close(block_diagonal(masked.detach(), 4), sliced)


@pytest.mark.parametrize("module", ["M1", "M2", "M3", None], ids=["M1", "M2", "M3", "birealnet"])
@pytest.mark.parametrize("seed", [0, 1])
def test_masked_equals_grouped_outputs_and_gradients(module, seed):
    grouped, masked = twins(module)
    genome, x = draw(grouped, seed), torch.randn(4, 3, 32, 32)
    outs = forward_backward(grouped, masked, genome, x)
    torch.testing.assert_close(outs[1], outs[0], rtol=1e-4, atol=1e-4)
    for (name, a), b in zip(grouped.named_parameters(), masked.parameters()):
        scale = max(1.0, a.grad.abs().max().item())  # 1e-4, relative where gradients are large
        torch.testing.assert_close(b.grad, a.grad, rtol=1e-4, atol=1e-4 * scale, msg=name)
    # eval mode, with the running statistics that training mode just left (the same in both)
    masked_buffers = dict(masked.named_buffers())
    for name, a in grouped.named_buffers():
        torch.testing.assert_close(masked_buffers[name], a, rtol=1e-4, atol=1e-5, msg=name)
    with torch.no_grad():
        ya, yb = grouped.eval()(x, genome), masked.eval()(x, genome)
    torch.testing.assert_close(yb, ya, rtol=1e-4, atol=1e-4)


def test_masked_equals_grouped_to_float64_rounding():
    grouped, masked = twins("M2", torch.float64)
    genome, x = draw(grouped, 3), torch.randn(2, 3, 32, 32, dtype=torch.float64)
    for net in (grouped, masked):
        net.train()(x, genome).square().mean().backward()
    for a, b in zip(grouped.parameters(), masked.parameters()):
        torch.testing.assert_close(b.grad, a.grad, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("module", ["M1", "M2", "M3", None], ids=["M1", "M2", "M3", "birealnet"])
def test_masked_supernet_exports_the_plain_grouped_network(module):
    _, net = twins(module)
    genome = draw(net, 5)
    net.train()
    with torch.no_grad():
        for _ in range(2):
            net(torch.randn(8, 3, 32, 32), genome)
    static = net.eval().export(genome)
    assert not any(isinstance(m, SharedConv2d) for m in static.modules())
    x = torch.randn(4, 3, 32, 32)
    torch.testing.assert_close(static(x), net(x, genome), rtol=1e-4, atol=1e-4)


def test_the_kernel_is_no_part_of_the_architecture_or_the_checkpoint():
    grouped, masked = twins("M2")
    assert masked.kernel == "masked" and grouped.kernel == "grouped"
    assert masked.arch == grouped.arch
    assert masked.state_dict().keys() == grouped.state_dict().keys()
    genome = draw(masked, 2)
    masked.set_genome(genome)
    masked.use_kernel("grouped")
    assert masked.kernel == "grouped" and masked.genome == genome
    assert not any(hasattr(m, "mask") for m in masked.modules() if isinstance(m, SharedConv2d))
    with pytest.raises(ValueError, match="kernel must be one of grouped, masked, but got 'x'"):
        SuperNet("M2", **SMALL, kernel="x")


def test_auto_kernel_and_cpu_speed_settings():
    assert resolve_kernel("auto", torch.device("cpu")) == "grouped"
    assert resolve_kernel("auto", torch.device("cuda")) == "masked"
    with pytest.raises(ValueError, match="^--kernel must be one of grouped, masked, auto, but"):
        resolve_kernel("fast", torch.device("cpu"))
    assert Runtime.resolve("cpu").kernel == "grouped"
    grouped, masked = twins("M2")
    assert not fixed_shapes(grouped) and fixed_shapes(masked)
    speed = choose_speed(masked, torch.device("cpu"))
    assert (speed.amp, speed.channels_last, speed.compile) == (None, False, False)
    with pytest.warns(UserWarning, match="grouped kernel would recompile for every genome"):
        assert not choose_speed(grouped, torch.device("cpu"), compile=True).compile


def _compiled_steps(backend: str, train_genomes: int, eval_genomes: int) -> int:
    """Frames compiled while a masked M2 supernet (width 0.25) trains and evaluates under
    new genomes; torch.compile called as the trainer calls it."""
    from torch._dynamo.testing import CompileCounterWithBackend

    torch._dynamo.reset()
    _, net = twins("M2")
    counter = CompileCounterWithBackend(backend)
    step = torch.compile(net, backend=counter, dynamic=False)
    opt = torch.optim.Adam(net.parameters(), fused=True)
    x, y = torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,))
    net.train()
    for seed in range(train_genomes):
        net.set_genome(draw(net, seed))
        logits = step(x)
        with torch.no_grad():
            torch.testing.assert_close(logits, net(x), rtol=1e-4, atol=1e-4)
        loss = torch.nn.functional.cross_entropy(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    assert counter.frame_count == 1
    speed = Speed(torch.device("cpu"))
    for seed in range(eval_genomes):  # as SupernetFitness evaluates a candidate
        net.set_genome(draw(net, 100 + seed))
        recalibrate_bn(step, [x, x + 1], speed)
        assert 0 <= accuracy(step, [(x, y)], speed).top1 <= 100
        with torch.inference_mode():
            torch.testing.assert_close(step(x), net(x), rtol=1e-4, atol=1e-4)
    return counter.frame_count


def test_changing_the_genome_never_recompiles():
    # one graph each for training, BN recalibration and evaluation, whatever the genome
    assert _compiled_steps("eager", train_genomes=2, eval_genomes=2) == 3


@pytest.mark.slow  # AOTAutograd traces forward and backward: ~30 s on 2 cores
def test_a_compiled_training_step_matches_eager_and_never_recompiles():
    assert _compiled_steps("aot_eager", train_genomes=3, eval_genomes=2) == 3


def trained_masked_supernet(out, config=None, device="cpu", compile=None):
    """``(net, data, checkpoint)``: a masked M2 supernet at width 0.25 trained on digits."""
    from evogroup.rundir.layout import RunLayout
    from evogroup.torch.data.sources import load_data
    from evogroup.torch.nn.weights import supernet_kind
    from evogroup.torch.options.recipe import TrainConfig
    from evogroup.torch.train.trainer import seeded, train_supernet

    arch = {"module": "M2", **SMALL}
    with seeded(0):
        net = SuperNet(**arch, kernel="masked")
    data = load_data()
    meta = {"arch": arch, "image_size": 32, "data": data.describe()}
    path = train_supernet(
        net,
        data,
        config or TrainConfig(1, 256, 1e-3, 0),
        RunLayout(out),
        kind=supernet_kind("binmobilenet"),
        meta=meta,
        runtime=Runtime.resolve(device, kernel="masked", compile=compile),
        progress=False,
    )
    return net, data, path


def test_either_kernel_searches_a_supernet_trained_with_the_other(tmp_path):
    from evogroup.torch.fitness.supernet_fitness import SupernetFitness

    net, data, path = trained_masked_supernet(tmp_path)
    for kernel in ("grouped", "masked"):
        fitness = SupernetFitness(
            path,
            "binmobilenet",
            SuperNet,
            "digits",
            0,
            data=data,
            recal_images=64,
            val_images=64,
            runtime=Runtime.resolve("cpu", kernel=kernel),
        )
        assert 0 <= fitness(draw(net, 4)) <= 100
        assert fitness._state["net"].kernel == kernel


def test_after_recalibration_on_real_images_the_kernels_agree_to_float64_rounding():
    # In float32 they may not: a sum rounded differently can flip sign(x) where x ~ 0 (flat
    # image regions), as any change of summation order can (threads, another device).
    from evogroup.torch.data.sources import load_data

    grouped, masked = twins("M2", torch.float64)
    data = load_data()
    x = torch.stack([data.train_plain[i][0] for i in range(32)]).double()
    genome = draw(grouped, 4)
    for net in (grouped, masked):
        net.set_genome(genome)
        recalibrate_bn(net, [x])
    with torch.no_grad():
        torch.testing.assert_close(masked(x), grouped(x), rtol=1e-10, atol=1e-10)
