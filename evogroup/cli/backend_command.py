"""A click command whose options grow with the chosen backend's own options.

``evogroup search --backend binmobilenet --module M1 ...``: ``--module`` belongs to the
backend. The command peeks at ``--backend`` before parsing, loads that backend and adds
the fields of its typed :attr:`~evogroup.backend.base.Backend.Options` as click options for
this invocation, with their type, choices and range (shown by ``--help`` and checked by
click before any work).
"""

from __future__ import annotations

from typing import Any

import click
from click.core import ParameterSource

from evogroup.backend.base import Backend
from evogroup.backend.options import BackendOptions
from evogroup.backend.registry import get_backend
from evogroup.cli.command_steps import shown_on
from evogroup.cli.start import discard_new_run
from evogroup.core.errors import BackendError, OptionError
from evogroup.core.options import Field

_TYPES = {str: click.STRING, int: click.INT, float: click.FLOAT, bool: click.BOOL}


def backend_option() -> Any:
    return click.option(
        "--backend",
        required=True,
        metavar="NAME",
        help="Backend to use (see `evogroup backends`).",
    )


def click_type(f: Field) -> click.ParamType:
    """The click type of an option: a choice, a range, or the plain scalar type."""
    s = f.spec
    if s.choices:
        return click.Choice([str(c) for c in s.choices], case_sensitive=False)
    if f.type in (int, float) and (s.low is not None or s.high is not None):
        cls = click.IntRange if f.type is int else click.FloatRange
        return cls(min=s.low, max=s.high, min_open=s.low_open)
    return _TYPES[f.type]


def _to_click(f: Field) -> click.Option:
    # A bool with a default is also a bare flag: `--binarize` means `--binarize true`.
    bare = (
        {"is_flag": False, "flag_value": True} if f.type is bool and f.default is not None else {}
    )
    return click.Option(
        [f.flag],
        type=click_type(f),
        default=f.default,
        show_default=f.default is not None,
        help=f"[backend] {f.spec.help}",
        **bare,
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
                ctx.meta["evogroup.backend.base"] = get_backend(name)
            except BackendError as exc:
                raise click.BadParameter(str(exc), ctx=ctx, param_hint="'--backend'") from None
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception:  # a refused command leaves no run directory behind (Ctrl-C keeps it)
            discard_new_run(ctx)
            raise

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        backend = ctx.meta.get("evogroup.backend.base")
        fields = backend.Options.fields() if backend else ()
        extra = [_to_click(f) for f in fields if shown_on(f.spec, ctx.info_name or "")]
        return super().get_params(ctx)[:-1] + extra + super().get_params(ctx)[-1:]


def split_backend_options(
    ctx: click.Context, kwargs: dict[str, Any]
) -> tuple[Backend, BackendOptions]:
    """The chosen backend and its parsed options (their values removed from ``kwargs``)."""
    kwargs.pop("backend", None)
    backend: Backend = ctx.meta["evogroup.backend.base"]
    given = {f.name: kwargs.pop(f.name) for f in backend.Options.fields() if f.name in kwargs}
    given = {k: v for k, v in given.items() if v is not None}
    for f in backend.Options.fields():
        if f.spec.choices and isinstance(given.get(f.name), str):
            given[f.name] = next(
                c for c in f.spec.choices if str(c).lower() == given[f.name].lower()
            )
    try:
        opts = backend.options(**given)
    except OptionError as exc:  # a rule between options, or one click cannot express
        raise click.UsageError(str(exc), ctx=ctx) from None
    for name, why in backend.unused_options(opts).items():  # a typed value is used or refused
        if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            flag = "--" + name.replace("_", "-")
            raise click.UsageError(f"{flag} would have no effect: {why}; leave {flag} out", ctx=ctx)
    return backend, opts
