"""A command refused after it made its run directory leaves nothing behind: the corrected
command then runs in the same ``--out`` without ``--resume`` (issue 22, item 1)."""

from __future__ import annotations

from evogroup.rundir.directory import discard_unused
from evogroup.rundir.layout import RunLayout
from evogroup.testing.fixtures import invoke
from tests.test_mistakes import check

TINY = ["--backend", "binmobilenet", "--width-mult", "0.25", "--device", "cpu"]
SUPERNET = ["train-supernet", *TINY, "--epochs", 1, "--batch-size", 256]
SYNTHETIC_SEARCH = [
    "search",
    "--backend",
    "synthetic",
    "--budget",
    "6.4e8",
    "--iterations",
    0,
    "--population",
    4,
]


def refused_then_corrected(out, refused, code, needle, corrected):
    """``refused`` fails with one line holding ``needle`` and leaves no ``out``;
    ``corrected`` then runs in ``out`` as a first run."""
    check([*refused, "--out", out], code, needle)
    assert not out.exists(), sorted(p.name for p in out.iterdir())
    assert "Run " in invoke([*corrected, "--out", out]).output  # not "Resuming"


def test_train_supernet_refusals_leave_nothing_and_the_corrected_command_runs(tmp_path):
    out = tmp_path / "runs" / "sn"  # its parent is made by the command too, and removed
    check([*SUPERNET, "--distill", "true", "--out", out], 2, "--distill needs --sampling")
    check([*SUPERNET, "--train-budget", 1, "--out", out], 1, "budget 1 is below")
    assert not (tmp_path / "runs").exists()
    refused_then_corrected(
        out,
        [*SUPERNET, "--distill", "true", "--sampling", "uniform"],
        2,
        "--distill needs --sampling sandwich",
        [*SUPERNET, "--distill", "true", "--sampling", "sandwich"],
    )
    checkpoint = out / "supernet.pt"
    assert checkpoint.exists()
    check_args = ["rank-check", *TINY, "--samples", 2, "--final-epochs", 1]
    refused_then_corrected(
        tmp_path / "rc",
        [*check_args, "--supernet", tmp_path / "missing.pt"],
        1,
        "no such supernet checkpoint",
        [*check_args, "--supernet", checkpoint],
    )


def test_search_with_an_unreachable_budget_min_leaves_nothing(tmp_path):
    refused_then_corrected(
        tmp_path / "s",
        [*SYNTHETIC_SEARCH, "--budget-min", "4.3e8"],
        1,
        "no genome costs within",
        [*SYNTHETIC_SEARCH, "--budget-min", "1.3e8"],
    )


def test_rank_check_with_too_few_genomes_under_its_budget_leaves_nothing(tmp_path):
    rank = ["rank-check", "--backend", "synthetic", "--budget", "0.2012e8"]
    refused_then_corrected(
        tmp_path / "r", rank, 1, "distinct genomes fit the budget", [*rank, "--samples", 2]
    )


def test_a_directory_the_user_made_stays_and_is_emptied_of_what_the_command_wrote(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    check([*SYNTHETIC_SEARCH, "--budget-min", "4.3e8", "--out", out], 1, "no genome costs")
    assert out.is_dir() and not any(out.iterdir())


def test_a_directory_with_work_in_it_is_kept(tmp_path):
    layout = RunLayout(tmp_path)
    for path in (layout.config, layout.env, layout.evaluations):
        path.write_text("{}")
    (tmp_path / "retrain").mkdir()
    assert not discard_unused(layout)
    assert {p.name for p in tmp_path.iterdir()} == {
        "config.json",
        "env.json",
        "evaluations.jsonl",
        "retrain",
    }
    layout.evaluations.unlink()
    assert discard_unused(layout) and not any(tmp_path.iterdir())
