"""Datasets: the embedded digits, fake ImageFolder trees and CIFAR-10 batches, bad paths."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from torchvision.transforms import v2

from evogroup.core.errors import DataError
from evogroup.torch.data.sources import load_data, stratified_split


@pytest.fixture(scope="module")
def digits():
    return load_data()


def test_digits_shapes_and_classes(digits):
    assert (digits.name, digits.num_classes, digits.image_size) == ("digits", 10, 32)
    sizes = digits.describe()["sizes"]
    assert sum(sizes.values()) == 1797
    assert sizes["search_val"] == pytest.approx(0.15 * 1797, abs=10)
    for split in (digits.train, digits.train_plain, digits.search_val, digits.test):
        x, y = split[0]
        assert x.shape == (3, 32, 32) and x.dtype == torch.float32 and 0 <= y < 10
    labels = digits.test.labels.tolist()
    assert set(labels) == set(range(10))  # stratified: every class in every split


def test_digits_augments_train_only_without_flips(digits):
    assert not any(
        isinstance(t, v2.RandomHorizontalFlip) for t in digits.train.transform.transforms
    )
    torch.manual_seed(0)
    draws = [digits.train[5][0] for _ in range(8)]
    assert any(not torch.equal(draws[0], d) for d in draws[1:])  # random translation
    assert torch.equal(digits.test[5][0], digits.test[5][0])
    assert torch.equal(digits.train_plain[5][0], digits.train_plain[5][0])
    # the plain view holds the same images as train, only without augmentation
    assert torch.equal(digits.train_plain.images, digits.train.images)


def test_digits_split_is_deterministic_by_seed(digits):
    again, other = load_data(seed=0), load_data("digits", seed=1)
    assert torch.equal(again.test.images, digits.test.images)
    assert torch.equal(again.search_val.labels, digits.search_val.labels)
    assert not torch.equal(other.test.images, digits.test.images)


@given(
    st.lists(st.integers(0, 4), min_size=1, max_size=200),
    st.floats(0.0, 0.4),
    st.floats(0.0, 0.4),
    st.integers(0, 2**31),
)
def test_stratified_split_is_a_disjoint_cover(labels, f1, f2, seed):
    parts = stratified_split(labels, [f1, f2], seed)
    joined = np.concatenate(parts)
    assert sorted(joined.tolist()) == list(range(len(labels)))  # disjoint and complete
    assert all(
        np.array_equal(a, b) for a, b in zip(parts, stratified_split(labels, [f1, f2], seed))
    )


def _image_folder(root, classes=("cat", "dog", "owl"), n=10, size=(16, 12)):
    for c, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(n):
            pixel = (40 * c, 7 * i, 100)
            Image.new("RGB", size, pixel).save(root / name / f"{i}.png")


def test_single_image_folder_is_split_in_three(tmp_path):
    _image_folder(tmp_path)
    d = load_data(tmp_path, seed=3)
    assert (d.name, d.num_classes, d.classes, d.image_size) == (
        "imagefolder",
        3,
        ("cat", "dog", "owl"),
        32,
    )
    sizes = d.describe()["sizes"]
    assert sum(sizes.values()) == 30 and min(sizes.values()) >= 3
    assert d.train[0][0].shape == (3, 32, 32) and d.test[0][0].shape == (3, 32, 32)
    ids = [set(split.indices) for split in (d.train, d.search_val, d.test)]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])


def test_image_folder_tree_uses_val_as_test_and_paper_transforms(tmp_path):
    _image_folder(tmp_path / "train", n=10, size=(300, 260))
    _image_folder(tmp_path / "val", n=2, size=(300, 260))
    d = load_data(tmp_path)
    sizes = d.describe()["sizes"]
    assert sizes["test"] == 6 and sizes["train"] + sizes["search_val"] == 30
    assert d.image_size == 224
    assert d.train[0][0].shape == (3, 224, 224) and d.test[0][0].shape == (3, 224, 224)
    assert any(isinstance(t, v2.RandomHorizontalFlip) for t in d.train.dataset.transform.transforms)


def test_image_folder_tree_with_other_classes_in_val_is_refused(tmp_path):
    _image_folder(tmp_path / "train")
    _image_folder(tmp_path / "val", classes=("cat", "emu"))
    with pytest.raises(DataError, match="train/ and val/ must have the same class folders"):
        load_data(tmp_path)


def _cifar(root, n=20, test=12):
    root.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    for k, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        count = test if name == "test_batch" else n
        data = rng.integers(0, 256, (count, 3072), dtype=np.uint8)
        data[:, 0], data[:, 1] = k, np.arange(count)  # a unique mark per image
        batch = {b"data": data, b"labels": [i % 10 for i in range(count)]}
        (root / name).write_bytes(pickle.dumps(batch))
    names = [f"class{i}".encode() for i in range(10)]
    (root / "batches.meta").write_bytes(pickle.dumps({b"label_names": names}))


def test_cifar10_batches_load_and_test_stays_apart(tmp_path):
    _cifar(tmp_path)
    d = load_data(tmp_path, seed=1)
    assert (d.name, d.num_classes, d.image_size, d.classes[3]) == ("cifar10", 10, 32, "class3")
    sizes = d.describe()["sizes"]
    assert sizes["train"] + sizes["search_val"] == 100 and sizes["test"] == 12
    assert sizes["search_val"] == 10
    marks = {
        name: {tuple(img[0, 0, :2].tolist()) for img in split.images}
        for name, split in [("train", d.train), ("val", d.search_val), ("test", d.test)]
    }
    assert not (marks["train"] & marks["val"])
    assert all(k == 5 for k, _ in marks["test"]) and all(k < 5 for k, _ in marks["val"])
    x, y = d.train[0]
    assert x.shape == (3, 32, 32) and x.dtype == torch.float32


def test_malformed_cifar_batch_is_a_data_error(tmp_path):
    _cifar(tmp_path)
    (tmp_path / "data_batch_3").write_bytes(b"not a pickle")
    with pytest.raises(DataError, match="data_batch_3 is not a CIFAR-10 batch"):
        load_data(tmp_path)
    (tmp_path / "data_batch_3").write_bytes(
        pickle.dumps({b"data": np.zeros((2, 10), np.uint8), b"labels": [0, 1]})
    )
    with pytest.raises(DataError, match=r"N x 3072 uint8 images"):
        load_data(tmp_path)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p / "missing", "no such directory"),
        (lambda p: (p / "f.txt").write_text("x") and p / "f.txt", "expected a directory"),
        (
            lambda p: p,
            "expected an ImageFolder tree .* or a CIFAR-10 batches folder .*found neither",
        ),
        (lambda p: (p / "a").mkdir() or p, "expected an ImageFolder tree .*found neither"),
    ],
    ids=["missing", "file", "empty", "no-images"],
)
def test_bad_paths_are_one_clear_data_error(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(DataError, match=rf"^--data {re.escape(str(path))}: {message}"):
        load_data(path)
