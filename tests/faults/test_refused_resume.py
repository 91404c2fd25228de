"""A refused ``--resume`` leaves the run directory byte for byte as it was (issue 30, item
14): config.json and env.json are rewritten at the start of a resume, so a refusal that
comes later (the checkpoint's) puts them back."""

from __future__ import annotations

import json
import platform
from pathlib import Path

from evogroup.testing.fixtures import invoke
from tests.test_mistakes import check

SEARCH = [
    "search",
    "--backend",
    "synthetic",
    "--budget",
    "0.8e8",
    "--population",
    "6",
    "--iterations",
    "1",
    "--strategy",
    "paper",
]


def _contents(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _edit_config(out: Path, **strategy_options) -> None:
    config = json.loads((out / "config.json").read_text())
    config["search"]["strategy_options"].update(strategy_options)
    (out / "config.json").write_text(json.dumps(config))


def test_a_resume_the_checkpoint_refuses_touches_nothing(tmp_path):
    out = tmp_path / "run"
    invoke([*SEARCH, "--out", out])
    _edit_config(out, constraint="repair")  # config.json now agrees; the checkpoint does not
    before = _contents(out)
    check(
        [*SEARCH, "--strategy-option", "constraint=repair", "--resume", "--out", out],
        1,
        "constraint",
    )
    assert _contents(out) == before


def test_an_extended_resume_the_checkpoint_refuses_keeps_the_old_iterations(tmp_path):
    out = tmp_path / "run"
    invoke([*SEARCH, "--out", out])
    _edit_config(out, constraint="repair")
    before = _contents(out)
    args = [*SEARCH, "--iterations", "3", "--strategy-option", "constraint=repair"]
    check([*args, "--resume", "--out", out], 1, "constraint")
    assert _contents(out) == before  # config.json's iterations were rewritten, then put back


def test_a_resume_refused_by_its_config_touches_nothing(tmp_path):
    out = tmp_path / "run"
    invoke([*SEARCH, "--out", out])
    before = _contents(out)
    check([*SEARCH, "--seed", "5", "--resume", "--out", out], 1, "seed")
    assert _contents(out) == before


def test_a_resume_that_did_work_keeps_its_new_environment(tmp_path, monkeypatch):
    out = tmp_path / "run"
    invoke([*SEARCH, "--out", out])
    assert json.loads((out / "env.json").read_text())["platform"] != "another machine"
    monkeypatch.setattr(platform, "platform", lambda: "another machine")  # resumed elsewhere
    invoke([*SEARCH, "--iterations", "2", "--resume", "--out", out])
    assert json.loads((out / "env.json").read_text())["platform"] == "another machine"
    assert json.loads((out / "config.json").read_text())["search"]["iterations"] == 2
