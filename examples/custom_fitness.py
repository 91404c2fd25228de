"""Search group counts for your own network with your own fitness: no deep-learning stack needed.

Run: python examples/custom_fitness.py
"""

from evogroup import CostTable, Layer, Problem, SearchSpace, random_search, search

# Your network's group convs: name, input and output channels, output side length.
convs = [
    ("stage1.dw", 48, 48, 56),
    ("stage2.dw", 96, 96, 28),
    ("stage2.pw", 96, 192, 28),
    ("stage3.dw", 192, 192, 14),
    ("stage4.dw", 384, 384, 7),
]
space = SearchSpace(
    tuple(Layer.from_channels(n, cin, cout, max_groups=64) for n, cin, cout, _ in convs)
)

# Exact additive cost: multiply-adds of a 3x3 (dw) or 1x1 (pw) group conv at each group count.
cost = CostTable(
    [
        {g: s * s * cin * cout // g * (9 if n.endswith("dw") else 1) for g in layer.choices}
        for (n, cin, cout, s), layer in zip(convs, space.layers)
    ],
    constant=2.0e6,  # stem and classifier, not searched
)


def fitness(genome):  # stands in for "validation accuracy of the network under this genome"
    return 80.0 - sum(w * g.bit_length() for w, g in zip((0.9, 0.5, 1.5, 0.3, 0.2), genome))


problem = Problem(space, fitness, cost, budget=0.4 * cost.max_cost)
result = search(problem, population=20, iterations=8, seed=0)
baseline = random_search(problem, evaluations=result.evaluations, seed=0)
print("best genome:", dict(zip(space.names, result.best.genome)))
print(f"fitness {result.best.fitness:.2f} (random search: {baseline.best.fitness:.2f})")
print(
    f"cost {result.best.cost:.3g} <= budget {problem.budget:.3g}; {result.evaluations} evaluations"
)
assert result.best.cost <= problem.budget and result.best.fitness >= baseline.best.fitness
