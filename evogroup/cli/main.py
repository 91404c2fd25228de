"""The ``evogroup`` command line: a thin click group over the library."""

from __future__ import annotations

import sys

import click

from evogroup.cli.errors import USAGE, describe
from evogroup.cli.signals import INTERRUPTED, TERMINATED, Terminated, terminate_as_interrupt


class EvogroupGroup(click.Group):
    """Turns errors a user can cause into one line and an exit code (see
    :mod:`evogroup.cli.errors`); ``--debug`` shows their tracebacks instead."""

    def invoke(self, ctx: click.Context):
        try:
            with terminate_as_interrupt():
                return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt as exc:
            _stopped(exc)
        except Exception as exc:
            interrupt = _interrupt_behind(exc)
            if interrupt is not None:  # e.g. a DataLoader's worker ended by the same signal
                _stopped(interrupt)
            known = None if ctx.params.get("debug") else describe(exc)
            if known is None:
                raise  # a bug (or --debug): keep the traceback for the report
            message, code = known
            if code == USAGE:
                raise click.UsageError(message) from None
            error = click.ClickException(message)
            error.exit_code = code  # 1, or 3 for a plug-in's fault
            raise error from None


def _stopped(exc: KeyboardInterrupt) -> None:
    """The one line and exit code of a command stopped by Ctrl-C or SIGTERM."""
    what = "Terminated" if isinstance(exc, Terminated) else "Interrupted"
    click.echo(f"\n{what}; finished work is saved in the run directory (use --resume).", err=True)
    sys.exit(TERMINATED if isinstance(exc, Terminated) else INTERRUPTED)


def _interrupt_behind(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM that ``exc`` was raised while handling, if any."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        seen.add(id(exc))
        exc = exc.__context__
    return None


@click.group(cls=EvogroupGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="evogroup")
@click.option(
    "--debug",
    is_flag=True,
    envvar="EVOGROUP_DEBUG",
    help="Show the traceback of an error instead of one line (for bug reports)"
    " [env: EVOGROUP_DEBUG=1].",
)
def main(debug: bool) -> None:
    """Search per-layer group counts of group convolutions under a FLOP budget."""


def _register() -> None:
    from evogroup.cli import core_commands, latency_command, search_command, strategies_command

    main.add_command(core_commands.backends)
    main.add_command(strategies_command.strategies)
    main.add_command(core_commands.space)
    main.add_command(core_commands.flops)
    main.add_command(search_command.search)
    main.add_command(latency_command.latency)
    try:
        from evogroup.cli import pipeline_commands
    except ImportError:  # pragma: no cover - pipeline commands not installed
        return
    for command in pipeline_commands.COMMANDS:
        main.add_command(command)
    from evogroup.cli import finalists_command, rank_command

    main.add_command(rank_command.rank_check_command)
    main.add_command(finalists_command.finalists_command)


_register()

if __name__ == "__main__":  # pragma: no cover
    main()
