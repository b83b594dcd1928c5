"""The documentation runs: every command the site and README show is run here, and the site builds.

A page's runnable commands are its fenced ``console`` blocks: each ``$ `` line (a trailing ``\\``
continues it) is a command, and the lines under it, when there are any, are output that must
appear in what the command prints (``...`` stands for anything). A page's blocks run in order in
one fresh folder, so a page is a session: ``cd`` stays, variables set by one command (``TOKEN=...``)
are there for the next. ``lbpy start`` serves in the background on a free port until the page
ends; ``localhost:3000`` in later commands is rewritten to that port. A code block with a file name
(```` ```python title="common/models/customer.py" ````) is written to that file, in the page's order.
A page may hold hidden setup commands in an HTML comment, ``<!-- setup:`` then ``$ `` lines, then
``-->``, run before its blocks.

Blocks in ``sh`` show commands that cannot run here (a package index, Docker, someone else's
server); each is preceded by ``<!-- not run: <why> -->``, which a test below requires.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from lbpy_process import clean_env, free_port, lbpy_start
from typer.testing import CliRunner

from lbpy._cli import COMMANDS
from lbpy._cli import app as cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_hooks" not in p.parts)
FENCE = re.compile(
    r"^(?P<indent> *)```(?P<lang>[\w-]*)(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)
#: a code block with a file name, ```python title="common/models/customer.py"```, is written there
TITLE = re.compile(r'title="(?P<path>[^"]+)"')
SETUP = re.compile(r"<!-- setup:\n(?P<body>.*?)^-->", re.M | re.S)
NOT_RUN = re.compile(r"<!-- not run: \S.*-->\s*$")
SHELL_LANGS = {"sh", "bash", "shell", "shell-session", "zsh"}


@dataclass
class Command:
    line: str
    expected: list[str]
    #: the content of a file the page shows: ``line`` is then its path
    write: str | None = None


def fences(text: str) -> list[tuple[str, str, str]]:
    """(language, body, the text before the fence) of each fenced block, bodies dedented."""
    return [(lang, body, before) for lang, _, body, before in fences_with_info(text)]


def fences_with_info(text: str) -> list[tuple[str, str, str, str]]:
    found = []
    for match in FENCE.finditer(text):
        indent = len(match["indent"])
        body = "".join(line[indent:] for line in match["body"].splitlines(keepends=True))
        found.append((match["lang"], match["info"], body, text[: match.start()]))
    return found


def commands_in(body: str) -> list[Command]:
    commands: list[Command] = []
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\") and i + 1 < len(lines):
                i += 1
                command += "\n" + lines[i]
            commands.append(Command(command, []))
        elif line.strip():
            assert commands, f"output before any command in a console block: {line!r}"
            commands[-1].expected.append(line)
        i += 1
    return commands


def page_commands(text: str) -> list[Command]:
    found = [c for setup in SETUP.finditer(text) for c in commands_in(setup["body"])]
    for lang, info, body, _ in fences_with_info(text):
        if lang == "console":
            found += commands_in(body)
        elif titled := TITLE.search(info):
            found.append(Command(titled["path"], [], write=body))
    return found


def needs_shell(line: str) -> bool:
    """Whether a command uses the shell: operators, redirections, expansions."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens = list(lexer)
    if any(token and set(token) <= set("();<>|&") for token in tokens):
        return True
    return bool(re.search(r"[$`*?]", re.sub(r"'[^']*'", "", line.split(" #")[0])))


def squeeze(text: str) -> str:
    return " ".join(text.split())


class Session:
    """One page's commands, run in one folder as a reader would run them."""

    def __init__(self, root: Path, stack: ExitStack, monkeypatch: pytest.MonkeyPatch) -> None:
        self.cwd = root
        self.stack = stack
        self.monkeypatch = monkeypatch
        self.state = root.parent / f"{root.name}.env"
        self.ports: dict[str, int] = {}
        self.server: ExitStack | None = None
        bin_dir = str(Path(sys.executable).parent)
        self.env = clean_env(PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), PIP_NO_INPUT="1")
        # curl as in a terminal (no progress meter on a pipe); a request shown without its answer
        # must succeed, so that a 4xx or 5xx cannot pass unseen
        self.curl_homes = {}
        for name, options in (("shown", "silent\nshow-error\n"), ("unshown", "silent\nshow-error\nfail-with-body\n")):
            home = root.parent / f"{root.name}.curl-{name}"
            home.mkdir(exist_ok=True)
            (home / ".curlrc").write_text(options)
            self.curl_homes[name] = str(home)

    def rewrite(self, text: str) -> str:
        for shown, real in self.ports.items():
            text = re.sub(rf"\b(localhost|127\.0\.0\.1):{shown}\b", rf"\g<1>:{real}", text)
        return text

    def run(self, command: Command) -> None:
        if command.write is not None:
            target = self.cwd / command.line
            assert target.parent.is_dir(), f"{command.line}: no folder {target.parent} to write it in"
            target.write_text(command.write, "utf-8")
            return
        line = self.rewrite(command.line)
        words = shlex.split(line, comments=True) if "\n" not in line else []
        if len(words) == 2 and words[0] == "cd":
            self.cwd = (self.cwd / words[1]).resolve()
            assert self.cwd.is_dir(), f"cd {words[1]}: no such folder"
            return
        plain = "\n" not in line and not needs_shell(line)
        assignments = []
        while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
            assignments.append(words.pop(0))
        if plain and words[:2] == ["lbpy", "start"]:
            output = self.start(command, words[2:], dict(a.split("=", 1) for a in assignments))
        elif plain and words and words[0] == "lbpy" and not assignments:
            self.monkeypatch.chdir(self.cwd)
            result = CliRunner().invoke(cli, words[1:], catch_exceptions=False)
            output = result.output
            assert result.exit_code == 0, f"$ {command.line}\nexit {result.exit_code}\n{output}"
        else:
            output = self.shell(line, command)
        if command.expected:
            assert self.shows(command, output), f"$ {command.line}\nexpected:\n{command.expected}\ngot:\n{output}"

    def shows(self, command: Command, output: str) -> bool:
        want = squeeze(self.rewrite("\n".join(command.expected)))
        pattern = ".*?".join(re.escape(part.strip()) for part in want.split("..."))
        return re.search(pattern, squeeze(output), re.S) is not None

    def shell(self, line: str, command: Command) -> str:
        cwd_file = self.state.with_suffix(".cwd")
        script = (
            f"set -a\n[ -f {shlex.quote(str(self.state))} ] && . {shlex.quote(str(self.state))}\n"
            f"cd {shlex.quote(str(self.cwd))}\n{line}\n__rc=$?\n"
            f"pwd > {shlex.quote(str(cwd_file))}\nexport -p > {shlex.quote(str(self.state))}\nexit $__rc\n"
        )
        done = subprocess.run(
            ["bash", "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**self.env, "CURL_HOME": self.curl_homes["shown" if command.expected else "unshown"]},
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, f"$ {command.line}\nexit {done.returncode}\n{done.stdout}"
        self.cwd = Path(cwd_file.read_text().strip())
        return done.stdout

    def start(self, command: Command, args: list[str], env: dict[str, str]) -> str:
        if self.server is not None:
            self.server.close()
        real = free_port()
        if "--port" in args:
            at = args.index("--port") + 1
            shown, args[at] = args[at], str(real)
        else:
            shown = env.get("PORT", "3000")
            env["PORT"] = str(real)
        self.ports[shown] = real
        self.server = self.stack.enter_context(ExitStack())
        server = self.server.enter_context(lbpy_start(self.cwd, *args, env={**self.env, **env}))
        deadline = time.monotonic() + 10  # the lines after the first one come a moment later
        while not self.shows(command, "".join(server.stdout)) and time.monotonic() < deadline:
            time.sleep(0.05)
        return "".join(server.stdout)


def run_page(text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with ExitStack() as stack:
        session = Session(tmp_path, stack, monkeypatch)
        for command in page_commands(text):
            session.run(command)


RUNNABLE = [p for p in PAGES if page_commands(p.read_text("utf-8"))]


@pytest.mark.parametrize("page", RUNNABLE, ids=[p.relative_to(DOCS).as_posix() for p in RUNNABLE])
def test_the_page_s_commands_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    if shutil.which("curl") is None and "curl " in page.read_text("utf-8"):
        pytest.skip("the page's requests are curl commands and curl is not installed")
    run_page(page.read_text("utf-8"), tmp_path, monkeypatch)


def test_the_pages_show_runnable_commands():
    # the tutorial and the getting-started page are sessions; a parser that found nothing would pass
    assert {"tutorial.md", "getting-started.md"} <= {p.relative_to(DOCS).as_posix() for p in RUNNABLE}
    assert sum(len(page_commands(p.read_text("utf-8"))) for p in RUNNABLE) >= 40


@pytest.mark.parametrize("page", [*PAGES, README], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_shell_block_runs_or_says_why_not(page: Path):
    for lang, body, before in fences(page.read_text("utf-8")):
        if lang in SHELL_LANGS and page != README:
            assert NOT_RUN.search(before), (
                f"{page.name}: a {lang} block that does not run needs <!-- not run: why -->:\n{body}"
            )
        if lang == "console":
            assert all(not line.startswith("#") for line in body.splitlines()), f"{page.name}: a comment line:\n{body}"
        if lang == "" and page != README:
            assert not re.search(r"^\s*(\$ )?lbpy ", body, re.M), (
                f"{page.name}: commands in a block without a language:\n{body}"
            )


# -- the runner itself ------------------------------------------------------------------------------


def test_a_console_block_is_read_as_commands_and_their_output():
    text = (
        "x\n```console\n$ lbpy info \\\n  --app .\nModels\n...\n$ cd shop\n```\n<!-- setup:\n$ echo hi\n-->\n"
        '```python title="server/boot/seed.py"\nprint(1)\n```\n```python\nprint(2)\n```\n'
    )
    assert page_commands(text) == [
        Command("echo hi", []),
        Command("lbpy info \\\n  --app .", ["Models", "..."]),
        Command("cd shop", []),
        Command("server/boot/seed.py", [], write="print(1)\n"),
    ]


def test_operators_and_expansions_go_to_the_shell():
    assert not needs_shell("lbpy acl --role '$owner' --property \"tags:[string]\"  # a comment")
    assert needs_shell("lbpy start || echo no")
    assert needs_shell('curl -H "Authorization: $TOKEN" x')
    assert needs_shell("echo a > b")


def test_a_wrong_answer_or_a_failing_command_fails_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with ExitStack() as stack:
        session = Session(tmp_path, stack, monkeypatch)
        session.run(Command("echo 'hello there'", ["hello ..."]))
        with pytest.raises(AssertionError, match="expected"):
            session.run(Command("echo 'hello there'", ["goodbye"]))
        with pytest.raises(AssertionError, match="exit 3"):
            session.run(Command("exit 3", []))
        with pytest.raises(AssertionError, match="exit 2"):
            session.run(Command("lbpy model Nope --app nowhere", []))
        session.run(Command("GREETING=hi", []))
        session.run(Command("mkdir sub && cd sub", []))
        session.run(Command('echo "$GREETING from $(basename $PWD)"', ["hi from sub"]))


# -- README ----------------------------------------------------------------------------------------


def readme_commands() -> list[str]:
    blocks = [body.strip() for lang, body, _ in fences(README.read_text("utf-8"))]
    return blocks[:2]


def test_readme_starts_with_the_two_commands():
    text = README.read_text("utf-8")
    first, second = readme_commands()
    assert text.index(first) < 1500, "README's first command comes first"
    assert first.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install . && lbpy new-app")
    assert second.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && pytest")
    assert len(text.splitlines()) <= 200


def test_ci_runs_readme_s_second_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    second = readme_commands()[1]
    assert second in ci.splitlines(), f".ci/run no longer runs README's test command: {second}"


def test_readme_s_first_command_makes_an_app_and_serves_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # the `pip install .` part is what tests/test_e2e_article.py does in a fresh environment
    first = readme_commands()[0]
    steps = first.split(" && ")
    assert steps[:3] == ["python3 -m venv .venv", ". .venv/bin/activate", "pip install ."]
    with ExitStack() as stack:
        session = Session(tmp_path, stack, monkeypatch)
        for step in steps[3:]:
            session.run(Command(step, []))
        assert steps[-1] == "lbpy start"
        explorer = httpx.get(f"http://127.0.0.1:{session.ports['3000']}/explorer/", timeout=10)
        assert explorer.status_code == 200 and "swagger" in explorer.text.lower()


def test_readme_s_tour_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    blocks = [body for lang, body, _ in fences(README.read_text("utf-8")) if lang == "sh"][2:]
    assert blocks, "README has a tour after its two commands"
    with ExitStack() as stack:
        session = Session(tmp_path, stack, monkeypatch)
        for body in blocks:
            for line in body.splitlines():
                if line.strip():
                    session.run(Command(line, []))
        assert session.ports, "the tour starts the app"


# -- the CLI reference -------------------------------------------------------------------------------


def load_hook():
    spec = importlib.util.spec_from_file_location("cli_reference", DOCS / "_hooks" / "cli_reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_cli_reference_says_what_help_says(name: str):
    section = load_hook().command_section(name)
    helped = CliRunner().invoke(cli, [name, "--help"], env={"COLUMNS": "250"})
    assert helped.exit_code == 0, helped.output
    shown = squeeze(re.sub(r"[│╭╮╰╯─]", " ", helped.output)).replace("\\[", "[")
    assert set(OPTION.findall(shown)) == set(OPTION.findall(section))
    assert squeeze(COMMANDS[name].summary) in shown and squeeze(COMMANDS[name].summary) in squeeze(section)
    for row in section.splitlines():
        if row.startswith("| `-"):
            description = squeeze(re.split(r"(?<!\\)\|", row)[-2].replace("\\|", "|"))
            # rich shows a range beside the type, where the plain record appends it to the help
            head = re.sub(r"\s*\[[^\[\]]*\]$", "", description)
            assert head in shown, f"lbpy {name} --help does not say: {head}"


def test_the_cli_reference_page_keeps_its_marker():
    hook = load_hook()
    assert hook.MARKER in (DOCS / hook.PAGE).read_text("utf-8")
    assert all(f"### lbpy {name}" in hook.commands_markdown() for name in COMMANDS)


# -- the site builds -----------------------------------------------------------------------------


def test_the_site_builds_without_a_warning(tmp_path: Path):
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        pytest.skip("mkdocs-material is not installed: pip install -e '.[docs]'")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(tmp_path / "site"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    assert (tmp_path / "site" / "reference" / "cli" / "index.html").is_file()
    cli_page = (tmp_path / "site" / "reference" / "cli" / "index.html").read_text("utf-8")
    assert all(f"lbpy {name}" in cli_page for name in COMMANDS)
