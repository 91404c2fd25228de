"""``guided``, the default strategy, and the helpers it alone uses: the ridge surrogate,
the pairwise interaction model, denoising of the recommendation, neighbours of the best,
and planning on an additive fit (:mod:`evogroup.strategies.guided.strategy`).
"""

from evogroup.strategies.guided.strategy import Guided

__all__ = ["Guided"]
