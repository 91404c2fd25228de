"""The built-in search strategies, one module each with its own helpers, registered through
the entry-point group ``evogroup.strategies`` exactly as a third party's would be
(:func:`evogroup.list_strategies`, ``search(problem, strategy=NAME)``).

- ``guided`` (default): predictor-guided evolution within the budget range
  (:mod:`evogroup.strategies.guided.strategy`).
- ``paper``: Algorithm 1 as published, option ``constraint`` = ``reject`` or ``repair``
  (:mod:`evogroup.strategies.paper`).
- ``nsga2``: the accuracy-cost front in one run (:mod:`evogroup.strategies.nsga2`).
"""

from evogroup.core.lazy import moved_modules

# guided's helpers lived beside the strategies in 0.1; kept importable until 0.3.
moved_modules(
    {
        "evogroup.strategies.denoise": "evogroup.strategies.guided.denoise",
        "evogroup.strategies.interactions": "evogroup.strategies.guided.interactions",
        "evogroup.strategies.neighbours": "evogroup.strategies.guided.neighbours",
        "evogroup.strategies.planning": "evogroup.strategies.guided.planning",
        "evogroup.strategies.surrogate": "evogroup.strategies.guided.surrogate",
    },
    until="0.3",
)
