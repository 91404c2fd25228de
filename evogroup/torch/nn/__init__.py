"""Network pieces: binary layers, the weight-shared conv (grouped and masked kernels),
BatchNorm per group choice, and the protocol every weight-sharing network satisfies, and the checkpoints of their weights.

Imports :mod:`evogroup.torch.options` and the core only.
"""
