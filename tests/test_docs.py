"""README.md and docs/*.md cannot drift from the code.

- The ``python`` code blocks run as written. Each file's blocks run in order in one
  namespace, in a fresh directory, so a later block may use what an earlier one defined.
  Blocks fenced as ``py`` are fragments shown for reading (a class body, a signature) and
  are not run; ``bash`` and ``text`` blocks neither.
- Every ``evogroup …`` command line shown (in any other block or in inline code, under
  ``torchrun -m evogroup`` too) names a command that exists with flags it takes, and runs
  with ``--help`` (:mod:`tests.docs_cli`).
- Every test name, repository path and dotted module name cited exists
  (:mod:`tests.docs_citations`).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import types
from pathlib import Path

import pytest

from tests.docs_citations import cited, problem
from tests.docs_cli import check, shown_commands

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks(path: Path) -> list[str]:
    return BLOCK.findall(path.read_text())


@pytest.mark.parametrize("path", [p for p in FILES if blocks(p)], ids=lambda p: p.name)
def test_python_blocks_run(path, tmp_path):
    module = types.ModuleType(f"docs_{path.stem}")  # a real module: dataclasses look it up
    sys.modules[module.__name__] = module
    namespace = module.__dict__
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for i, code in enumerate(blocks(path), 1):
            with contextlib.redirect_stdout(io.StringIO()):
                try:
                    exec(compile(code, f"{path.name} block {i}", "exec"), namespace)
                except Exception as exc:  # noqa: BLE001 - report which block failed
                    pytest.fail(f"{path.name} block {i} raised {type(exc).__name__}: {exc}")
    finally:
        os.chdir(cwd)
        del sys.modules[module.__name__]


@pytest.mark.parametrize("path", [p for p in FILES if shown_commands(p)], ids=lambda p: p.name)
def test_every_command_line_shown_exists_with_its_flags(path):
    errors = [e for shown in shown_commands(path) for e in check(shown)]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_test_path_and_module_cited_exists(path):
    errors = []
    for where, kind, name in cited(path):
        why = problem(kind, name)
        if why:
            errors.append(f"{where}: {name}: {why}")
    assert not errors, "\n".join(errors)
