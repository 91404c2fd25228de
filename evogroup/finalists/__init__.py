"""Finalists trained from scratch choose the winner, not the proxy (torch-free).

:func:`finalists` chooses ``k`` genomes by a sequential design (:mod:`.choice`, on the
model of :mod:`.model`), trains them up a ladder of fidelities by successive halving
(:mod:`.ladder`), checkpointed per training (:mod:`.store`), and returns
:class:`Finalists` (:mod:`.records`).
"""

from evogroup.finalists.records import FinalistRow, Finalists, Trained
from evogroup.finalists.stage import finalists

__all__ = ["FinalistRow", "Finalists", "Trained", "finalists"]
