"""Where a model comes from: a torchvision model name or an import path ``package.module:function``.

A *model spec* is one string: a torchvision classification model name (``"regnet_x_400mf"``,
built by :func:`torchvision.models.get_model` with ``weights=None``: nothing is ever
downloaded) or an import path ``"package.module:function"`` of a function returning an
``nn.Module``. Either is called with ``num_classes`` and the factory's own keyword
arguments (``kwargs``, a JSON object such as ``{"width_mult": 0.25}``). Importing this
module does not import torch (the backends' labels use it).
"""

from __future__ import annotations

import difflib
import functools
import importlib
import json
from typing import Any

from evogroup.core.errors import OptionError
from evogroup.core.seam import plugin_error


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
    """The callable that builds ``spec``'s model, or an :class:`OptionError` naming the rule.

    A module that is found but fails to import (it raises, or has a syntax error) is a
    :class:`~evogroup.core.errors.PluginError` naming the factory, with the user's frames.
    """
    if is_import_path(spec):
        return _user_factory(spec)
    names = torchvision_names()
    if spec not in names:
        close = difflib.get_close_matches(spec, names, n=1) or difflib.get_close_matches(
            spec.replace("_", "").lower(), [n.replace("_", "") for n in names], n=1
        )
        hint = f"; did you mean {_named(close[0], names)!r}?" if close else ""
        raise OptionError(
            f"arch must be one of torchvision's {len(names)} classification models (e.g."
            f" {', '.join(names[:4])}, ...: torchvision.models.list_models()), but got"
            f" arch={spec!r}{hint}"
        )
    import torchvision.models

    return functools.partial(torchvision.models.get_model, spec, weights=None)


def _user_factory(spec: str) -> Any:
    """The function ``package.module:function`` names, imported (the user's own code)."""
    module_name, _, attr = spec.partition(":")
    if not all(part.isidentifier() for part in module_name.split(".")) or not attr.isidentifier():
        raise OptionError(
            f"factory must be an import path package.module:function, but got factory={spec!r}"
        )
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module_name.startswith(exc.name):
            raise plugin_error(f"factory {spec!r}", f"importing {module_name}", exc) from exc
        raise OptionError(
            f"factory must be an importable package.module:function, but got"
            f" factory={spec!r} ({type(exc).__name__}: {exc})"
        ) from None
    except Exception as exc:  # the user's module raised on import or does not compile
        raise plugin_error(f"factory {spec!r}", f"importing {module_name}", exc) from exc
    factory = getattr(module, attr, None)
    if factory is None:
        raise OptionError(
            f"factory must name a function of {module_name}, but it has no"
            f" {attr!r} (factory={spec!r})"
        )
    if not callable(factory):
        raise OptionError(f"factory must name a callable, but got factory={spec!r}")
    return factory


def _named(squashed: str, names: list[str]) -> str:
    """The name whose underscores removed give ``squashed`` (or ``squashed`` itself)."""
    return next((n for n in names if n.replace("_", "") == squashed), squashed)


def build_model(spec: str, kwargs: str | None, num_classes: int) -> Any:
    """A fresh model of ``spec`` with ``num_classes`` outputs and the factory's ``kwargs``
    (JSON text); a keyword the factory refuses is an :class:`OptionError`."""
    from torch import nn

    factory, extra = resolve(spec), parse_kwargs(kwargs)
    try:
        model = factory(num_classes=num_classes, **extra)
    except TypeError as exc:
        if "argument" not in str(exc):
            raise plugin_error(f"factory {spec!r}", "building the model", exc) from exc
        raise OptionError(
            f"the factory of {spec!r} must accept num_classes and the given keyword"
            f" arguments {sorted(extra)}, but it says: {exc}"
        ) from None
    except Exception as exc:  # the user's code raised
        raise plugin_error(f"factory {spec!r}", "building the model", exc) from exc
    if not isinstance(model, nn.Module):
        raise OptionError(
            f"the factory of {spec!r} must return an nn.Module, but got {type(model).__name__}"
        )
    return model
