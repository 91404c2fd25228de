"""The ``python`` code blocks of README.md and docs/*.md run as written.

Each file's blocks run in order in one namespace, in a fresh directory, so a later block
may use what an earlier one defined. Blocks fenced as ``py`` are fragments shown for
reading (a class body, a signature) and are not run; ``bash`` and ``text`` blocks neither.
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
