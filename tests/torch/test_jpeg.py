"""JPEGs decoded on the training device (``evogroup.torch.data.jpeg``, ``evogroup.torch.data.loaders``),
run on the CPU: the same images as the PIL path, reproducible crops, the overlapped loader
equal to decoding each batch when asked, named unreadable files, and ``--decode``."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import Subset
from torchvision import datasets

from evogroup.core.errors import DataError, OptionError
from evogroup.torch.data import jpeg
from evogroup.torch.data.decode import check_decode
from evogroup.torch.data.folders import _folder_transforms, load_image
from evogroup.torch.data.loaders import DecodedLoader, decodes_on_device, evaluation_batches, loader
from evogroup.torch.data.sources import load_data
from evogroup.torch.device.accel import Speed
from evogroup.torch.device.runtime import Runtime

CPU, CUDA = torch.device("cpu"), torch.device("cuda")  # decodes_on_device reads the type only
#: name, size (w, h), PIL mode, format: two classes of ImageNet-like photos, one grey, one PNG.
IMAGES = [
    ("a/0.jpg", (300, 260), "RGB", "JPEG"),
    ("a/1.jpg", (260, 300), "RGB", "JPEG"),
    ("a/2.jpg", (500, 375), "RGB", "JPEG"),
    ("a/3.jpg", (300, 260), "L", "JPEG"),
    ("b/0.jpg", (300, 260), "RGB", "JPEG"),
    ("b/1.jpg", (375, 500), "RGB", "JPEG"),
    ("b/2.jpg", (256, 256), "RGB", "JPEG"),
    ("b/3.png", (300, 260), "RGB", "PNG"),
]


def _photo(size: tuple[int, int], mode: str, seed: int) -> Image.Image:
    """Smooth noise: coarse random colours upsampled, like the benchmark's (a photo's
    spectrum, so JPEG decoders and resizers differ as much as they do on real data)."""
    coarse = np.random.default_rng(seed).integers(0, 256, (12, 16, 3), dtype=np.uint8)
    return Image.fromarray(coarse).resize(size, Image.BICUBIC).convert(mode)


def _write(root: Path, name: str, size=(300, 260), mode="RGB", fmt="JPEG", seed=0) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    _photo(size, mode, seed).save(path, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> datasets.ImageFolder:
    root = tmp_path_factory.mktemp("jpegs")
    for seed, (name, size, mode, fmt) in enumerate(IMAGES):
        _write(root, name, size, mode, fmt, seed)
    return datasets.ImageFolder(str(root), loader=load_image)


def _batch(dataset) -> jpeg.EncodedBatch:
    items = jpeg.EncodedImages(dataset)
    return jpeg.collate_encoded([items[i] for i in range(len(items))])


def test_jpegs_go_to_the_device_and_other_files_to_pil(folder):
    batch = _batch(folder)
    kinds = [img.dim() for img in batch.images()]
    assert kinds == [1, 1, 1, 1, 1, 1, 1, 3]  # the PNG arrives decoded, [3, H, W]
    assert batch.labels.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    cmyk, png = io.BytesIO(), io.BytesIO()
    _photo((64, 48), "CMYK", 0).save(cmyk, "JPEG")
    _photo((64, 48), "RGB", 0).save(png, "PNG")
    assert not jpeg.device_decodable(cmyk.getvalue())  # colour conversion left to PIL
    assert not jpeg.device_decodable(png.getvalue())
    assert not jpeg.device_decodable(b"\xff\xd8\xff")
    whole = Path(folder.samples[0][0]).read_bytes()
    assert jpeg.device_decodable(whole) and not jpeg.device_decodable(whole[:-600])  # truncated


def test_eval_matches_the_pil_pipeline(folder):
    """The same files through PIL (the cpu path's eval transform) and decode_jpeg + tensor
    resize: shape and dtype equal, values within the decoders' and resizers' differences.
    Measured (torchvision 0.29, Pillow 13): mean |difference| 6e-5 and at most 0.0175 after
    normalization, one pixel level (1 / 255 / std); the bounds leave room for other
    libjpeg-turbo builds: a mean of 0.3 levels, at most 6 levels anywhere."""
    _, _, ev = _folder_transforms(folder)
    cpu = torch.stack([ev(load_image(path)) for path, _ in folder.samples])
    x = jpeg.DeviceTransform("cpu", training=False)(_batch(folder))
    assert x.shape == (len(IMAGES), 3, 224, 224) and x.dtype == torch.float32
    diff = (x - cpu).abs()
    assert diff.mean() < 0.005 and diff.max() < 0.1, (diff.mean(), diff.max())


def test_training_crops_follow_the_generator_only(folder):
    batch = _batch(folder)

    def crops(seed: int) -> torch.Tensor:
        g = torch.Generator().manual_seed(seed)
        return jpeg.DeviceTransform("cpu", training=True, generator=g)(batch)

    torch.manual_seed(0)
    first = crops(1)
    torch.manual_seed(99)  # the global RNG is not used
    assert first.shape == (len(IMAGES), 3, 224, 224)
    assert torch.equal(first, crops(1))
    assert not torch.equal(first, crops(2))
    with pytest.raises(ValueError, match="Generator"):
        jpeg.DeviceTransform("cpu", training=True)


def test_an_unreadable_image_is_named(tmp_path):
    good = [_write(tmp_path, f"a/{i}.jpg", seed=i) for i in range(3)]
    broken = tmp_path / "a" / "broken.jpg"  # whole, but its scan fails in decode_jpeg
    data = bytearray(good[0].read_bytes())
    data[800:2000] = b"\xff" * 1200
    broken.write_bytes(data)
    truncated = tmp_path / "b" / "truncated.jpg"  # fails in PIL, in the worker
    truncated.parent.mkdir()
    truncated.write_bytes(good[1].read_bytes()[:3000])
    ds = datasets.ImageFolder(str(tmp_path), loader=load_image)
    order = [p for p, _ in ds.samples]
    files = Subset(ds, [order.index(str(p)) for p in [*good, broken]])
    with pytest.raises(DataError) as caught:
        next(iter(loader(files, 4, _runtime(CPU, "gpu"), True)))
    message = str(caught.value)
    assert f"cannot read image {broken} (" in message and "then --resume" in message
    assert "\n" not in message and ".cpp" not in message
    with pytest.raises(DataError, match=f"cannot read image {truncated} .*truncated"):
        jpeg.EncodedImages(ds)[order.index(str(truncated))]


def test_the_loader_yields_batches_like_the_training_loop_expects(folder):
    g, six = torch.Generator().manual_seed(0), Subset(folder, range(6))
    sampler = torch.utils.data.RandomSampler(six, generator=torch.Generator().manual_seed(3))
    batches = loader(six, 4, _runtime(CPU, "gpu"), True, augment=g, sampler=sampler)
    assert len(batches) == 2 and batches.sampler is sampler
    (x, y), (x2, y2) = list(batches)
    assert x.shape == (4, 3, 224, 224) and y.dtype == torch.long and len(x2) == len(y2) == 2


def _splits(train, image_size: int = 224) -> SimpleNamespace:
    return SimpleNamespace(
        train=train, test=train, name="imagefolder", image_size=image_size, source="/data/small"
    )


def _runtime(device: torch.device, decode: str) -> Runtime:
    """A runtime built by hand: ``decode="gpu"`` on the CPU runs the device path there
    (the command's options refuse it off CUDA: :func:`check_decode`)."""
    return Runtime(device, decode=decode)


def test_decode_resolves_by_device_and_data(folder):
    digits = load_data()
    large, small = _splits(Subset(folder, [0, 1])), _splits(folder, image_size=64)
    assert not decodes_on_device(_runtime(CPU, "auto"), large)
    assert decodes_on_device(_runtime(CUDA, "auto"), large)
    assert decodes_on_device(_runtime(CUDA, "gpu"), large)
    assert not decodes_on_device(_runtime(CUDA, "auto"), digits)
    assert not decodes_on_device(_runtime(CUDA, "auto"), small)
    assert not decodes_on_device(_runtime(CUDA, "cpu"), large)
    no_cuda = "^--decode gpu needs a CUDA device, but --device is cpu$"
    with pytest.raises(OptionError, match=no_cuda):
        check_decode("gpu", "cpu")
    with pytest.raises(OptionError, match=r"^--decode must be one of cpu, gpu, auto, but got 'x'$"):
        check_decode("x", "cpu")
    with pytest.raises(
        OptionError,
        match=r"^--decode gpu needs an ImageFolder of JPEGs, but"
        r" --data is digits \(images held as tensors\)$",
    ):
        decodes_on_device(_runtime(CUDA, "gpu"), digits)
    with pytest.raises(OptionError, match="small images"):
        decodes_on_device(_runtime(CUDA, "gpu"), small)


def test_overlapped_device_decoding_equals_the_cpu_path(folder):
    """The overlapped loader (one batch decoded ahead; on CUDA on a side stream) run on the
    CPU: every batch equals the device transform of the same files decoded when asked,
    bit for bit, crops and flips included, and the generator ends where it would have;
    the evaluation batches (as the fitness holds them) match the PIL pipeline within the
    JPEG decoders' tolerance."""
    runtime, dataset = _runtime(CPU, "gpu"), Subset(folder, range(7))
    g = torch.Generator().manual_seed(5)
    batches = list(loader(dataset, 3, runtime, True, augment=g))
    reference = torch.Generator().manual_seed(5)
    transform = jpeg.DeviceTransform("cpu", training=True, generator=reference)
    items = jpeg.EncodedImages(dataset)
    for (x, y), start in zip(batches, range(0, 7, 3), strict=True):
        one = jpeg.collate_encoded([items[i] for i in range(start, min(start + 3, 7))])
        assert torch.equal(x, transform(one)) and torch.equal(y, one.labels)
    assert torch.equal(g.get_state(), reference.get_state())
    _, _, ev = _folder_transforms(folder)
    pil = torch.stack([ev(load_image(path)) for path, _ in folder.samples])
    decoded = torch.cat([x for x, _ in loader(folder, 3, runtime, True)])
    diff = (decoded - pil).abs()
    assert diff.mean() < 0.005 and diff.max() < 0.1, (diff.mean(), diff.max())
    held = evaluation_batches(folder, 3, Speed(CPU), runtime, True)()  # the fitness's batches
    assert torch.equal(torch.cat([x for x, _ in held]), decoded)


def test_the_trainer_trains_on_device_decoded_batches(tmp_path, monkeypatch):
    """``--decode gpu`` threaded through ``train_network`` to its loaders, run on the CPU
    (a hand-built runtime whose decode is not checked until the loaders are built)."""
    from binmobilenet import SuperNet

    from evogroup.rundir.layout import RunLayout
    from evogroup.torch.nn.weights import model_kind
    from evogroup.torch.options.recipe import TrainConfig
    from evogroup.torch.train import loop
    from evogroup.torch.train import trainer as tr

    for i in range(20):
        _write(tmp_path / "data", f"{'ab'[i % 2]}/{i}.jpg", (256, 240), seed=i)
    data = dataclasses.replace(load_data(tmp_path / "data"), num_workers=0)
    made = []

    def recorded(*args, **kwargs):
        made.append(loader(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(loop, "loader", recorded)
    with tr.seeded(0):
        net = SuperNet(module="M2", num_classes=2, width_mult=0.25)
    config = TrainConfig(epochs=1, batch_size=8, lr=1e-3, seed=0, eval_batch_size=16)
    result = tr.train_network(
        net.export(net.space.uniform(2)),
        data,
        config,
        RunLayout(tmp_path / "run"),
        kind=model_kind("binmobilenet"),
        meta={},
        runtime=_runtime(CPU, "gpu"),
        progress=False,
    )
    assert len(made) == 2 and all(isinstance(x, DecodedLoader) for x in made)
    assert made[1].files.batch_size == 16  # the evaluation batch of the config
    assert 0 <= result["top1"] <= result["top5"] <= 100
