"""The built-in search strategies, one module each with its own helpers, registered through
the entry-point group ``evogroup.strategies`` exactly as a third party's would be
(:func:`evogroup.list_strategies`, ``search(problem, strategy=NAME)``).

- ``guided`` (default): predictor-guided evolution within the budget range
  (:mod:`evogroup.strategies.guided`).
- ``paper``: Algorithm 1 as published, option ``constraint`` = ``reject`` or ``repair``
  (:mod:`evogroup.strategies.paper`).
- ``nsga2``: the accuracy-cost front in one run (:mod:`evogroup.strategies.nsga2`).
"""
