"""The CUDA paths: the masked kernel on the GPU, the compiled bf16 training step, the GPU
fitness. They need a CUDA device (CI has none: they run on a GPU machine, see
docs/benchmarks.md for the card and the run)."""

from __future__ import annotations

import pytest
import torch
from binmobilenet.supernet import SuperNet

from tests.torch.test_masked import draw, forward_backward
from tests.torch.test_masked import twins as cpu_twins

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def twins(name: str, dtype):
    """The grouped and masked twins of tests/torch/test_masked.py, on the GPU."""
    return [net.to("cuda") for net in cpu_twins(None if name == "birealnet" else name, dtype)]


@pytest.mark.parametrize("name", ["M2", "birealnet"])
def test_masked_equals_grouped_on_cuda_to_float64_rounding(name):
    grouped, masked = twins(name, torch.float64)
    x = torch.randn(4, 3, 32, 32, device="cuda", dtype=torch.float64)
    for seed in range(3):
        outs = forward_backward(grouped, masked, draw(grouped, seed), x)
        torch.testing.assert_close(outs[1], outs[0], rtol=1e-10, atol=1e-10)
        for (pname, a), b in zip(grouped.named_parameters(), masked.parameters()):
            torch.testing.assert_close(b.grad, a.grad, rtol=1e-9, atol=1e-10, msg=pname)


def test_compiled_bf16_masked_step_matches_eager_and_compiles_once():
    from torch._dynamo.testing import CompileCounterWithBackend

    torch._dynamo.reset()
    _, net = twins("M2", torch.float32)
    net = net.to(memory_format=torch.channels_last)
    counter = CompileCounterWithBackend("inductor")
    step = torch.compile(net, backend=counter, dynamic=False)
    opt = torch.optim.Adam(net.parameters(), fused=True)
    x = torch.randn(32, 3, 32, 32, device="cuda").contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (32,), device="cuda")
    net.train()
    agree = []
    for seed in range(6):
        net.set_genome(draw(net, seed))
        with torch.autocast("cuda", torch.bfloat16):
            logits = step(x)
            with torch.no_grad():
                eager = net(x)
        agree.append((logits.argmax(1) == eager.argmax(1)).float().mean().item())
        loss = torch.nn.functional.cross_entropy(logits.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        assert torch.isfinite(loss)
    assert counter.frame_count == 1  # one graph for six genomes
    # bf16 rounding can flip a sign() near 0, so compare predictions, not logits
    assert sum(agree) / len(agree) >= 0.9, agree


def test_the_trainer_and_the_fitness_run_on_cuda(tmp_path):
    from evogroup.torch.device.runtime import Runtime
    from evogroup.torch.fitness.supernet_fitness import SupernetFitness
    from evogroup.torch.options.recipe import TrainConfig
    from tests.torch.test_masked import trained_masked_supernet

    config = TrainConfig(2, 128, 5e-3, 0, sampling="sandwich", distill=True)
    net, data, path = trained_masked_supernet(
        tmp_path, config, device="cuda", compile=False
    )  # bf16, channels_last; compile: above
    history = torch.load(path, weights_only=True)["history"]
    assert len(history) == 2 and all(0 <= h["train_acc"] <= 100 for h in history)
    for kernel in ("masked", "grouped"):
        fitness = SupernetFitness(
            path,
            "binmobilenet",
            SuperNet,
            "digits",
            0,
            data=data,
            recal_images=128,
            runtime=Runtime.resolve("cuda", kernel=kernel, compile=False),
        )
        scores = [fitness(draw(net, s)) for s in range(3)]
        assert all(0 <= s <= 100 for s in scores), scores


def test_gpu_decoding_matches_the_cpu_decoder(tmp_path):
    from torchvision import datasets

    from evogroup.torch.data import jpeg
    from evogroup.torch.data.folders import load_image
    from tests.torch.test_jpeg import IMAGES, _write

    for seed, (name, size, mode, fmt) in enumerate(IMAGES):
        _write(tmp_path, name, size, mode, fmt, seed)
    folder = datasets.ImageFolder(str(tmp_path), loader=load_image)
    items = jpeg.EncodedImages(folder)
    batch = jpeg.collate_encoded([items[i] for i in range(len(items))])
    on_gpu = jpeg.DeviceTransform("cuda", training=False)(batch)
    on_cpu = jpeg.DeviceTransform("cpu", training=False)(batch)
    assert on_gpu.shape == on_cpu.shape == (len(IMAGES), 3, 224, 224)
    # nvjpeg and libjpeg-turbo may round an IDCT differently: a small mean difference
    assert (on_gpu.cpu() - on_cpu).abs().mean().item() < 0.02


def test_train_supernet_decodes_an_imagefolder_on_the_gpu(tmp_path):
    from click.testing import CliRunner

    from evogroup.cli.main import main
    from tests.torch.test_jpeg import _write

    for c in "ab":
        for i in range(20):
            _write(tmp_path / "data", f"{c}/{i}.jpg", (300, 260), seed=i + 100 * (c == "b"))
    args = [
        "train-supernet",
        "--backend",
        "binmobilenet",
        "--width-mult",
        "0.25",
        "--data",
        tmp_path / "data",
        "--decode",
        "gpu",
        "--device",
        "cuda",
        "--epochs",
        "2",
        "--batch-size",
        "8",
        "--compile",
        "false",
        "--out",
        tmp_path / "run",
    ]
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    history = torch.load(tmp_path / "run" / "supernet.pt", weights_only=True)["history"]
    assert len(history) == 2


def test_overlapped_decoding_on_a_side_stream_equals_decoding_when_asked(tmp_path):
    """The loader decodes batch i+1 on a side stream while the caller's stream works on
    batch i: each batch the caller reads equals the same files decoded on its own stream
    when asked (so it waited for the right decode), crops and flips included."""
    from torch.utils.data import Subset
    from torchvision import datasets

    from evogroup.torch.data import jpeg
    from evogroup.torch.data.folders import load_image
    from evogroup.torch.data.loaders import loader
    from evogroup.torch.device.runtime import Runtime
    from tests.torch.test_jpeg import IMAGES, _write

    for seed, (name, size, mode, fmt) in enumerate(IMAGES):
        _write(tmp_path, name, size, mode, fmt, seed)
    files = Subset(datasets.ImageFolder(str(tmp_path), loader=load_image), range(7))
    device = torch.device("cuda", torch.cuda.current_device())
    busy = torch.randn(2048, 2048, device=device)
    seen = []
    for x, y in loader(
        files, 3, Runtime(device, decode="gpu"), True, augment=torch.Generator().manual_seed(5)
    ):
        for _ in range(20):  # keep the caller's stream busy while the next batch decodes
            busy = (busy @ busy).tanh_()
        seen.append((x.clone(), y.clone()))
    reference = jpeg.DeviceTransform(
        device, training=True, generator=torch.Generator().manual_seed(5)
    )
    items = jpeg.EncodedImages(files)
    for (x, y), start in zip(seen, range(0, 7, 3), strict=True):
        batch = jpeg.collate_encoded([items[i] for i in range(start, min(start + 3, 7))])
        assert torch.equal(x, reference(batch)) and torch.equal(y.cpu(), batch.labels)
