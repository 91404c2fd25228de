"""Scoring networks: accuracy and the one evaluation loop, the supernet's BN-recalibrated
fitness, and what a trained supernet file tells a search (read without torch).

Imports :mod:`evogroup.torch.data` and the floors below it.
"""

from evogroup.core.lazy import lazy_exports

# The names of the module this package replaced (``evogroup.torch.fitness``), imported on use.
__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        name: "evogroup.torch.fitness.supernet_fitness"
        for name in ("SCORES", "SupernetFitness", "recalibrate_bn")
    },
    globals(),
)
