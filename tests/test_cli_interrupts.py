"""An error raised while a command stops on Ctrl-C or SIGTERM (a DataLoader whose worker
the same signal ended) is reported as the stop it is: one line, exit 130 or 143."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from evogroup.cli.main import EvogroupGroup, _interrupt_behind
from evogroup.cli.signals import INTERRUPTED, TERMINATED, Terminated


def failing_while_stopping(stop: KeyboardInterrupt):
    @click.group(cls=EvogroupGroup)
    def cli():
        pass

    @cli.command()
    def run():
        try:
            raise stop
        except KeyboardInterrupt:
            raise RuntimeError("DataLoader worker (pid 1) is killed by signal: Terminated.")  # noqa: B904

    return cli


@pytest.mark.parametrize(
    "stop, code, word",
    [(Terminated(), TERMINATED, "Terminated"), (KeyboardInterrupt(), INTERRUPTED, "Interrupted")],
)
def test_an_error_behind_a_stop_is_the_stop(stop, code, word):
    result = CliRunner().invoke(failing_while_stopping(stop), ["run"])
    assert result.exit_code == code
    assert (
        result.output.strip()
        == f"{word}; finished work is saved in the run directory (use --resume)."
    )


def test_an_error_without_a_stop_behind_it_is_not_one():
    assert _interrupt_behind(RuntimeError("plain")) is None
