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
