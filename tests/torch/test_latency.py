"""The latency table: built on a tiny network, cached under its full key, never reused
from another key; the refusals of ``evogroup latency`` in one line each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from evogroup.core.errors import OptionError
from evogroup.core.latency import LatencySpec
from evogroup.core.space import SearchSpace
from evogroup.testing.fixtures import invoke
from evogroup.torch.latency import table as latency
from evogroup.torch.latency.correction import errors, fit_correction
from evogroup.torch.latency.timing import summarize

SPACE = SearchSpace.from_channels([8, 16], names=["a", "b"])


class Tiny(nn.Module):
    """stem -> two searched convs -> pooled classifier (``fixed``: a flattened one that
    runs at 16x16 px only)."""

    def __init__(self, genome, fixed: bool = False):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.convs = nn.ModuleDict(
            {
                "a": nn.Conv2d(8, 16, 3, padding=1, groups=genome[0]),
                "b": nn.Conv2d(16, 16, 3, padding=1, groups=genome[1]),
            }
        )
        self.head = nn.Linear(16 * 16 * 16, 10) if fixed else nn.Linear(16, 10)
        self.fixed = fixed

    @staticmethod
    def gene_path(name: str) -> str:
        return f"convs.{name}"

    def forward(self, x):
        x = self.convs["b"](self.convs["a"](self.stem(x)))
        return self.head(x.flatten(1) if self.fixed else x.mean((2, 3)))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EVOGROUP_CACHE", str(tmp_path))
    return tmp_path


def _build(calls: list):
    def build(genome):
        calls.append(tuple(genome))
        return Tiny(SPACE.validate(genome))

    return build


SPEC = LatencySpec(resolution=16)
KEY = {"backend": "tiny"}


def test_the_table_covers_every_choice_and_reloads_from_the_cache(cache) -> None:
    calls: list = []
    table = latency.latency_table(KEY, SPACE, _build(calls), SPEC, echo=lambda _: None)
    assert not table.cached and table.path and (cache / table.path.split("/")[-1]).is_file()
    for layer, row in zip(SPACE.layers, table.layers.table):
        assert set(row) == set(layer.choices) and all(ms > 0 for ms in row.values())
    assert (
        table.fit["genomes"] == min(latency.FIT_GENOMES, SPACE.size) and table.fit["noise_ms"] >= 0
    )
    genome = (2, 4)
    assert table.predict(genome) == pytest.approx(
        table.offset + table.scale * sum(row[g] for row, g in zip(table.layers.table, genome))
    )
    built = len(calls)
    again = latency.latency_table(KEY, SPACE, _build(calls), SPEC, echo=lambda _: None)
    assert again.cached and len(calls) == built and again.cost == table.cost
    assert again.key == table.key and again.key["torch"] == torch.__version__


def test_a_table_of_another_key_is_rebuilt_never_used(cache, monkeypatch) -> None:
    calls: list = []
    first = latency.latency_table(KEY, SPACE, _build(calls), SPEC, echo=lambda _: None)
    built = len(calls)
    for field, value in (("threads", 2), ("batch", 2)):  # another key: another file
        spec = LatencySpec(resolution=16, **{field: value})
        other = latency.latency_table(KEY, SPACE, _build(calls), spec, echo=lambda _: None)
        assert not other.cached and other.path != first.path and other.key[field] == value
    with monkeypatch.context() as patched:
        patched.setattr(latency.torch, "__version__", "0.0.1-elsewhere")
        other = latency.latency_table(KEY, SPACE, _build(calls), SPEC, echo=lambda _: None)
        assert not other.cached and other.key["torch"] == "0.0.1-elsewhere"
    # the file at this key's path, measured on another device (copied here): rebuilt, said so
    data = json.loads(Path(first.path).read_text())
    data["key"]["device"] = "Another CPU"
    Path(first.path).write_text(json.dumps(data))
    said: list[str] = []
    count = len(calls)
    rebuilt = latency.latency_table(KEY, SPACE, _build(calls), SPEC, echo=said.append)
    assert not rebuilt.cached and len(calls) > count and rebuilt.key["device"] != "Another CPU"
    assert any("another key" in line and "Another CPU" in line for line in said)
    assert built > 0


def test_a_network_that_cannot_run_at_the_resolution_is_refused_in_one_line(cache) -> None:
    def build(genome):
        return Tiny(SPACE.validate(genome), fixed=True)

    latency.latency_table(KEY, SPACE, build, LatencySpec(resolution=16), echo=lambda _: None)
    with pytest.raises(OptionError, match=r"--resolution 32: the backend's network cannot run"):
        latency.latency_table(KEY, SPACE, build, LatencySpec(resolution=32), echo=lambda _: None)


def test_spec_rules() -> None:
    with pytest.raises(OptionError, match="--threads >= 1 must hold, but got --threads 0"):
        LatencySpec(threads=0)
    with pytest.raises(OptionError, match="--batch >= 1"):
        LatencySpec(batch=-1)


def test_correction_and_error_figures() -> None:
    sums, measured = [10.0, 20.0, 40.0], [7.0, 12.0, 22.0]  # 2 + 0.5 x
    offset, scale = fit_correction(sums, measured)
    assert offset == pytest.approx(2.0) and scale == pytest.approx(0.5)
    e = errors([11.0, 9.0], [10.0, 10.0])
    assert e["mape"] == pytest.approx(10.0) and e["max"] == pytest.approx(10.0)
    t = summarize([1.0, 2.0, 3.0, 4.0, 100.0])
    assert t.median_ms == 3.0 and t.noise_ms < 30  # one slow repeat moves the spread little


TINY = ["--backend", "binmobilenet", "--module", "M2", "--width-mult", "0.25", "--resolution", "32"]


def test_cli_predicts_and_measures_one_genome(cache) -> None:
    out = invoke(["latency", *TINY, "--genome", "4", "--json", "--measure"]).output
    report = json.loads(out.strip().splitlines()[-1])
    assert report["predicted_ms"] > 0 and report["measured_ms"] > 0 and report["noise_ms"] >= 0
    assert report["key"]["threads"] == 1 and report["key"]["batch"] == 1
    assert report["key"]["resolution"] == 32 and report["key"]["device_type"] == "cpu"
    table = invoke(["latency", *TINY]).output
    assert "fastest genome" in table and str(cache) in table


@pytest.mark.parametrize(
    "args, words",
    [
        (["--threads", "0"], "--threads >= 1 must hold, but got --threads 0"),
        (["--batch", "0"], "--batch >= 1 must hold, but got --batch 0"),
        (["--device", "tpu9"], "--device must be cpu, cuda, cuda:N or mps, but got 'tpu9'"),
        (["--measure"], "--measure needs --genome"),
    ],
)
def test_cli_refusals_are_one_line(cache, args, words) -> None:
    result = invoke(["latency", *TINY, *args], exit_code=2)
    assert words in result.output and "Traceback" not in result.output
    errors_said = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors_said) == 1 and words in errors_said[0]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal of an absent GPU")
def test_cli_refuses_an_absent_gpu(cache) -> None:
    result = invoke(["latency", *TINY, "--device", "cuda"], exit_code=1)
    assert "CUDA is not available on this machine" in result.output


def test_cli_refuses_a_model_that_cannot_run_at_the_resolution(cache) -> None:
    module = ["--backend", "module", "--factory", "tests.torch.latency_nets:fixed_size"]
    invoke(["latency", *module, "--resolution", "32"])
    result = invoke(["latency", *module, "--resolution", "64"], exit_code=2)
    # the module backend names the layer that fails (issue 30); the latency table's own
    # refusal covers backends that do not check (test above)
    errors_said = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors_said) == 1 and "resolution 64" in errors_said[0]
    assert "Traceback" not in result.output


def test_search_refuses_a_latency_budget_below_the_fastest_genome(cache, tmp_path) -> None:
    table = json.loads(invoke(["latency", *TINY, "--json"]).output.strip().splitlines()[-1])
    assert table["cached"] is False
    result = invoke(
        ["search", *TINY, "--latency-budget", "0.5us", "--out", tmp_path / "r"], exit_code=1
    )
    assert (
        "--latency-budget 0.0005ms is below the fastest genome's predicted latency" in result.output
    )
    assert "(genome [" in result.output and not (tmp_path / "r").exists()
    both = invoke(["search", *TINY, "--out", tmp_path / "r"], exit_code=2)
    assert "give --budget (FLOPs), --latency-budget (e.g. 5ms), or both" in both.output
    bad = invoke(["search", *TINY, "--latency-budget", "5 parsecs"], exit_code=2)
    assert "a latency is a positive time with its unit" in bad.output


@pytest.mark.slow  # two tables of full networks at 32 px: about a minute on 2 cores
@pytest.mark.parametrize("backend", [["birealnet"], ["torchvision", "--arch", "mobilenet_v2"]])
def test_every_backend_has_a_latency_table(cache, backend) -> None:
    args = ["latency", "--backend", *backend, "--resolution", "32", "--genome", "2", "--json"]
    report = json.loads(invoke(args).output.strip().splitlines()[-1])
    assert report["predicted_ms"] > 0 and report["key"]["backend"] == backend[0]
