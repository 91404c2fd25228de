"""evogroup's torch layer: what every weight-sharing backend needs, written once.

Between the torch-free search core (``evogroup``) and the network backends
(``backends/<name>``): binary layers (:mod:`~evogroup.torch.binary`), weight-shared convs
(:mod:`~evogroup.torch.shared`), the :class:`~evogroup.torch.protocol.WeightSharingNet`
protocol, data splits (:mod:`~evogroup.torch.data`) and loaders
(:mod:`~evogroup.torch.loaders`), the runtime resolved once per command
(:mod:`~evogroup.torch.runtime`), recipes (:mod:`~evogroup.torch.recipe`), the resumable
trainer (:mod:`~evogroup.torch.trainer`), weight checkpoints
(:mod:`~evogroup.torch.weights`), the BN-recalibrated supernet fitness
(:mod:`~evogroup.torch.fitness`), fvcore FLOP tables (:mod:`~evogroup.torch.flops`) and
the shared lifecycle (:class:`~evogroup.torch.weight_sharing.WeightSharingBackend`).

``import evogroup`` never imports this package; importing this package imports torch
only when one of its names is used.
"""

from __future__ import annotations

from evogroup.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "BinaryConv2d": "evogroup.torch.binary",
        "binarize_activation": "evogroup.torch.binary",
        "binarize_weight": "evogroup.torch.binary",
        "SharedConv2d": "evogroup.torch.shared",
        "block_diagonal": "evogroup.torch.shared",
        "WeightSharingNet": "evogroup.torch.protocol",
        "StaticNet": "evogroup.torch.protocol",
        "DataSplits": "evogroup.torch.data",
        "load_data": "evogroup.torch.data",
        "Recipe": "evogroup.torch.recipe",
        "TrainConfig": "evogroup.torch.recipe",
        "default_recipe": "evogroup.torch.recipe",
        "Runtime": "evogroup.torch.runtime",
        "accuracy": "evogroup.torch.accuracy",
        "seeded": "evogroup.torch.trainer",
        "train_network": "evogroup.torch.trainer",
        "train_supernet": "evogroup.torch.trainer",
        "SupernetFitness": "evogroup.torch.fitness",
        "recalibrate_bn": "evogroup.torch.fitness",
        "count_flops": "evogroup.torch.flops",
        "TrainingOptions": "evogroup.torch.training_options",
        "WeightSharingBackend": "evogroup.torch.weight_sharing",
    },
    globals(),
)
