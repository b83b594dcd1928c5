"""The CLI reference, written from the Typer app each time the site builds.

``docs/reference/cli.md`` holds the hand-written part and a ``<!-- cli-commands -->`` marker; this
hook replaces the marker with one section per command of ``lbpy._cli.COMMANDS``, read from the same
click objects that ``lbpy <command> --help`` prints, so the reference cannot drift from the CLI.
``python docs/_hooks/cli_reference.py`` prints the generated part.
"""

from __future__ import annotations

import re
from typing import Any

import typer

from lbpy._cli import COMMANDS, app, load_command

MARKER = "<!-- cli-commands -->"
PAGE = "reference/cli.md"


def _text(help_text: str | None) -> str:
    """Help text as Markdown: rich's escaped brackets unescaped, table pipes escaped."""
    text = re.sub(r"\\\[", "[", help_text or "")
    return " ".join(text.split()).replace("|", "\\|")


def _names(names: list[str]) -> str:
    return ", ".join(f"`{name}`" for name in names)


def command_section(name: str) -> str:
    """The Markdown section for ``lbpy <name>``: its help, usage, arguments and options."""
    command = load_command(name)
    ctx = typer.Context(command, info_name=f"lbpy {name}")
    usage = command.get_usage(ctx).removeprefix("Usage: ")
    lines = [f"### lbpy {name}", "", (command.help or "").strip(), "", "```text", usage, "```", ""]
    arguments = [p for p in command.params if p.param_type_name == "argument" and not p.hidden]
    options = [p for p in command.params if p.param_type_name == "option" and not p.hidden]
    if arguments:
        lines += ["| Argument | Value | Description |", "|---|---|---|"]
        for param in arguments:
            record = param.get_help_record(ctx)
            help_text = record[1] if record else ""
            lines.append(f"| `{param.name}` | `{param.display_type(ctx)}` | {_text(help_text)} |")
        lines.append("")
    lines += ["| Option | Value | Description |", "|---|---|---|"]
    for param in options:
        record = param.get_help_record(ctx)
        help_text = record[1] if record else ""
        shown = _names(sorted(param.opts, key=len))
        if param.secondary_opts:
            shown += " / " + _names(param.secondary_opts)
        value = "" if getattr(param, "is_flag", False) else f"`{param.display_type(ctx)}`"
        lines.append(f"| {shown} | {value} | {_text(help_text)} |")
    lines.append("| `--help` | | Show this message and exit. |")
    return "\n".join(lines) + "\n"


def commands_markdown() -> str:
    """Every command's section, in the order ``lbpy --help`` lists them."""
    summary = ["| Command | What it does |", "|---|---|"]
    summary += [f"| [`lbpy {name}`](#lbpy-{name}) | {_text(entry.summary)} |" for name, entry in COMMANDS.items()]
    root = f"`lbpy --version` prints lbpy's version; `lbpy --help` lists the commands. {app.info.help}"
    return "\n".join([root, "", *summary, "", *(command_section(name) for name in COMMANDS)])


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise ValueError(f"{PAGE} has lost its {MARKER} marker")
    return markdown.replace(MARKER, commands_markdown())


if __name__ == "__main__":
    print(commands_markdown())
