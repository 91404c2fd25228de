"""The core never imports torch (flask's way of testing an optional import: block it)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run_python(code):
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_core_search_and_cli_work_with_torch_blocked():
    out = run_python(
        """
        import sys
        sys.modules["torch"] = None  # any "import torch" now raises ImportError

        import evogroup
        import evogroup.cli.main
        from evogroup.backend.base import Run
        from evogroup.core.loop import search

        problem = evogroup.get_backend("synthetic").problem(0.8e8, Run("unused"))
        result = search(problem, population=6, crossovers=3, mutations=3, iterations=2)
        print(result.evaluations, result.best.cost <= 0.8e8, "search" in evogroup.cli.main.main.commands)
        """
    )
    assert out.split() == ["18", "True", "True"]


def test_importing_the_core_does_not_import_torch():
    out = run_python(
        """
        import sys
        import evogroup
        import evogroup.cli.main
        import evogroup.testing
        print(sorted(m for m in sys.modules if m == "torch" or m.startswith("torch.")))
        """
    )
    assert out.strip() == "[]"


def test_rank_statistics_of_a_scores_file_work_with_torch_blocked():
    from pathlib import Path

    scores = Path(__file__).parent / "data" / "nb201_slice.csv"
    out = run_python(
        f"""
        import importlib.abc, json, sys

        class NoTorch(importlib.abc.MetaPathFinder):  # torch absent (scipy checks sys.modules)
            def find_spec(self, name, path, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ImportError("torch is blocked")

        sys.meta_path.insert(0, NoTorch())
        from click.testing import CliRunner
        from evogroup.cli.main import main

        result = CliRunner().invoke(main, ["rank-check", "--scores", {str(scores)!r}, "--json",
                                           "--resamples", "10"])
        print(result.exit_code, json.loads(result.output)["rows"], "torch" in sys.modules)
        """
    )
    assert out.split() == ["0", "300", "False"]
