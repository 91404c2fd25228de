"""Where a model comes from: a torchvision model name or an import path ``package.module:function``.

A *model spec* is one string: a torchvision classification model name (``"regnet_x_400mf"``,
built by :func:`torchvision.models.get_model` with ``weights=None``: nothing is ever
downloaded) or an import path ``"package.module:function"`` of a function returning an
``nn.Module``. Either is called with ``num_classes`` and the factory's own keyword
arguments (``kwargs``, a JSON object such as ``{"width_mult": 0.25}``). Importing this
module does not import torch (the backends' labels use it).
"""

from __future__ import annotations

import functools
import importlib
import json
from typing import Any

from evogroup.core.errors import OptionError


def is_import_path(spec: str) -> bool:
    """True for ``package.module:function``, False for a torchvision model name."""
    return ":" in spec


def parse_kwargs(text: str | None) -> dict[str, Any]:
    """The factory's keyword arguments from a JSON object (``None``: none).

    Example:
        >>> parse_kwargs('{"width_mult": 0.5}')
        {'width_mult': 0.5}
    """
    if text is None:
        return {}
    try:
        kwargs = json.loads(text)
    except ValueError as exc:
        raise OptionError(f"model_kwargs must be a JSON object, but got {text!r} ({exc})") from None
    if not isinstance(kwargs, dict):
        raise OptionError(f"model_kwargs must be a JSON object, but got model_kwargs={text!r}")
    return kwargs


def canonical_kwargs(kwargs: dict[str, Any]) -> str | None:
    """``kwargs`` as one JSON text with sorted keys (hashable, comparable), None when empty."""
    return json.dumps(kwargs, sort_keys=True) if kwargs else None


def torchvision_names() -> list[str]:
    """torchvision's classification models (what ``--arch`` accepts)."""
    import torchvision.models

    return torchvision.models.list_models(module=torchvision.models)


def resolve(spec: str) -> Any:
    """The callable that builds ``spec``'s model, or an :class:`OptionError` naming the rule."""
    if is_import_path(spec):
        module_name, _, attr = spec.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise OptionError(
                f"factory must be an importable package.module:function, but got"
                f" factory={spec!r} ({type(exc).__name__}: {exc})"
            ) from None
        if not callable(factory):
            raise OptionError(f"factory must name a callable, but got factory={spec!r}")
        return factory
    names = torchvision_names()
    if spec not in names:
        raise OptionError(
            f"arch must be one of torchvision's classification models ({', '.join(names)}),"
            f" but got arch={spec!r}"
        )
    import torchvision.models

    return functools.partial(torchvision.models.get_model, spec, weights=None)


def build_model(spec: str, kwargs: str | None, num_classes: int) -> Any:
    """A fresh model of ``spec`` with ``num_classes`` outputs and the factory's ``kwargs``
    (JSON text); a keyword the factory refuses is an :class:`OptionError`."""
    from torch import nn

    factory, extra = resolve(spec), parse_kwargs(kwargs)
    try:
        model = factory(num_classes=num_classes, **extra)
    except TypeError as exc:
        if "argument" not in str(exc):
            raise
        raise OptionError(
            f"the factory of {spec!r} must accept num_classes and the given keyword"
            f" arguments {sorted(extra)}, but it says: {exc}"
        ) from None
    if not isinstance(model, nn.Module):
        raise OptionError(
            f"the factory of {spec!r} must return an nn.Module, but got {type(model).__name__}"
        )
    return model
