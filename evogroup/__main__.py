"""``python -m evogroup ...`` (and ``torchrun -m evogroup ...``): the command line."""

from evogroup.cli.main import main

main(prog_name="evogroup")
