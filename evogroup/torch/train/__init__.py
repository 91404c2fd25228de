"""Training: the resumable trainer (supernet and from-scratch), one epoch, one step's
forwards and backwards.

Imports :mod:`evogroup.torch.fitness` and the floors below it.
"""
