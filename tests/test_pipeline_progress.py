"""The search progress bar counts every evaluation it shows, re-scores of the final top-K
included, and never runs past its total."""

from __future__ import annotations

from dataclasses import replace

from evogroup.backend.base import Run
from evogroup.backend.synthetic import SyntheticBackend
from evogroup.core.settings import SearchSettings
from evogroup.runs import search_run as pipeline


class RecordingBar:
    bars: list = []

    def __init__(self, total, **kwargs):
        self.total, self.n = total, 0
        RecordingBar.bars.append(self)

    def update(self, n):
        self.n += n

    def set_postfix(self, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_the_bar_reaches_its_total_with_rescores_and_never_passes_it(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "tqdm", RecordingBar)
    backend = SyntheticBackend()
    problem = backend.problem(0.8e8, None, backend.options())
    problem = replace(problem, rescore=problem.fitness)
    settings = SearchSettings(population=10, iterations=2, crossovers=5, mutations=5, rescore_top=4)
    run = Run(tmp_path, echo=lambda line: None, progress=True)
    result = pipeline.search_into(problem, settings, run)
    (bar,) = RecordingBar.bars
    assert bar.n == len(result.history) + len(result.rescored) == bar.total == 10 + 2 * 10 + 4
