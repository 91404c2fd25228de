"""A model is run once at the input size it will see before anything is counted, trained or
written: one that cannot run there is refused in one line naming the size and the layer."""

from __future__ import annotations

from typing import Any

from evogroup.core.errors import OptionError


def check_runs_at(model: Any, size: int, label: str, what: str = "resolution") -> None:
    """Run ``model`` on one ``size`` x ``size`` RGB image (eval mode, no gradients; its
    training mode and the global RNG are left as they were).

    Raises:
        OptionError: the forward pass fails; the message names ``what``, the size, the
            innermost module running when it failed and the error's first line.
    """
    import torch

    running: list[str] = []

    def enter(name: str):
        return lambda module, args: running.append(name)  # None: the input is kept

    def leave(module: Any, args: Any, output: Any) -> None:
        running.pop()

    hooks = []
    for name, module in model.named_modules():
        hooks.append(module.register_forward_pre_hook(enter(name)))
        hooks.append(module.register_forward_hook(leave))
    training = model.training
    try:
        with torch.no_grad(), torch.random.fork_rng():
            model.eval()(torch.zeros(1, 3, size, size))
    except Exception as exc:  # noqa: BLE001 - any failure there is the size's
        layer = running[-1] if running else ""
        kind = type(model.get_submodule(layer)).__name__ if running else type(model).__name__
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise OptionError(
            f"{what} {size} is too small or too large for {label}: it fails at layer"
            f" {layer or '(the model itself)'!r} ({kind}) with {size}x{size} inputs:"
            f" {first}; choose another --resolution or another model"
        ) from None
    finally:
        model.train(training)
        for hook in hooks:
            hook.remove()
