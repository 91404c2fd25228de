"""Every command and flag that a ``--help`` text names exists (e.g. ``evogroup strategies``
named by ``--strategy-option``'s help, ``--resume`` named by a command's description)."""

from __future__ import annotations

import re

from evogroup.cli.main import main
from evogroup.testing.fixtures import invoke

NAMED_COMMAND = re.compile(r"`evogroup ([a-z][\w-]*)")
NAMED_FLAG = re.compile(r"(?<![\w-])(--[a-z][\w-]*)")
DECLARED_FLAG = re.compile(r"^\s+(?:-\w, )?(--[a-z][\w-]*)", re.MULTILINE)


def help_texts() -> dict[str, str]:
    """The ``--help`` of the group and of every command (with and without a backend)."""
    texts = {"evogroup": invoke(["--help"]).output}
    for name in main.commands:
        texts[name] = invoke([name, "--help"]).output
        if "--backend" in texts[name]:
            texts[f"{name} --backend synthetic"] = invoke(
                [name, "--backend", "synthetic", "--help"]
            ).output
    return texts


def test_every_command_and_flag_a_help_text_names_exists():
    texts = help_texts()
    declared = {flag for text in texts.values() for flag in DECLARED_FLAG.findall(text)}
    declared |= {"--help", "--version", "--debug"}
    missing = []
    for where, text in texts.items():
        flat = " ".join(text.split())  # click wraps help text across lines
        missing += [
            f"{where}: evogroup {c}" for c in NAMED_COMMAND.findall(flat) if c not in main.commands
        ]
        missing += [f"{where}: {f}" for f in NAMED_FLAG.findall(flat) if f not in declared]
    assert not missing, missing


def test_the_checker_sees_a_missing_command():
    assert NAMED_COMMAND.findall("see `evogroup nowhere` for") == ["nowhere"]
    assert NAMED_FLAG.findall("use --resume, not ---x or a-b--c") == ["--resume"]
