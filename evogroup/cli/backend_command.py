"""A click command whose options grow with the chosen backend's own options.

``evogroup search --backend binmobilenet --module M1 ...``: ``--module`` belongs to the
backend. The command peeks at ``--backend`` before parsing, loads that backend and adds
its :class:`~evogroup.backend.Option` declarations as click options for this invocation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from evogroup.backend import Backend, Option
from evogroup.errors import BackendError
from evogroup.plugins import get_backend

_TYPES = {
    str: click.STRING,
    int: click.INT,
    float: click.FLOAT,
    bool: click.BOOL,
    Path: click.Path(path_type=Path),
}


def backend_option() -> Any:
    return click.option(
        "--backend", required=True, metavar="NAME",
        help="Backend to use (see `evogroup backends`).",
    )  # fmt: skip


def _to_click(option: Option) -> click.Option:
    kind = (
        click.Choice(option.choices, case_sensitive=False)
        if option.choices
        else _TYPES[option.type]
    )
    shown = option.default is not None
    return click.Option(
        [option.flag],
        type=kind,
        default=option.default,
        show_default=shown,
        help=f"[backend] {option.help}",
    )


def _peek_backend(args: list[str]) -> str | None:
    for i, arg in enumerate(args):
        if arg == "--backend" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--backend="):
            return arg.split("=", 1)[1]
    return None


class BackendCommand(click.Command):
    """A command taking ``--backend NAME`` plus that backend's options."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        name = _peek_backend(args)
        if name is not None:
            try:
                ctx.meta["evogroup.backend"] = get_backend(name)
            except BackendError as exc:
                raise click.BadParameter(str(exc), ctx=ctx, param_hint="'--backend'") from None
        return super().parse_args(ctx, args)

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        backend = ctx.meta.get("evogroup.backend")
        options = backend.options if backend else ()
        extra = [_to_click(o) for o in options if not o.commands or ctx.info_name in o.commands]
        return super().get_params(ctx)[:-1] + extra + super().get_params(ctx)[-1:]


def split_backend_options(
    ctx: click.Context, kwargs: dict[str, Any]
) -> tuple[Backend, dict[str, Any]]:
    """The chosen backend and its options, removed from ``kwargs``."""
    kwargs.pop("backend", None)
    backend: Backend = ctx.meta["evogroup.backend"]
    opts = {o.name: kwargs.pop(o.name) for o in backend.options if o.name in kwargs}
    opts = {k: v for k, v in opts.items() if v is not None}
    return backend, opts
