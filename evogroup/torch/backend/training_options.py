"""The options every weight-sharing backend takes (torch-free: loading a backend to list
its options imports no torch). A backend's options dataclass derives from
:class:`TrainingOptions` and adds its architecture's."""

from __future__ import annotations

from dataclasses import dataclass

from evogroup.backend.options import BackendOptions
from evogroup.core.options import FINAL, FITNESS, SUPERNET, TRAINING, option
from evogroup.torch.data.decode import DECODE_CHOICES
from evogroup.torch.options.choices import KERNEL_CHOICES, METRICS, SAMPLING

__all__ = ["SUPERNET_TRAINING", "TrainingOptions", "WidthOptions"]

#: The widest network any backend builds: 8x the channels is 64x the FLOPs and weights
#: (width 1e4 asked for 204 GB).
MAX_WIDTH_MULT = 8.0
#: Options only training a supernet uses: without effect beside --supernet PATH.
SUPERNET_TRAINING = (
    "epochs",
    "lr",
    "sampling",
    "distill",
    "train_budget",
    "fair",
    "sandwich_genomes",
    "bn_per_choice",
    "weight_decay",
)


@dataclass(frozen=True)
class TrainingOptions(BackendOptions):
    """Options every weight-sharing backend takes; a backend adds its architecture's."""

    resolution: int = option(224, "input size at which FLOP budgets are counted", low=32)
    num_classes: int | None = option(
        None, "classes of the FLOP table's classifier [default: 1000, ImageNet]", low=1
    )
    data: str | None = option(
        None,
        "ImageFolder tree or CIFAR-10 batches folder [default: embedded digits]",
        steps=TRAINING,
    )
    split_seed: int = option(0, "seed of the fixed train/search-val/test split", steps=TRAINING)
    supernet: str | None = option(
        None, "a trained supernet.pt to search with (else one is trained)", steps=FITNESS
    )
    epochs: int | None = option(
        None, "supernet training epochs [default: the data's recipe]", low=1, steps=SUPERNET
    )
    lr: float | None = option(
        None,
        "supernet Adam learning rate, decayed linearly [default: recipe]",
        low=0,
        low_open=True,
        steps=SUPERNET,
    )
    final_epochs: int | None = option(
        None, "epochs of training from scratch [default: recipe]", low=1, steps=FINAL
    )
    final_lr: float | None = option(
        None,
        "learning rate of training from scratch [default: recipe]",
        low=0,
        low_open=True,
        steps=FINAL,
    )
    batch_size: int | None = option(
        None, "images per step [default: recipe]", low=1, steps=TRAINING
    )
    recal_images: int | None = option(
        None,
        "training images for BatchNorm recalibration per genome [default: recipe]",
        low=1,
        steps=FITNESS,
    )
    device: str | None = option(None, "torch device [default: cuda when available]", steps=TRAINING)
    sync_bn: bool = option(
        False,
        "under torchrun on GPUs: BatchNorm statistics over the global batch (SyncBatchNorm)",
        steps=TRAINING,
    )
    sampling: str | None = option(
        None,
        "supernet genomes per step: uniform (one random genome, the paper) or sandwich"
        " (largest + smallest + random, gradients summed; BigNAS) [default: recipe]",
        choices=SAMPLING,
        steps=SUPERNET,
    )
    distill: bool | None = option(
        None,
        "with sandwich sampling: the smaller genomes learn the largest one's predictions"
        " (in-place distillation) [default: recipe]",
        steps=SUPERNET,
    )
    train_budget: float | None = option(
        None,
        "supernet training draws its random genomes under this cost budget (SPOS's"
        " constrained sampling) [default: the whole space]",
        low=0,
        low_open=True,
        steps=SUPERNET,
    )
    fair: bool = option(
        False,
        "strictly fair sampling of the supernet's random genomes: every choice of every"
        " gene used equally often within a cycle (FairNAS); not with --train-budget",
        steps=SUPERNET,
    )
    sandwich_genomes: int | None = option(
        None,
        "with sandwich sampling: genomes per step, the largest, the smallest and N-2"
        " random ones [default: 3]",
        low=3,
        steps=SUPERNET,
    )
    bn_per_choice: bool = option(
        False,
        "separate BatchNorm statistics and affine per choice of the preceding searchable"
        " conv's group count (keep --compile off: each new choice recompiles)",
        steps=SUPERNET,
    )
    weight_decay: float = option(
        0.0,
        "supernet decoupled weight decay (AdamW; 0: plain Adam, the paper)",
        low=0,
        steps=SUPERNET,
    )
    fitness_metric: str = option(
        "accuracy",
        "supernet fitness: accuracy (top-1 % on search-val, the paper) or loss"
        " (negative cross-entropy on search-val: separates genomes whose accuracies tie)",
        choices=METRICS,
        steps=FITNESS,
    )
    kernel: str = option(
        "auto",
        "weight-sharing conv kernel: grouped (sliced group convs), masked (dense convs"
        " over a block-diagonal masked weight: fixed shapes), auto (masked on CUDA, grouped"
        " on CPU)",
        choices=KERNEL_CHOICES,
        steps=SUPERNET,
    )
    decode: str = option(
        "auto",
        "where JPEGs are decoded (training, test, BatchNorm recalibration, search-val):"
        " cpu (PIL in loader workers), gpu (nvjpeg, batched, on the device, overlapped with"
        " the step), auto (gpu on CUDA for ImageFolder data at the ImageNet recipe, else"
        " cpu)",
        choices=DECODE_CHOICES,
        steps=TRAINING,
    )
    compile: bool | None = option(
        None,
        "torch.compile training and evaluation [default: on for fixed-shape nets on"
        " CUDA, off on CPU]",
        steps=TRAINING,
    )


@dataclass(frozen=True)
class WidthOptions(TrainingOptions):
    """:class:`TrainingOptions` plus a channel width multiplier, the knob most networks take."""

    width_mult: float = option(
        1.0,
        "channel width multiplier (channels stay multiples of 8)",
        low=0,
        low_open=True,
        high=MAX_WIDTH_MULT,
    )
