"""The tests, files and modules a Markdown document cites, and whether each exists.

- a test name (``test_table1_flops``, or a test file's stem such as ``test_ddp``) must be a
  test function, test class or test module of the repository;
- a path under one of the repository's folders (``evogroup/torch/nn/shared.py``,
  ``backends/birealnet/supernet.py``, ``tests/torch/test_ddp.py``, ``birealnet/backend.py``)
  must be a file or folder (a glob, ``docs/measurements/gpu-h100-*.txt``, must match one);
- a dotted name (``evogroup.torch.nn.shared.SharedConv2d``, ``birealnet.backend:BiRealNetBackend``)
  must be a module file followed by attributes that module has, or an entry-point group; a
  module path that moved (importable until the next release with a DeprecationWarning) is
  stale, unless its paragraph speaks of the deprecation.
"""

from __future__ import annotations

import ast
import importlib
import re
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("evogroup", "binmobilenet", "birealnet", "anynet")
FOLDERS = ("evogroup", "backends", "tests", "benchmarks", "examples", "docs", *PACKAGES[1:])
TEST_NAME = re.compile(r"(?<![\w/.])(test_\w+)")
PATH = re.compile(rf"(?<![\w./-])((?:{'|'.join(FOLDERS)})/[\w./*-]*)")
DOTTED = re.compile(rf"(?<![\w./-])((?:{'|'.join(PACKAGES)})(?:\.[A-Za-z_]\w*)+)(?::([\w.]+))?")


def cited(path: Path, label: str | None = None) -> list[tuple[str, str, str]]:
    """``(where, kind, name)`` for every test name, path and dotted name ``path`` cites."""
    found, lines = [], path.read_text().splitlines()
    about_deprecation = _paragraphs_matching(lines, re.compile("deprecat", re.I))
    for number, line in enumerate(lines, 1):
        where = f"{label or path.name}:{number}"
        found += [(where, "test", m.group(1)) for m in TEST_NAME.finditer(line)]
        found += [(where, "path", m.group(1).rstrip(".")) for m in PATH.finditer(line)]
        kind = "module or moved" if number in about_deprecation else "module"
        for m in DOTTED.finditer(line):
            found.append((where, kind, m.group(1) + (f":{m.group(2)}" if m.group(2) else "")))
    return found


def _paragraphs_matching(lines: list[str], pattern: re.Pattern) -> set[int]:
    """The numbers of the lines whose paragraph (lines between blank ones) matches."""
    matching, paragraph = set(), []
    for number, line in enumerate([*lines, ""], 1):
        if line.strip():
            paragraph.append(number)
        elif paragraph:
            if any(pattern.search(lines[n - 1]) for n in paragraph):
                matching.update(paragraph)
            paragraph = []
    return matching


def problem(kind: str, name: str) -> str | None:
    """Why the cited ``name`` does not exist (None when it does)."""
    if kind == "test":
        return None if name in test_names() else f"no test named {name} in the repository"
    if kind == "path":
        if any(next(base.glob(name), None) for base in (ROOT, ROOT / "backends")):
            return None
        return f"no file or folder {name}"
    return _module_problem(name, moved_ok=kind == "module or moved")


@cache
def test_names() -> frozenset[str]:
    """Every test function, test class and test module stem of the repository."""
    names = set()
    for folder in (ROOT / "tests", ROOT / "backends", ROOT / "evogroup" / "testing"):
        for file in folder.rglob("*.py"):
            names.add(file.stem)
            for node in ast.walk(ast.parse(file.read_text())):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    names.add(node.name)
    return frozenset(n for n in names if n.startswith(("test_", "Test")))


def _module_file(dotted: str) -> Path | None:
    parts = dotted.split(".")
    base = ROOT if parts[0] == "evogroup" else ROOT / "backends"
    stem = base.joinpath(*parts)
    for candidate in (stem.with_suffix(".py"), stem / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_problem(name: str, moved_ok: bool) -> str | None:
    if name in _entry_point_groups():
        return None
    dotted, _, attrs = name.partition(":")
    parts = dotted.split(".")
    cut = next((i for i in range(len(parts), 0, -1) if _module_file(".".join(parts[:i]))), 0)
    module = ".".join(parts[:cut])
    if cut == 0:
        return f"no module {parts[0]}"
    chain = [*parts[cut:], *(attrs.split(".") if attrs else [])]
    if not chain or (len(chain) == 1 and chain[0] in _top_level_names(_module_file(module))):
        return None  # read from the source: no import (of torch) needed
    obj = importlib.import_module(module)
    for i, attr in enumerate(chain):
        if i == len(chain) - 1 and isinstance(obj, ModuleType) and attr in dir(obj):
            return None  # a lazy export is listed by the module's __dir__ without loading it
        if not hasattr(obj, attr):
            new = _moved_to(f"{module}.{attr}") if i == 0 else None
            if new and moved_ok:  # a paragraph about the deprecated paths may name them
                if i == len(chain) - 1:
                    return None
                obj = importlib.import_module(new)
                continue
            if new:
                return f"{module}.{attr} is a deprecated module path: cite {new}"
            if i == 0 and cut < len(parts) and _module_file(module).name == "__init__.py":
                folder = module.replace(".", "/")
                return f"{module} has no submodule or attribute {attr} (no file {folder}/{attr}.py)"
            return f"{'.'.join([module, *chain[:i]])} has no attribute {attr}"
        obj = getattr(obj, attr)
    return None


@cache
def _entry_point_groups() -> frozenset[str]:
    text = (ROOT / "pyproject.toml").read_text()
    return frozenset(re.findall(r'^\[project\.entry-points\."([\w.]+)"\]', text, re.M))


def _moved_to(dotted: str) -> str | None:
    """The new path of a module path that moved and imports with a DeprecationWarning
    (:func:`evogroup.core.lazy.moved_modules`, registered when its package is imported)."""
    for finder in sys.meta_path:
        moved = getattr(finder, "moved", None)
        if isinstance(moved, dict) and dotted in moved:
            return moved[dotted]
    return None


@cache
def _top_level_names(file: Path) -> frozenset[str]:
    """The names a module's source defines, assigns or imports at its top level."""
    names = set()
    for node in ast.parse(file.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update(a.asname or a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(names)
