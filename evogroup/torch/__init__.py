"""evogroup's torch layer: what every weight-sharing backend needs, written once.

Between the torch-free search core (``evogroup``) and the network backends
(``backends/<name>``), one sub-package per concept, each importing only those below it
(import-linter checks the order):

- :mod:`~evogroup.torch.backend`: the shared lifecycle
  (:class:`~evogroup.torch.backend.weight_sharing.WeightSharingBackend`) and FLOP tables;
- :mod:`~evogroup.torch.train`: the resumable trainer, epochs, steps;
- :mod:`~evogroup.torch.fitness`: accuracy, the BN-recalibrated supernet fitness, supernet files;
- :mod:`~evogroup.torch.data`: data sources, splits, device JPEG decoding, loaders;
- :mod:`~evogroup.torch.device`: the runtime resolved once per command, speed settings, DDP;
- :mod:`~evogroup.torch.nn`: binary layers, weight-shared convs, choice BN, the protocol,
  weight checkpoints;
- :mod:`~evogroup.torch.options`: option choices, training options and recipes (torch-free).

``import evogroup`` never imports this package; importing this package imports torch
only when one of its names is used.
"""

from __future__ import annotations

from evogroup.core.lazy import lazy_exports, moved_modules

# Module paths of 0.1 (one flat package), kept importable with a DeprecationWarning until 0.3.
moved_modules(
    {
        "evogroup.torch.choices": "evogroup.torch.options.choices",
        "evogroup.torch.training_options": "evogroup.torch.backend.training_options",
        "evogroup.torch.recipe": "evogroup.torch.options.recipe",
        "evogroup.torch.binary": "evogroup.torch.nn.binary",
        "evogroup.torch.masked": "evogroup.torch.nn.masked",
        "evogroup.torch.shared": "evogroup.torch.nn.shared",
        "evogroup.torch.choice_bn": "evogroup.torch.nn.choice_bn",
        "evogroup.torch.protocol": "evogroup.torch.nn.protocol",
        "evogroup.torch.weights": "evogroup.torch.nn.weights",
        "evogroup.torch.accel": "evogroup.torch.device.accel",
        "evogroup.torch.runtime": "evogroup.torch.device.runtime",
        "evogroup.torch.distributed": "evogroup.torch.device.distributed",
        "evogroup.torch.folders": "evogroup.torch.data.folders",
        "evogroup.torch.splits": "evogroup.torch.data.splits",
        "evogroup.torch.jpeg": "evogroup.torch.data.jpeg",
        "evogroup.torch.loaders": "evogroup.torch.data.loaders",
        "evogroup.torch.accuracy": "evogroup.torch.fitness.accuracy",
        "evogroup.torch.supernet_file": "evogroup.torch.fitness.supernet_file",
        "evogroup.torch.trainer": "evogroup.torch.train.trainer",
        "evogroup.torch.epoch": "evogroup.torch.train.epoch",
        "evogroup.torch.steps": "evogroup.torch.train.steps",
        "evogroup.torch.weight_sharing": "evogroup.torch.backend.weight_sharing",
        "evogroup.torch.flops": "evogroup.torch.backend.flops",
    },
    until="0.3",
)

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "BinaryConv2d": "evogroup.torch.nn.binary",
        "binarize_activation": "evogroup.torch.nn.binary",
        "binarize_weight": "evogroup.torch.nn.binary",
        "SharedConv2d": "evogroup.torch.nn.shared",
        "block_diagonal": "evogroup.torch.nn.shared",
        "WeightSharingNet": "evogroup.torch.nn.protocol",
        "StaticNet": "evogroup.torch.nn.protocol",
        "DataSplits": "evogroup.torch.data.sources",
        "load_data": "evogroup.torch.data.sources",
        "Recipe": "evogroup.torch.options.recipe",
        "TrainConfig": "evogroup.torch.options.recipe",
        "default_recipe": "evogroup.torch.options.recipe",
        "Runtime": "evogroup.torch.device.runtime",
        "accuracy": "evogroup.torch.fitness.accuracy",
        "seeded": "evogroup.torch.train.trainer",
        "train_network": "evogroup.torch.train.trainer",
        "train_supernet": "evogroup.torch.train.trainer",
        "SupernetFitness": "evogroup.torch.fitness.supernet_fitness",
        "recalibrate_bn": "evogroup.torch.fitness.supernet_fitness",
        "count_flops": "evogroup.torch.backend.flops",
        "TrainingOptions": "evogroup.torch.backend.training_options",
        "WeightSharingBackend": "evogroup.torch.backend.weight_sharing",
    },
    globals(),
)
