"""A strategy plug-in that breaks the loop's contract is stopped at the seam with one error
naming it and what it returned (issue 30, items 1-3; docs/strategies.md's promise): one
deliberately broken plug-in per kind of fault."""

from __future__ import annotations

import pytest

from evogroup.core.errors import PluginError
from evogroup.core.loop import search
from evogroup.core.operators import mutate, sample_feasible
from evogroup.core.strategy import Offspring, Strategy, draw_unique, initial_population
from evogroup.testing.strategy_contract import contract_problem

SMALL = {"population": 8, "top_k": 4, "crossovers": 3, "mutations": 3, "iterations": 3}


class Good(Strategy):
    """A correct hill climber; each broken plug-in below changes one method."""

    name = "good"
    summary = "a correct hill climber"

    def initial(self, rng):
        return initial_population(
            lambda: sample_feasible(self.problem, rng), self.settings.population
        )

    def breed(self, archive, taken, rng):
        out = Offspring([])
        parents = [tuple(ind) for ind in archive]

        def child():
            genome = mutate(rng.choice(parents), self.problem.space, rng, 0.5)
            return genome if self.problem.feasible(genome) else None

        out.genomes = draw_unique(child, self.children, taken, out)
        return out


def _dearest(problem):
    return problem.space.uniform(1)


def _cheapest(problem):
    return problem.space.uniform(2**62)


class InitialOverBudget(Good):
    name = "initial-over-budget"

    def initial(self, rng):
        out = super().initial(rng)
        out.genomes[0] = _dearest(self.problem)
        return out


class InitialRepeats(Good):
    name = "initial-repeats"

    def initial(self, rng):
        genome = super().initial(rng).genomes[0]
        return Offspring([genome] * 8)


class InitialOutsideTheSpace(Good):
    name = "initial-outside"

    def initial(self, rng):
        out = super().initial(rng)
        out.genomes[1] = (3, *out.genomes[1][1:])  # 3 groups: not a divisor of 32
        return out


class InitialRaises(Good):
    name = "initial-raises"

    def initial(self, rng):
        return {}["no such key"]


class BreedOutsideTheSpace(Good):
    name = "breed-outside"

    def breed(self, archive, taken, rng):
        return Offspring([(3,) * len(self.problem.space.layers)])


class BreedWrongLength(Good):
    name = "breed-wrong-length"

    def breed(self, archive, taken, rng):
        return Offspring([tuple(archive[0])[:-1]])


class BreedOverBudget(Good):
    name = "breed-over-budget"

    def breed(self, archive, taken, rng):
        return Offspring([_dearest(self.problem)])


class BreedUnderBudgetMin(Good):
    name = "breed-under-budget-min"

    def breed(self, archive, taken, rng):
        return Offspring([_cheapest(self.problem)])


class BreedRepeatsAnEvaluated(Good):
    name = "breed-evaluated"

    def breed(self, archive, taken, rng):
        return Offspring([tuple(archive[0])])


class BreedTwice(Good):
    name = "breed-twice"

    def breed(self, archive, taken, rng):
        out = super().breed(archive, taken, rng)
        return Offspring(out.genomes[:1] * 2)


class BreedRaises(Good):
    name = "breed-raises"

    def breed(self, archive, taken, rng):
        return 1 / 0


class BreedLists(Good):
    name = "breed-lists"

    def breed(self, archive, taken, rng):
        return Offspring([list(g) for g in super().breed(archive, taken, rng).genomes])


class BreedAList(Good):
    name = "breed-a-list"

    def breed(self, archive, taken, rng):
        return super().breed(archive, taken, rng).genomes


class BreedNone(Good):
    name = "breed-none"

    def breed(self, archive, taken, rng):
        return None


class ObserveRaises(Good):
    name = "observe-raises"

    def observe(self, new):
        raise RuntimeError("observer broke")


class RankRaises(Good):
    name = "rank-raises"

    def rank(self, history):
        raise TypeError("rank broke")


class InitialEmpty(Good):
    name = "initial-empty"

    def initial(self, rng):
        return Offspring([])


class RankGenomes(Good):
    name = "rank-genomes"

    def rank(self, history):
        return [e.genome for e in super().rank(history)]


class BreedTooMany(Good):
    name = "breed-too-many"

    def breed(self, archive, taken, rng):
        out = Offspring([])
        out.genomes = draw_unique(lambda: sample_feasible(self.problem, rng), 20, taken, out)
        return out


class InitRaises(Good):
    name = "init-raises"

    def __init__(self, problem, settings):
        raise ValueError("constructor broke")


@pytest.mark.parametrize(
    ("strategy", "needle"),
    [
        (InitialOverBudget, "initial() returned the genome (1, 1, 1, 1, 1, 1, 1, 1), of cost"),
        (InitialRepeats, "initial() returned the genome"),
        (InitialOutsideTheSpace, "initial() returned the genome (3, "),
        (
            BreedOutsideTheSpace,
            "breed() returned the genome (3, 3, 3, 3, 3, 3, 3, 3), which is not in the search space",
        ),
        (
            BreedWrongLength,
            "which is not in the search space (a genome needs one group count per layer (8), but got 7)",
        ),
        (BreedOverBudget, "outside the budget range"),
        (BreedUnderBudgetMin, "outside the budget range"),
        (BreedRepeatsAnEvaluated, "which was already evaluated"),
        (BreedTwice, "twice in one iteration"),
        (BreedLists, "a list; a genome is a tuple of group counts"),
        (BreedAList, "breed() must return an Offspring, but returned list ["),
        (BreedNone, "breed() must return an Offspring, but returned NoneType None"),
        (InitialEmpty, "initial() returned no genomes"),
        (BreedTooMany, "breed() returned 20 genomes, more than --crossovers + --mutations (6)"),
        (RankGenomes, "rank() must return a list of the successful evaluations"),
    ],
)
def test_a_broken_proposal_stops_the_search_naming_the_strategy(strategy, needle):
    with pytest.raises(PluginError) as caught:
        search(contract_problem(), strategy=strategy, **SMALL)
    message = str(caught.value)
    assert message.startswith(f"strategy {strategy.name!r} ({__name__}.{strategy.__qualname__})")
    assert needle in message and "\n" not in message
    assert caught.value.plugin.startswith(f"strategy {strategy.name!r}")


def test_a_repeated_initial_genome_is_refused_not_evaluated_twice():
    calls = []
    problem = contract_problem()
    problem = type(problem)(
        problem.space,
        lambda g: calls.append(g) or 0.0,
        problem.cost,
        problem.budget,
        problem.budget_min,
    )
    with pytest.raises(PluginError, match="twice in one iteration"):
        search(problem, strategy=InitialRepeats, **SMALL)
    assert calls == []  # refused before anything was evaluated


@pytest.mark.parametrize(
    ("strategy", "needle"),
    [
        (InitialRaises, "raised KeyError in initial(): 'no such key'"),
        (BreedRaises, "raised ZeroDivisionError in breed(): division by zero"),
        (ObserveRaises, "raised RuntimeError in observe(): observer broke"),
        (RankRaises, "raised TypeError in rank(): rank broke"),
        (InitRaises, "raised ValueError in __init__(): constructor broke"),
    ],
)
def test_an_exception_in_a_plugin_names_it_with_its_own_frames(strategy, needle):
    with pytest.raises(PluginError) as caught:
        search(contract_problem(), strategy=strategy, **SMALL)
    assert f"strategy {strategy.name!r}" in str(caught.value) and needle in str(caught.value)
    frames = caught.value.frames
    assert frames and all(__file__ in frame for frame in frames), frames  # no evogroup frames
    assert isinstance(caught.value.__cause__, Exception)  # the full traceback stays chained


def test_numpy_group_counts_are_refused_naming_the_type():
    import numpy as np

    class NumpyInts(Good):
        name = "numpy-ints"

        def breed(self, archive, taken, rng):
            return Offspring(
                [
                    tuple(np.int64(g) for g in genome)
                    for genome in super().breed(archive, taken, rng).genomes
                ]
            )

    with pytest.raises(PluginError, match="group counts are integers, got np.int64"):
        search(contract_problem(), strategy=NumpyInts, **SMALL)


def test_a_built_in_strategys_own_exception_is_not_blamed_on_a_plugin(monkeypatch):
    from evogroup.strategies.paper import Paper

    def broken(self, archive, taken, rng):
        raise ZeroDivisionError("a bug of ours")

    monkeypatch.setattr(Paper, "breed", broken)
    with pytest.raises(ZeroDivisionError):
        search(contract_problem(), strategy="paper", **SMALL)
