"""README and CLI agree: every `graphkit ...` line of README.md goes through the CLI's parser.

README.md is read when the test runs, so a command line added to it is checked from then on.
Lines of code blocks (the tour) are parsed in full, as the shell would pass them: commands,
option names, values and types, required arguments and options; nothing runs. Inline spans in
the prose (``graphkit show CASE_DIR VIEW [--json] [--limit N]``) are synopses, often without
the case directory: their command and option names are checked, with ``--help`` appended as
a user would type it.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
import typer.main
from typer._click.core import Command, Context  # Typer's own copy of click
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

from graphkit.cli.app import app

README = Path(__file__).resolve().parents[2] / "README.md"
_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_INLINE = re.compile(r"`(graphkit [^`]+)`")


def _commands_in(line: str) -> list[str]:
    """The graphkit commands of one shell line: comments dropped, ``&&``/``;`` split."""
    tokens = shlex.split(line, comments=True)
    out: list[list[str]] = [[]]
    for token in tokens:
        if token in ("&&", ";", "||"):
            out.append([])
        else:
            out[-1].append(token)
    return [shlex.join(c) for c in out if c and c[0] == "graphkit"]


def block_lines(text: str) -> list[str]:
    """Commands in fenced code blocks, continuation lines joined, ``$ `` prompts dropped."""
    found = []
    for block in _FENCE.findall(text):
        joined = re.sub(r"\\\n\s*", " ", block)
        for raw in joined.splitlines():
            line = raw.strip().removeprefix("$ ")
            if line.startswith("graphkit "):
                found.extend(_commands_in(line))
    return found


def inline_spans(text: str) -> list[str]:
    """Inline ``graphkit ...`` spans outside code blocks."""
    prose = _FENCE.sub("", text)
    return [m.group(1) for m in _INLINE.finditer(prose)]


def _synopsis_args(words: list[str]) -> list[str]:
    """Optional parts ``[--x N]`` unwrapped, alternatives ``a|b`` reduced to the first."""
    out = []
    for word in words:
        bare = word.strip("[]")
        if bare:
            out.append(bare.split("|")[0] if bare.startswith("-") else bare)
    return out


def parse(args: list[str], *, help_only: bool = False) -> None:
    """Run ``args`` (without the leading ``graphkit``) through the CLI's parser, command by
    command down to the leaf, without invoking anything (UsageError on a mismatch)."""
    command: Command = typer.main.get_command(app)
    parent: Context | None = None
    name = "graphkit"
    rest = list(args)
    while True:
        if help_only and not isinstance(command, TyperGroup):
            try:
                command.make_context(name, [*rest, "--help"], parent=parent)
            except typer.Exit:
                return
            raise AssertionError(f"{name}: --help did not stop the parser")
        ctx = command.make_context(name, rest, parent=parent, resilient_parsing=False)
        if not isinstance(command, TyperGroup):
            return
        sub = [*ctx._protected_args, *ctx.args]  # where Typer's click keeps the command
        if not sub:
            raise UsageError(f"{name}: no command given", ctx)
        found_name, found, rest = command.resolve_command(ctx, sub)
        assert found is not None and found_name is not None
        name, command, parent = found_name, found, ctx


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def test_readme_has_command_lines_to_check() -> None:
    assert len(block_lines(_readme())) >= 10 and len(inline_spans(_readme())) >= 5


@pytest.mark.parametrize("line", block_lines(_readme()))
def test_readme_tour_line_parses(line: str) -> None:
    words = _synopsis_args(shlex.split(line)[1:])
    try:
        parse(words)
    except UsageError as exc:
        pytest.fail(f"README line does not parse: {line}\n  {exc.format_message()}")


@pytest.mark.parametrize("span", inline_spans(_readme()))
def test_readme_synopsis_names_real_commands_and_options(span: str) -> None:
    words = _synopsis_args(shlex.split(span)[1:])
    try:
        parse(words, help_only=True)
    except UsageError as exc:
        pytest.fail(f"README synopsis does not parse: {span}\n  {exc.format_message()}")


def test_the_parser_rejects_what_the_cli_rejects() -> None:
    """The check can fail: an unknown option, a missing required option, a bad choice."""
    parse(["show", "cases/x", "actors", "--limit", "3"])
    for bad in (
        ["show", "cases/x", "--lmit", "3"],
        ["export", "cases/x", "--format", "graphml", "--out", "x.graphml"],
        ["no-such-command", "cases/x"],
        ["show", "cases/x", "--limit", "many"],
    ):
        with pytest.raises(UsageError):
            parse(bad)
    with pytest.raises(UsageError):
        parse(["show", "--lmit"], help_only=True)
