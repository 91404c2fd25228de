"""The ``evogroup`` command line: a thin click group over the library."""

from __future__ import annotations

import sys

import click

from evogroup.errors import EvogroupError


class EvogroupGroup(click.Group):
    """Turns library errors caused by user input into one-line errors with a non-zero exit."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except EvogroupError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo(
                "\nInterrupted; finished work is saved in the run directory (use --resume).",
                err=True,
            )
            sys.exit(130)


@click.group(cls=EvogroupGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="evogroup")
def main() -> None:
    """Search per-layer group counts of group convolutions under a FLOP budget."""


def _register() -> None:
    from evogroup.cli import core_commands, search_command

    main.add_command(core_commands.backends)
    main.add_command(core_commands.space)
    main.add_command(core_commands.flops)
    main.add_command(search_command.search)
    try:
        from evogroup.cli import pipeline_commands
    except ImportError:  # pragma: no cover - pipeline commands not installed
        return
    for command in pipeline_commands.COMMANDS:
        main.add_command(command)
    from evogroup.cli import rank_command

    main.add_command(rank_command.rank_check_command)


_register()

if __name__ == "__main__":  # pragma: no cover
    main()
