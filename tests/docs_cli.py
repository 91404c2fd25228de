"""The ``evogroup`` command lines a Markdown document shows, and whether each exists.

A command line is found in a fenced block (any but ``python``/``py``, continuation lines
joined) or in an inline code span, wherever the word ``evogroup`` is followed by more: at the
start, after ``$``, ``&&`` or a pipe, after ``-m`` (``torchrun … -m evogroup …``), after
``/usr/bin/time -f …``; not after ``import``, ``from`` or ``install``. Shell syntax ends it
(``| tail``, ``> file``, ``# comment``).
``…`` and ``...`` stand for options left out, ``[--flag X]`` for an optional one; an
upper-case word (``B``, ``FILE.csv``, ``COMMAND``) is a placeholder.

:func:`check` walks the shown line through the click command tree: the command must exist,
every flag must be one of its params (for ``--backend NAME``, including that backend's
options; for a placeholder backend, those of some backend), and it must not take more
positional arguments than shown. It then runs the line with ``--help`` appended through
click's ``CliRunner`` (``evogroup backends`` and lines on the torch-free ``synthetic``
backend run in full).
"""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import click
from click.testing import CliRunner

from evogroup.backend.registry import list_backends
from evogroup.cli.backend_command import BackendCommand, _peek_backend
from evogroup.cli.main import main

FENCE = re.compile(r"^(`{3,}|~{3,})[ \t]*([\w+-]*)[^\n]*\n(.*?)^\1[ \t]*$", re.S | re.M)
SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
ENDS = {"|", "||", "&&", ";", "&", ">", ">>", "<", "(", ")", "2>", "2>&1"}
NOT_COMMANDS = {"import", "from", "install", "cd"}  # words before an `evogroup` that is no command
ELLIPSIS = {"…", "..."}
PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_]*([.:][\w.:]*)?$")
FULL = {"backends"}  # commands cheap enough to run in full whatever their backend
SKIP_LANGS = {"python", "py"}


@dataclass(frozen=True)
class Shown:
    """A command line as a document shows it: where, the text, and its words after ``evogroup``."""

    where: str
    text: str
    words: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.where}: `{self.text}`"


def shown_commands(path: Path, label: str | None = None) -> list[Shown]:
    """Every ``evogroup`` command line of the Markdown file ``path``, in document order."""
    text, label = path.read_text(), label or path.name
    found: list[tuple[int, str]] = []
    for fence in FENCE.finditer(text):
        if fence.group(2).lower() not in SKIP_LANGS:
            first = text.count("\n", 0, fence.start(3)) + 1
            found += _logical_lines(fence.group(3), first)
    prose = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    for span in SPAN.finditer(prose):
        found.append((prose.count("\n", 0, span.start()) + 1, " ".join(span.group(2).split())))
    shown = []
    for line, snippet in sorted(found):
        for words in _commands_in(snippet):
            shown.append(Shown(f"{label}:{line}", snippet, words))
    return shown


def _logical_lines(block: str, first: int) -> list[tuple[int, str]]:
    lines, start, parts = [], first, []
    for i, line in enumerate(block.splitlines()):
        if not parts:
            start = first + i
        parts.append(line.rstrip().removesuffix("\\").strip())
        if not line.rstrip().endswith("\\"):
            lines.append((start, " ".join(" ".join(parts).split())))
            parts = []
    return lines


def _tokens(snippet: str) -> list[str]:
    lexer = shlex.shlex(snippet, posix=True, punctuation_chars=";&|<>()")
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:  # an unbalanced quote in prose: words are close enough
        return snippet.split()


def _commands_in(snippet: str) -> list[tuple[str, ...]]:
    tokens = _tokens(snippet.lstrip("$ "))
    commands = []
    for i, token in enumerate(tokens):
        if (
            token == "evogroup"
            and (i == 0 or tokens[i - 1] not in NOT_COMMANDS)
            and tokens[i + 1 :]
        ):
            words = []
            for word in tokens[i + 1 :]:
                if word in ENDS:
                    break
                word = _unbracket(word)
                if word and word not in ELLIPSIS:
                    words.append(word)
            commands.append(tuple(words))
    return commands


def _unbracket(word: str) -> str:
    """``[--budget`` -> ``--budget``, ``X]`` -> ``X``: an optional part is shown as given."""
    if word.startswith("[-"):
        word = word[1:]
    if word.endswith("]") and word.count("]") > word.count("["):
        word = word[:-1]
    return word


def is_placeholder(word: str) -> bool:
    return bool(PLACEHOLDER.match(word))


def check(shown: Shown) -> list[str]:
    """What is wrong with a shown command line (nothing: an empty list)."""
    words = list(shown.words)
    ctx = main.make_context("evogroup", [], resilient_parsing=True)
    command: click.Command = main
    path = ["evogroup"]
    while isinstance(command, click.Group):
        while words and words[0].startswith("-"):
            if _param(command.get_params(ctx), words[0]) is None:
                return [f"{shown}: evogroup has no option {words[0]}"]
            words.pop(0)
        if not words or is_placeholder(words[0]):
            return []  # `evogroup --debug ...`, `evogroup COMMAND --help`: nothing more shown
        name = words.pop(0)
        sub = command.get_command(ctx, name)
        if sub is None:
            hint = _did_you_mean(name, command.list_commands(ctx))
            return [f"{shown}: {' '.join(path)} has no command {name!r}{hint}"]
        path.append(name)
        ctx = sub.make_context(name, [], parent=ctx, resilient_parsing=True)
        command = sub
    errors, backend, params = _check_words(shown, " ".join(path), command, ctx, words)
    if words and (last := _param(params, words[-1])) and _takes_value(last, words[-1], "X"):
        words.append("X")  # `evogroup rank-check --scores`: a flag named, its value left out
    return errors or _run(shown, path[1:], words, backend)


def _params_for(command: click.Command, ctx: click.Context, backend: str | None) -> list:
    if backend is None:
        return command.get_params(ctx)
    sub = command.make_context(
        ctx.info_name, ["--backend", backend], ctx.parent, resilient_parsing=True
    )
    return command.get_params(sub)


def _with_backend(words: list[str], backend: str) -> list[str]:
    out = list(words)
    for i, word in enumerate(out):
        if word == "--backend" and i + 1 < len(out):
            out[i + 1] = backend
        elif word.startswith("--backend="):
            out[i] = f"--backend={backend}"
    return out


def _check_words(
    shown: Shown, path: str, command: click.Command, ctx: click.Context, words: list[str]
) -> tuple[list[str], str | None, list]:
    """The unknown flags and extra arguments of ``words``, the backend to run them with and
    the params of the command with that backend."""
    shown_backend = backend = _peek_backend(words)
    params = _params_for(command, ctx, backend if backend in list_backends() else None)
    spellings = params
    if backend is not None and is_placeholder(backend):  # some backend must take every flag
        each = {b: _params_for(command, ctx, b) for b in list_backends()}
        backend = next((b for b, ps in each.items() if not _unknown(ps, words)), None)
        params = each[backend] if backend else params
        spellings = [p for ps in each.values() for p in ps]
    errors = []
    for flag in _unknown(params, words):
        names = [
            o for p in spellings if isinstance(p, click.Option) for o in p.opts + p.secondary_opts
        ]
        on = f" --backend {shown_backend}" if shown_backend else ""
        hint = _did_you_mean(flag, names) or _backends_taking(command, ctx, flag, shown_backend)
        errors.append(f"{shown}: {path}{on} has no option {flag}{hint}")
    arguments = [p for p in params if isinstance(p, click.Argument)]
    room = sum(p.nargs for p in arguments) if all(p.nargs >= 0 for p in arguments) else None
    given = _positionals(params, words)
    if room is not None and len(given) > room:
        errors.append(f"{shown}: {path} takes {room} argument(s), but the line gives {given}")
    return errors, backend, params


def _backends_taking(command: click.Command, ctx: click.Context, flag: str, backend) -> str:
    """`` (an option of --backend torchvision, module)`` where a line shows no backend."""
    if backend is not None or not isinstance(command, BackendCommand):
        return ""
    names = [b for b in list_backends() if _param(_params_for(command, ctx, b), flag)]
    return f" (an option of --backend {', '.join(names)})" if names else ""


def _param(params: list, word: str) -> click.Parameter | None:
    name = word.split("=", 1)[0]
    return next(
        (p for p in params if isinstance(p, click.Option) and name in p.opts + p.secondary_opts),
        None,
    )


def _takes_value(param: click.Option, word: str, following: str | None) -> bool:
    if "=" in word or param.is_flag or param.count or following is None:
        return False
    if getattr(param, "_flag_needs_value", False) or isinstance(
        param.type, click.types.BoolParamType
    ):
        return following.lower() in {"true", "false", "1", "0", "yes", "no", "on", "off"}
    return True


def _walk(params: list, words: list[str]):
    """``(kind, word)`` for each word: ``"flag"``, ``"unknown"``, ``"value"`` or ``"argument"``."""
    i = 0
    while i < len(words):
        word, following = words[i], words[i + 1] if i + 1 < len(words) else None
        if not word.startswith("-") or re.match(r"^-\d", word):
            yield "argument", word
        elif (param := _param(params, word)) is None:
            yield "unknown", word.split("=", 1)[0]
            if "=" not in word and following is not None and not following.startswith("-"):
                yield "value", following  # the unknown flag's value, most likely
                i += 1
        elif _takes_value(param, word, following):
            yield "flag", word
            yield "value", following
            i += param.nargs
        else:
            yield "flag", word
        i += 1


def _unknown(params: list, words: list[str]) -> list[str]:
    return [w for kind, w in _walk(params, words) if kind == "unknown"]


def _positionals(params: list, words: list[str]) -> list[str]:
    return [w for kind, w in _walk(params, words) if kind == "argument"]


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=2)
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def _run(shown: Shown, path: list[str], words: list[str], backend: str | None) -> list[str]:
    """Run the line with ``--help`` (in full where cheap) and report a non-zero exit."""
    if backend is not None:  # a placeholder backend becomes one that takes every flag shown
        words = _with_backend(words, backend)
    concrete = not any(is_placeholder(w) for w in words)
    full = concrete and (
        path[-1] in FULL or (backend == "synthetic" and path[-1] in {"space", "flops"})
    )
    args = [*path, *words] + ([] if full else ["--help"])
    result = CliRunner().invoke(main, args)
    if result.exit_code != 0:
        last = (result.output.strip().splitlines() or [repr(result.exception)])[-1]
        return [f"{shown}: `evogroup {' '.join(args)}` exited {result.exit_code}: {last}"]
    return []
