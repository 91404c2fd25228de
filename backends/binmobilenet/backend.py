"""The ``binmobilenet`` backend: binary MobileNetV1 (modules M1, M2, M3) for evogroup.

Options are declared torch-free; torch and fvcore are imported inside the methods that
need them, so listing backends stays cheap.

Example:
    >>> from binmobilenet.backend import BinMobileNetBackend
    >>> backend = BinMobileNetBackend()
    >>> len(backend.space(module="M2"))
    18
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evogroup import (
    Backend,
    CostTable,
    Genome,
    InfeasibleBudgetError,
    Option,
    Problem,
    Run,
    SearchSpace,
)

MODULES = ("M1", "M2", "M3")  # binmobilenet.supernet.MODULES, without importing torch
FLOP_CLASSES = 1000  # classes of the FLOP table when num_classes is not set (ImageNet)


_TRAINING = ("search", "train-supernet", "train", "reproduce")
_SUPERNET = ("search", "train-supernet", "reproduce")
_FINAL = ("train", "reproduce")


class BinMobileNetBackend(Backend):
    """Binary MobileNetV1 whose 3x3 (and, for M2, real 1x1) group counts are searched."""

    name = "binmobilenet"
    summary = "binary MobileNetV1 (paper modules M1/M2/M3), weight-sharing supernet, fvcore FLOPs"
    options = (
        Option("module", "M2", "network module of the paper (section 3.2.2)", str, MODULES),
        Option("width_mult", 1.0, "channel width multiplier (channels stay multiples of 8)", float),
        Option("resolution", 224, "input size at which FLOP budgets are counted", int),
        Option(
            "num_classes",
            None,
            "classes of the classifier; FLOP tables use 1000 (ImageNet) when not set",
            int,
        ),
        Option(
            "data",
            None,
            "ImageFolder tree or CIFAR-10 batches folder [default: embedded digits]",
            str,
            commands=_TRAINING,
        ),
        Option(
            "split_seed",
            0,
            "seed of the fixed train/search-val/test split",
            int,
            commands=_TRAINING,
        ),
        Option(
            "supernet",
            None,
            "a trained supernet.pt to search with (else one is trained)",
            str,
            commands=("search",),
        ),
        Option(
            "epochs",
            None,
            "supernet training epochs [default: the data's recipe]",
            int,
            commands=_SUPERNET,
        ),
        Option(
            "lr",
            None,
            "supernet Adam learning rate, decayed linearly [default: recipe]",
            float,
            commands=_SUPERNET,
        ),
        Option(
            "final_epochs",
            None,
            "epochs of training from scratch [default: recipe]",
            int,
            commands=_FINAL,
        ),
        Option(
            "final_lr",
            None,
            "learning rate of training from scratch [default: recipe]",
            float,
            commands=_FINAL,
        ),
        Option("batch_size", None, "images per step [default: recipe]", int, commands=_TRAINING),
        Option(
            "recal_images",
            None,
            "training images for BatchNorm recalibration per genome [default: recipe]",
            int,
            commands=("search", "reproduce"),
        ),
        Option(
            "device", None, "torch device [default: cuda when available]", str, commands=_TRAINING
        ),
    )

    def __init__(self) -> None:
        self._tables: dict[tuple, CostTable] = {}

    def _arch(self, **opts: Any) -> dict[str, Any]:
        """The options that define the FLOP table, validated, ``num_classes`` filled in."""
        o = self.defaults(**opts)
        if o["module"] not in MODULES:
            raise ValueError(f"module must be one of {', '.join(MODULES)}, but got {o['module']!r}")
        return {
            "module": o["module"],
            "resolution": int(o["resolution"]),
            "num_classes": FLOP_CLASSES if o["num_classes"] is None else int(o["num_classes"]),
            "width_mult": float(o["width_mult"]),
        }

    def space(self, **opts: Any) -> SearchSpace:
        from binmobilenet.supernet import search_space

        arch = self._arch(**opts)
        return search_space(arch["module"], arch["width_mult"])

    def cost(self, **opts: Any) -> CostTable:
        """The FLOP table at ``resolution`` (cached on disk and on this backend)."""
        from binmobilenet.flops import cost_table

        arch = self._arch(**opts)
        key = tuple(sorted(arch.items()))
        if key not in self._tables:
            self._tables[key] = cost_table(**arch)
        return self._tables[key]

    def cost_label(self, **opts: Any) -> str:
        a = self._arch(**opts)
        width = "" if a["width_mult"] == 1.0 else f", width {a['width_mult']:g}"
        return (
            f"FLOPs (binary MACs/64 + real MACs) at {a['resolution']}x{a['resolution']},"
            f" {a['num_classes']} classes{width}"
        )

    def check_budget(self, budget: float, **opts: Any) -> None:
        """Raise :class:`InfeasibleBudgetError` naming the module's minimum, its cheapest
        genome, and the modules whose minimum fits ``budget``."""
        arch = self._arch(**opts)
        table = self.cost(**opts)
        if table.min_cost <= budget:
            return
        fits = [m for m in MODULES if self.cost(**{**opts, "module": m}).min_cost <= budget]
        hint = f"modules that fit: {', '.join(fits)}" if fits else "no module fits this budget"
        raise InfeasibleBudgetError.below(
            budget, table.min_cost, table.min_genome(),
            what=f"module {arch['module']}'s minimum", hint=f"{self.cost_label(**opts)}; {hint}",
        )  # fmt: skip

    def cost_report(self, genome: Genome, **opts: Any) -> dict[str, Any]:
        """The base report plus ``flops``, ``binary_macs``, ``real_macs`` (a whole-model
        fvcore count of the static net) and each searched layer's binary/real MACs."""
        from binmobilenet.flops import count_flops
        from binmobilenet.supernet import BinMobileNet

        report = super().cost_report(genome, **opts)
        arch = self._arch(**opts)
        net = BinMobileNet(
            report["genome"], arch["module"], arch["num_classes"], arch["width_mult"]
        )
        counted = count_flops(net, arch["resolution"])
        report.update(
            flops=counted.flops, binary_macs=counted.binary_macs, real_macs=counted.real_macs
        )
        for layer in report["layers"]:
            macs = counted.per_layer[f"features.{layer['name']}.conv"]
            layer["binary"] = macs.binary
            layer["binary_macs" if macs.binary else "real_macs"] = macs.macs
        return report

    def device(self, **opts: Any) -> str | None:
        from binmobilenet.training import resolve_device

        return str(resolve_device(self.defaults(**opts)["device"]))

    def fitness_label(self, **opts: Any) -> str:
        return "supernet top-1 % on search-val after BatchNorm recalibration"

    def problem(self, budget: float, run: Run, **opts: Any) -> Problem:
        """Fitness = top-1 of the supernet (``--supernet`` or one trained into ``run.dir``)."""
        from binmobilenet.steps import problem_step

        self.check_budget(budget, **opts)
        return problem_step(
            budget, run, self.defaults(**opts), self.space(**opts), self.cost(**opts)
        )

    def train_supernet(self, run: Run, resume: bool = False, **opts: Any) -> Path:
        from binmobilenet.steps import supernet_step

        return supernet_step(run, self.defaults(**opts), resume=resume)

    def train(self, genome: Genome, run: Run, **opts: Any) -> dict[str, Any]:
        from binmobilenet.steps import train_step

        genome = self.space(**opts).validate(genome)
        return train_step(genome, run, self.defaults(**opts), self.cost(**opts)(genome))
