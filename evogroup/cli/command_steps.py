"""Which lifecycle steps each command runs, so a backend option (declared with the steps it
changes, :data:`evogroup.core.options.STEPS`) is shown on exactly the commands it affects."""

from __future__ import annotations

from evogroup.core.errors import OptionError
from evogroup.core.options import STEPS, OptionSpec

#: The commands that take backend options, with the steps each runs.
COMMAND_STEPS: dict[str, tuple[str, ...]] = {
    "space": (),
    "flops": (),
    "latency": (),
    "search": ("supernet", "fitness"),
    "train-supernet": ("supernet",),
    "train": ("final",),
    "reproduce": STEPS,
    "rank-check": STEPS,
}
COMMANDS = tuple(COMMAND_STEPS)


def shown_on(spec: OptionSpec, command: str) -> bool:
    """Whether ``command`` shows an option: it runs one of the option's steps, or the option
    names none (or, deprecated, names ``command`` itself)."""
    if spec.commands:
        unknown = [c for c in spec.commands if c not in COMMANDS]
        if unknown:
            raise OptionError(
                f"option commands must be among {', '.join(COMMANDS)}, but got {unknown[0]!r}"
            )
        return command in spec.commands
    runs = COMMAND_STEPS.get(command, STEPS)
    return not spec.steps or any(step in runs for step in spec.steps)
