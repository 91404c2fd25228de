"""A battery of user mistakes, over every command and option: each ends in one ``Error:``
line naming the rule and the value, exit code 2 (a usage error: fix the command) or 1
(the run cannot be done: data, files, device, budget), and never a traceback."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from click.testing import CliRunner

from evogroup.backend.registry import get_backend, list_backends
from evogroup.cli.command_steps import COMMANDS, shown_on
from evogroup.cli.main import main
from tests.helpers import tiny_supernet_training

BUDGETS = {
    "synthetic": "0.8e8",
    "binmobilenet": "0.097e8",
    "birealnet": "1.2e8",
    "torchvision": "2e8",
    "module": "1e8",
}
#: The least each command needs besides --backend, so only the mistake is wrong.
NEEDS = {
    "space": [],
    "flops": ["--groups", "1"],
    "search": ["--budget", "{budget}"],
    "train-supernet": [],
    "train": ["--genome", "1"],
    "reproduce": ["--budget", "{budget}"],
    "rank-check": [],
    "latency": [],
}
#: Options a backend cannot do without (the module backend's model factory).
REQUIRED = {"module": ["--factory", "anynet.tests.models:tiny_net"]}


def check(args, code: int, *needles: str):
    """``evogroup ARGS`` exits ``code`` with exactly one ``Error:`` line holding ``needles``."""
    args = [str(a) for a in args]
    result = CliRunner().invoke(main, args)
    shown = f"evogroup {' '.join(args)}\n--- output ---\n{result.output}"
    assert result.exit_code == code, shown
    assert "Traceback" not in result.output, shown
    assert not result.exception or isinstance(result.exception, SystemExit), shown
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, shown
    for needle in needles:
        assert needle in errors[0], shown
    return errors[0]


def base(backend: str, command: str) -> list[str]:
    return [
        command,
        "--backend",
        backend,
        *REQUIRED.get(backend, []),
        *(a.format(budget=BUDGETS[backend]) for a in NEEDS[command]),
    ]


# -- every backend option of every command: a wrong type, a value out of range --------------


def _option_cases():
    for name in list_backends():
        for command in COMMANDS:
            for f in get_backend(name).Options.fields():
                if not shown_on(f.spec, command):
                    continue
                s, id_ = f.spec, f"{name}-{command}-{f.name}"
                if s.choices:
                    yield pytest.param(name, command, f.flag, "nope", id=f"{id_}-choice")
                elif f.type in (int, float, bool):
                    yield pytest.param(name, command, f.flag, "x1", id=f"{id_}-type")
                if f.type is int and not s.choices:
                    yield pytest.param(name, command, f.flag, "1.5", id=f"{id_}-fraction")
                if s.low is not None:
                    low = s.low if s.low_open else s.low - 1
                    yield pytest.param(name, command, f.flag, f"{low:g}", id=f"{id_}-low")
                if s.high is not None:
                    yield pytest.param(name, command, f.flag, f"{s.high + 1:g}", id=f"{id_}-high")


@pytest.mark.parametrize("backend, command, flag, value", list(_option_cases()))
def test_a_bad_backend_option_value_is_a_usage_error(backend, command, flag, value):
    check([*base(backend, command), flag, value], 2, flag, value)


@pytest.mark.parametrize("backend", list_backends())
@pytest.mark.parametrize("command", COMMANDS)
def test_an_option_of_another_command_or_backend_is_refused(backend, command):
    check([*base(backend, command), "--no-such-option", "1"], 2, "--no-such-option")


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_or_missing_backend_is_a_usage_error(command):
    check([command, "--backend", "binmobilenett"], 2, "binmobilenet")
    check([command], 2, "--backend")


# -- search settings and the other command options -----------------------------------------

SETTINGS = [
    ("--population", "0"),
    ("--top-k", "0"),
    ("--crossovers", "-1"),
    ("--mutations", "-1"),
    ("--iterations", "-1"),
    ("--mutation-prob", "1.5"),
    ("--mutation-prob", "-0.1"),
    ("--seed", "one"),
    ("--strategy", "annealing"),
    ("--constraint", "ignore"),
    ("--rescore-top", "-1"),
    ("--workers", "0"),
    ("--population", "2.5"),
]
BUDGET_VALUES = ["0", "-1e8", "abc", "inf", "nan", "80X", ""]


@pytest.mark.parametrize("flag, value", SETTINGS)
def test_a_bad_search_setting_is_a_usage_error(flag, value):
    check([*base("synthetic", "search"), flag, value], 2, flag)


@pytest.mark.parametrize("command", ["search", "reproduce"])
@pytest.mark.parametrize("value", BUDGET_VALUES)
def test_a_bad_budget_is_a_usage_error(command, value):
    check([command, "--backend", "synthetic", "--budget", value], 2, "--budget")


@pytest.mark.parametrize("backend", list_backends())
def test_a_budget_below_the_cheapest_genome_fails_in_one_line(backend):
    check(["search", "--backend", backend, *REQUIRED.get(backend, []), "--budget", "1"], 1, "below")


@pytest.mark.parametrize(
    "args, flag",
    [
        (
            ["search", "--backend", "synthetic", "--budget", "0.8e8", "--budget-min", "0.9e8"],
            "--budget-min",
        ),
        (
            ["reproduce", "--backend", "synthetic", "--budget", "0.8e8", "--repeats", "0"],
            "--repeats",
        ),
        (["rank-check", "--backend", "synthetic", "--samples", "1"], "--samples"),
        (["train", "--backend", "synthetic", "--genome", "1", "--seed", "x"], "--seed"),
        (["train-supernet", "--backend", "synthetic", "--seed", "1e3"], "--seed"),
        (["space", "--backend", "synthetic", "--budget", "zero"], "--budget"),
        (["flops", "--backend", "synthetic"], "--groups"),
        (["train", "--backend", "synthetic"], "--genome"),
        (["search", "--backend", "synthetic"], "--budget"),
        (
            ["train-supernet", "--backend", "binmobilenet", "--decode", "gpu", "--device", "cpu"],
            "--decode gpu needs a CUDA device, but --device is cpu",
        ),
        (
            [
                "train-supernet",
                "--backend",
                "binmobilenet",
                "--distill",
                "true",
                "--sampling",
                "uniform",
            ],
            "--distill needs --sampling sandwich, but sampling is uniform",
        ),
    ],
)
def test_other_bad_options_are_usage_errors(args, flag):
    check(args, 2, flag)


@pytest.mark.parametrize("command", ["search", "train-supernet", "train", "reproduce"])
def test_resume_without_out_is_a_usage_error(command):
    check([*base("synthetic", command), "--resume"], 2, "--resume needs --out")


# -- genomes: wrong values, files missing, empty, of the wrong kind or another backend -------


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("files")
    (d / "empty.json").write_text("")
    (d / "text.json").write_text("not json")
    (d / "object.json").write_text(json.dumps({"genome": "1,2"}))
    (d / "number.json").write_text("4")
    (d / "short.json").write_text(json.dumps([1, 2, 4]))
    (d / "dir").mkdir()
    result = CliRunner().invoke(
        main,
        [
            "search",
            "--backend",
            "synthetic",
            "--budget",
            "0.8e8",
            "--iterations",
            "0",
            "--population",
            "3",
            "--out",
            str(d / "synthetic-run"),
        ],
    )
    assert result.exit_code == 0, result.output
    return d


GENOMES = [
    ("0", ">= 1"),
    ("-2", ">= 1"),
    ("0,1", "18"),
    ("1,2", "18"),
    ("a,b", "comma list"),
    ("empty.json", "not valid JSON"),
    ("text.json", "not valid JSON"),
    ("object.json", "must hold a genome"),
    ("number.json", "must hold a genome"),
    ("short.json", "18"),
    ("dir", "group count"),
    ("synthetic-run/config.json", "must hold a genome"),
]


@pytest.mark.parametrize("command, flag", [("flops", "--groups"), ("train", "--genome")])
@pytest.mark.parametrize("value, needle", GENOMES)
def test_a_bad_genome_is_a_usage_error(files, command, flag, value, needle):
    value = str(files / value) if (files / value).exists() or "." in value else value
    args = [command, "--backend", "binmobilenet", flag, value]
    check(args, 2, flag, needle)


def test_a_search_result_of_another_backend_is_not_a_genome(files):
    """The synthetic backend's space is MobileNet M2's (18 genes): birealnet has 16."""
    result = files / "synthetic-run" / "result.json"
    check(["train", "--backend", "birealnet", "--genome", result], 2, "--genome", "16")


# -- run directories -------------------------------------------------------------------------


def test_out_that_cannot_be_made_fails_in_one_line(files):
    (files / "a-file").write_text("x")
    check([*base("synthetic", "search"), "--out", files / "a-file"], 2, "--out", "is a file")
    check([*base("synthetic", "search"), "--out", files / "a-file" / "run"], 1, "Not a directory")
    check([*base("synthetic", "search"), "--out", "/proc/evogroup/run"], 1, "cannot create")


@pytest.mark.parametrize("command", ["train-supernet", "train", "reproduce", "search"])
def test_resuming_a_run_of_another_command_is_refused(files, command):
    check(
        [*base("synthetic", command), "--out", files / "synthetic-run", "--resume"],
        1,
        "was run with",
    )


def test_report_of_what_is_not_a_run(files, tmp_path):
    check(["report", tmp_path / "missing"], 2, "does not exist")
    check(["report", files / "empty.json"], 2, "is a file")
    check(["report", files / "dir"], 1, "not an evogroup run directory")
    (tmp_path / "config.json").write_text("{")
    check(["report", tmp_path], 1, "config.json is unreadable")


# -- devices, supernets and data (torch backends) ---------------------------------------------


@pytest.mark.parametrize(
    "device, code, needle",
    [
        ("cuda:99", 1, "cuda:99"),
        ("gpu", 2, "'gpu'"),
        ("meta", 2, "'meta'"),
        ("cuda:x", 2, "cuda:x"),
    ],
)
def test_a_device_this_machine_lacks_is_refused_before_any_work(tmp_path, device, code, needle):
    out = tmp_path / "run"
    check(
        ["train-supernet", "--backend", "binmobilenet", "--device", device, "--out", out],
        code,
        needle,
    )
    assert not out.exists()


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    torch = pytest.importorskip("torch")
    d = tmp_path_factory.mktemp("checkpoints")
    torch.save({"kind": "evogroup.birealnet.supernet"}, d / "birealnet.pt")
    torch.save({"kind": "evogroup.binmobilenet.model"}, d / "model.pt")
    meta = {
        "arch": {"module": "M1", "width_mult": 0.25, "num_classes": 10},
        "data": {"name": "digits", "split_seed": 0, "sizes": {}},
        "image_size": 32,
    }
    torch.save({"kind": "evogroup.binmobilenet.supernet", "meta": meta}, d / "m1.pt")
    torch.save([1, 2, 3], d / "list.pt")
    (d / "empty.pt").write_bytes(b"")
    (d / "text.pt").write_text("hello")
    with open(d / "pickle.pt", "wb") as fh:
        pickle.dump({"kind": "evogroup.binmobilenet.supernet"}, fh)
    (d / "dir.pt").mkdir()
    return d


@pytest.mark.parametrize(
    "name, needle",
    [
        ("missing.pt", "no such supernet"),
        ("empty.pt", "not a supernet checkpoint"),
        ("text.pt", "not a supernet checkpoint"),
        ("pickle.pt", "not a supernet checkpoint"),
        ("list.pt", "not a supernet checkpoint"),
        ("dir.pt", "supernet"),
        ("birealnet.pt", "evogroup.birealnet.supernet"),
        ("model.pt", "evogroup.binmobilenet.model"),
        ("m1.pt", "module='M1'"),
    ],
)
@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_a_supernet_that_cannot_be_searched_with_fails_in_one_line(
    checkpoints, tmp_path, name, needle
):
    args = [
        "search",
        "--backend",
        "binmobilenet",
        "--width-mult",
        "0.25",
        "--device",
        "cpu",
        "--budget",
        "0.097e8",
        "--supernet",
        checkpoints / name,
        "--out",
        tmp_path / "run",
    ]
    check(args, 1, needle)


def _images(folder: Path, n: int, size: int = 12) -> None:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.new("RGB", (size, size), (i * 7 % 256, 40, 90)).save(folder / f"{i:03d}.png")


def _cifar(folder: Path, damaged: str | None = None, missing: str | None = None) -> None:
    import numpy as np

    from evogroup.torch.data.folders import CIFAR_FILES

    folder.mkdir(parents=True)
    for name in CIFAR_FILES:
        if name == missing:
            continue
        if name == damaged:
            (folder / name).write_bytes(b"\x80\x04garbage")
            continue
        batch = {b"data": np.zeros((20, 3072), np.uint8), b"labels": [i % 10 for i in range(20)]}
        with open(folder / name, "wb") as fh:
            pickle.dump(batch, fh)


def _data(kind: str, root: Path) -> Path:
    d = root / kind
    if kind == "one-class":
        _images(d / "cats", 30)
    elif kind == "empty-class":
        _images(d / "cats", 10), _images(d / "dogs", 10), (d / "birds").mkdir()
    elif kind == "one-image-per-class-but-one":
        _images(d / "cats", 20)
        for name in ("dogs", "birds"):
            _images(d / name, 1)
    elif kind == "val-one-class":
        _images(d / "train" / "cats", 10), _images(d / "train" / "dogs", 10)
        _images(d / "val" / "cats", 3)
        (d / "val" / "dogs").mkdir()
    elif kind == "unreadable-sampled":
        _images(d / "cats", 8), _images(d / "dogs", 8)
        (d / "dogs" / "004.png").write_bytes(b"not a png")
    elif kind == "cifar-missing":
        _cifar(d, missing="data_batch_3")
    elif kind == "cifar-damaged":
        _cifar(d, damaged="data_batch_2")
    elif kind == "no-images":
        (d / "cats").mkdir(parents=True)
        (d / "cats" / "notes.txt").write_text("x")
    elif kind == "empty":
        d.mkdir()
    elif kind == "a-file":
        d.write_text("x")
    return d


DATA = [
    ("missing", "no such directory"),
    ("a-file", "is a file"),
    ("empty", "found neither"),
    ("no-images", "found neither"),
    ("one-class", "at least two classes"),
    ("empty-class", "birds"),
    ("one-image-per-class-but-one", "at least two classes"),
    ("val-one-class", "at least two classes"),
    ("unreadable-sampled", "004.png"),
    ("cifar-missing", "data_batch_3 is missing"),
    ("cifar-damaged", "data_batch_2"),
]


@pytest.mark.parametrize("kind, needle", DATA)
def test_data_that_is_not_a_classification_task_fails_in_one_line(tmp_path, kind, needle):
    pytest.importorskip("torchvision")
    data = _data(kind, tmp_path)
    args = tiny_supernet_training(data, tmp_path / "run")
    check(args, 1, "--data", needle)


@pytest.mark.slow  # a short training that meets the damaged image
def test_an_unreadable_image_met_in_training_is_named(tmp_path):
    pytest.importorskip("torchvision")
    d = tmp_path / "data"
    _images(d / "cats", 20), _images(d / "dogs", 20)
    (d / "dogs" / "017.png").write_bytes(b"\x89PNG broken")  # not among the 16 sampled
    args = tiny_supernet_training(d, tmp_path / "run", "--epochs", "1", "--batch-size", "8")
    check(args, 1, "cannot read image", str(d / "dogs" / "017.png"))


def test_debug_shows_the_traceback(tmp_path):
    args = [
        "--debug",
        "search",
        "--backend",
        "synthetic",
        "--budget",
        "0.8e8",
        "--resume",
        "--out",
        tmp_path,
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert type(result.exception).__name__ == "CheckpointError"
