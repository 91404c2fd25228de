"""Rank statistics of any proxy's scores, read from a file: ``evogroup rank-check --scores``.

A user who already has a proxy (a supernet of their own, a zero-cost score, a predictor)
and ground truth for some genomes judges it with the statistics of
:mod:`evogroup.runs.rank_stats`, beside ranking by cost alone. The file is a CSV with a header
and the columns ``genome`` (group counts separated by spaces), ``proxy`` (higher ranks
higher), ``truth`` (e.g. accuracy after training from scratch) and ``cost``; other
columns are ignored.

Example of a file::

    genome,proxy,truth,cost
    1 2 4,71.5,90.2,3.1e7
    2 2 4,70.1,89.7,2.9e7
"""

from __future__ import annotations

import codecs
import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evogroup.core.errors import DataError
from evogroup.runs.rank_stats import COST_BINS, RESAMPLES, Correlation, rank_statistics_of

COLUMNS = ("genome", "proxy", "truth", "cost")


@dataclass(frozen=True)
class Scores:
    """The rows of a scores file, in file order."""

    genomes: list[tuple[int, ...]]
    proxy: np.ndarray
    truth: np.ndarray
    cost: np.ndarray
    note: str | None = None  # how the file's encoding was guessed, when it was


def read_scores(path: str | Path) -> Scores:
    """Read and check a scores CSV (see the module docstring).

    The encoding is detected (:func:`decode`), and the delimiter from the header line:
    commas, tabs (a spreadsheet's "Unicode text" export) or semicolons.

    Raises:
        DataError: a column is missing, a value is not a finite number (a genome not
            positive integers), or fewer than 2 rows; one line naming the file, the line
            and the value.
    """
    path = Path(path)
    text, note = decode(path)
    first = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count)  # a spreadsheet's export: commas, tabs (its
    with io.StringIO(text, newline="") as fh:  # "Unicode text") or semicolons
        reader = csv.DictReader(fh, delimiter=delimiter)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise DataError(
                f"{path}: the columns {', '.join(COLUMNS)} must be in the header line, but"
                f" {', '.join(missing)} missing (header: {header or 'none'})"
            )
        reader.fieldnames = header
        rows = [(reader.line_num, row) for row in reader]
    if len(rows) < 2:
        raise DataError(f"{path}: at least 2 rows of scores must be given, but got {len(rows)}")
    genomes = [_genome(path, line, row["genome"]) for line, row in rows]
    numbers = {
        c: np.array([_number(path, line, c, row[c]) for line, row in rows]) for c in COLUMNS[1:]
    }
    return Scores(genomes, numbers["proxy"], numbers["truth"], numbers["cost"], note)


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(path: Path) -> tuple[str, str | None]:
    """The text of a scores file and, when its encoding was guessed, a line saying so.

    A byte-order mark decides (UTF-8, UTF-16, UTF-32: a spreadsheet's "Unicode text" export);
    without one, UTF-16 is recognised by its zero bytes in ASCII text, then UTF-8 is tried,
    then Latin-1 (which decodes any bytes) with a warning.
    """
    data = path.read_bytes()
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict(path, data, encoding), None
    head = data[:4000]
    if head and head[1::2].count(0) > len(head) // 4:
        return _strict(path, data, "utf-16-le"), None
    if head and head[0::2].count(0) > len(head) // 4:
        return _strict(path, data, "utf-16-be"), None
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as e:
        return data.decode("latin-1"), (
            f"warning: {path} is not UTF-8 (byte {data[e.start]:#04x} at offset {e.start});"
            " read as Latin-1 (ISO-8859-1)"
        )


def _strict(path: Path, data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        raise DataError(
            f"{path}: not valid {encoding.upper()} at byte {e.start} ({e.reason})"
        ) from None


def _genome(path: Path, line: int, text: str | None) -> tuple[int, ...]:
    try:
        genome = tuple(int(v) for v in (text or "").split())
    except ValueError:
        genome = ()
    if not genome or min(genome) < 1:
        raise DataError(
            f"{path}, line {line}: genome must be group counts (integers >= 1) separated by"
            f" spaces, e.g. '2 4 1', but got {text!r}"
        )
    return genome


def _number(path: Path, line: int, column: str, text: str | None) -> float:
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        raise DataError(f"{path}, line {line}: {column} must be a finite number, but got {text!r}")
    return value


def judge_scores(
    scores: Scores, *, resamples: int = RESAMPLES, seed: int = 0, bins: int = COST_BINS
) -> dict[str, dict[str, Correlation]]:
    """Every statistic of the proxy and of ranking by cost alone (dearer ranks higher),
    with their bootstrap 95 % intervals: ``{"proxy": ..., "cost alone": ...}``."""
    rankings = {"proxy": scores.proxy, "cost alone": scores.cost}
    return rank_statistics_of(
        rankings, scores.truth, scores.cost, resamples=resamples, seed=seed, bins=bins
    )


def report_json(judged: dict[str, dict[str, Correlation]], rows: int) -> dict[str, Any]:
    """One JSON object: every statistic of the proxy at the top level (``kendall_tau``,
    ``kendall_tau_better_half``, ...; ``None`` where undefined), their 95 % intervals
    under ``intervals``, and cost alone's statistics under ``cost_alone``."""
    proxy = {name: v.to_json() for name, v in judged["proxy"].items()}
    return {
        "rows": rows,
        **{name: v["value"] for name, v in proxy.items()},
        "intervals": {name: [v["low"], v["high"]] for name, v in proxy.items()},
        "cost_alone": {name: v.to_json() for name, v in judged["cost alone"].items()},
    }
