"""The ``torchvision`` and ``module`` backends: search the group counts of any torch CNN.

``torchvision`` takes a torchvision model name (``--arch regnet_x_400mf``, built with
``weights=None``) and ``module`` an import path (``--factory mypkg.nets:build``); both
find the model's searchable convs by module surgery (:mod:`anynet.surgery`), so no
network code is written. Everything else — data, supernet training, fitness, fvcore FLOP
tables, training from scratch — is :class:`~evogroup.torch.backend.weight_sharing.WeightSharingBackend`'s.
``native`` names the model's own group counts wherever a genome is given
(``evogroup flops --groups native``). Loading this module does not import torch.

Example:
    >>> from anynet.backend import TorchvisionBackend
    >>> backend = TorchvisionBackend()
    >>> opts = backend.options(arch="resnext50_32x4d")
    >>> len(backend.space(opts)), backend.named_genomes(opts)["native"][:2]
    (16, (32, 32))
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any

from evogroup.backend.options import BackendOptions
from evogroup.core.errors import OptionError
from evogroup.core.options import option
from evogroup.core.space import Genome, SearchSpace
from evogroup.torch.backend.training_options import MAX_WIDTH_MULT
from evogroup.torch.backend.weight_sharing import (
    FLOP_CLASSES,
    TrainingOptions,
    WeightSharingBackend,
)

GROUPED = "grouped"  # anynet.surgery.GROUPED, without importing torch


@dataclass(frozen=True)
class SurgeryOptions(TrainingOptions):
    """What both backends take besides the model: which convs to search and how."""

    model_kwargs: str | None = option(
        None,
        "more keyword arguments of the model's factory, as a JSON object, e.g."
        " '{\"dropout\": 0.1}'",
    )
    convs: str = option(
        GROUPED,
        "the convs to search: grouped (every grouped or depthwise conv) or"
        " comma-separated glob patterns of module names, e.g. 'layer*.conv2'",
    )
    max_groups: int | None = option(None, "clip every gene's choices to at most this", low=1)
    binarize: bool = option(
        False,
        "binary convs everywhere but the stem and the classifier (sign with Bi-Real's"
        " gradient, XNOR alpha; binary MACs count 1/64)",
    )


@dataclass(frozen=True)
class TorchvisionOptions(SurgeryOptions):
    arch: str = option("mobilenet_v2", "torchvision classification model, built with weights=None")
    width_mult: float | None = option(
        None,
        "the factory's width_mult (MobileNetV2, MNASNet) [default: the factory's]",
        low=0,
        low_open=True,
        high=MAX_WIDTH_MULT,
    )


@dataclass(frozen=True)
class ModuleOptions(SurgeryOptions):
    factory: str | None = option(
        None,
        "import path package.module:function of a function(num_classes=..., **kwargs)"
        " returning the nn.Module (required)",
    )


class SurgeryBackend(WeightSharingBackend):
    """A backend whose networks come from a model factory by module surgery."""

    supernet_class = "anynet.networks:build_supernet"
    network_class = "anynet.networks:build_network"

    def __init__(self) -> None:
        super().__init__()
        self._genes: dict[tuple, Any] = {}

    @abc.abstractmethod
    def model_spec(self, opts: Any) -> str:
        """The model spec (:mod:`anynet.factory`) of ``opts``."""

    def model_kwargs(self, opts: Any) -> str | None:
        from anynet.factory import canonical_kwargs, parse_kwargs

        return canonical_kwargs(parse_kwargs(opts.model_kwargs))

    def arch(self, opts: Any) -> dict[str, Any]:
        return {
            "model": self.model_spec(opts),
            "model_kwargs": self.model_kwargs(opts),
            "convs": opts.convs,
            "max_groups": opts.max_groups,
            "binarize": opts.binarize,
        }

    def model_sources(self, opts: Any) -> tuple[Any, ...]:
        from anynet.factory import is_import_path, resolve

        spec = self.model_spec(opts)
        return (resolve(spec),) if is_import_path(spec) else ()

    def arch_label(self, opts: Any) -> str:
        kwargs = self.model_kwargs(opts)
        return (
            f", {self.model_spec(opts)}"
            + (f" {kwargs}" if kwargs else "")
            + (", binarized" if opts.binarize else "")
        )

    def genes(self, opts: BackendOptions | None = None):
        """The :class:`~anynet.surgery.Genes` of the model (built once per architecture,
        the global RNG left as it was)."""
        import torch

        from anynet.factory import build_model
        from anynet.probe import check_runs_at
        from anynet.surgery import find_genes

        o = self._opts(opts)
        arch = self.arch(o)
        classes = FLOP_CLASSES if o.num_classes is None else o.num_classes
        key = (tuple(sorted(arch.items())), classes, o.resolution)
        if key not in self._genes:
            with torch.random.fork_rng():
                model = build_model(arch["model"], arch["model_kwargs"], classes)
            check_runs_at(model, o.resolution, arch["model"])
            self._genes[key] = find_genes(model, o.convs, o.max_groups, label=arch["model"])
        return self._genes[key]

    def check_input_size(self, opts: Any, size: int) -> None:
        """Refuse data of ``size`` x ``size`` images that the model cannot take."""
        import torch

        from anynet.factory import build_model
        from anynet.probe import check_runs_at

        arch = self.arch(self._opts(opts))
        with torch.random.fork_rng():
            model = build_model(arch["model"], arch["model_kwargs"], FLOP_CLASSES)
        check_runs_at(model, size, arch["model"], what="the data's image size")

    def space(self, opts: BackendOptions | None = None) -> SearchSpace:
        return self.genes(opts).space

    def named_genomes(self, opts: BackendOptions | None = None) -> dict[str, Genome]:
        """``native``: the model's own group counts."""
        return {"native": self.genes(opts).native}


class TorchvisionBackend(SurgeryBackend):
    """Any torchvision classification model; its grouped/depthwise convs searched by default."""

    name = "torchvision"
    summary = (
        "any torchvision CNN by module surgery (--arch NAME), real or --binarize, fvcore FLOPs"
    )
    Options = TorchvisionOptions

    def model_spec(self, opts: TorchvisionOptions) -> str:
        if ":" in opts.arch:
            raise OptionError(
                f"arch must be a torchvision model name, but got arch={opts.arch!r}; for an"
                " import path use --backend module --factory"
            )
        return opts.arch

    def model_kwargs(self, opts: TorchvisionOptions) -> str | None:
        from anynet.factory import canonical_kwargs, parse_kwargs

        kwargs = parse_kwargs(opts.model_kwargs)
        if opts.width_mult is not None:
            if kwargs.get("width_mult", opts.width_mult) != opts.width_mult:
                raise OptionError(
                    f"width_mult must be given once, but got width_mult={opts.width_mult!r}"
                    f" and model_kwargs width_mult={kwargs['width_mult']!r}"
                )
            kwargs["width_mult"] = opts.width_mult
        return canonical_kwargs(kwargs)


class ModuleBackend(SurgeryBackend):
    """Any model returned by a function named by its import path."""

    name = "module"
    summary = "any nn.Module factory by module surgery (--factory pkg.mod:fn), fvcore FLOPs"
    Options = ModuleOptions

    def model_spec(self, opts: ModuleOptions) -> str:
        if opts.factory is None or ":" not in opts.factory:
            raise OptionError(
                f"factory must be an import path package.module:function, but got"
                f" factory={opts.factory!r}"
            )
        return opts.factory
