"""Asking for answers: a flag wins, then ``--config``, then ``--yes`` takes the default, then a
questionary prompt.

With no terminal on stdin nothing ever waits: a default is taken, and a missing required answer
is a ``UsageError`` that names the flag to pass. questionary loads only when a prompt is shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import UsageError
from ._errors import stdin_is_terminal

if TYPE_CHECKING:
    from questionary import Question

Validator = Callable[[Any], Any]  # returns the cleaned value or raises UsageError


def config_key(name: str) -> str:
    """``--foreign-key``, ``foreignKey`` and ``foreign_key`` name the same answer."""
    return re.sub(r"[-_]", "", name.lstrip("-")).lower()


def load_config(text: str | None, accepted: Iterable[str] | None = None) -> dict[str, Any]:
    """The ``--config`` answers: a JSON object given inline or as ``@file``.

    ``accepted`` lists the answers the command takes; any other key is an error (a typo in a
    bulk answer must not be ignored). ``None`` accepts every key."""
    if text is None:
        return {}
    source = "--config"
    if text.startswith("@"):
        path = Path(text[1:]).expanduser()
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise UsageError(f"--config {path}: {exc.strerror or exc}") from None
        source = f"--config {path}"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{source}: invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg})") from None
    if not isinstance(data, dict):
        raise UsageError(f'{source} must be a JSON object of answers, e.g. \'{{"name": "x"}}\'')
    if accepted is not None:
        known = {config_key(k): k for k in accepted}
        for key in data:
            if config_key(key) not in known:
                raise UsageError(f'{source}: unknown answer "{key}" (known: {", ".join(sorted(known.values()))})')
    return data


class Asker:
    def __init__(
        self, *, yes: bool = False, interactive: bool | None = None, config: dict[str, Any] | None = None
    ) -> None:
        self.yes = yes
        self.interactive = stdin_is_terminal() if interactive is None else interactive
        self.config = {config_key(k): v for k, v in (config or {}).items()}

    @property
    def prompting(self) -> bool:
        return self.interactive and not self.yes

    def answer(self, key: str, default: Any = None) -> Any:
        """The ``--config`` answer for ``key``, or ``default``."""
        return self.config.get(config_key(key), default)

    def has_answer(self, key: str) -> bool:
        return config_key(key) in self.config

    def _given(self, value: Any, key: str | None, flag: str) -> Any:
        if value is not None:
            return value
        return self.config.get(config_key(key or flag))

    def _resolve(
        self, value: Any, default: Any, flag: str, label: str, validate: Validator | None, required: bool
    ) -> Any:
        if value is not None:
            return validate(value) if validate else value
        if not self.prompting:
            if default is None and required:
                raise UsageError(f"{label} is required: pass {flag}")
            return validate(default) if validate and default is not None else default
        return _PROMPT

    def text(
        self,
        label: str,
        *,
        value: Any = None,
        default: str | None = None,
        flag: str,
        validate: Validator | None = None,
        required: bool = True,
        secret: bool = False,
        key: str | None = None,
        instruction: str | None = None,
        what: str | None = None,
    ) -> Any:
        """``what`` names the answer in the message for a missing one (default: the label)."""
        value = self._given(value, key, flag)
        got = self._resolve(value, default, flag, what or label, validate, required)
        if got is not _PROMPT:
            return got
        import questionary

        def check(answer: str) -> bool | str:
            if not answer and default is None and required:
                return f"{label} is required"
            if validate and (answer or default):
                try:
                    validate(answer or default)
                except UsageError as exc:
                    return str(exc)
            return True

        if secret:
            question = questionary.password(f"{label}:", validate=check, instruction=instruction)
        else:
            question = questionary.text(f"{label}:", validate=check, default=default or "", instruction=instruction)
        answer = _unsafe(question)
        answer = answer if answer else default
        if answer in (None, "") and not required:
            return None
        return validate(answer) if validate else answer

    def select(
        self,
        label: str,
        choices: Sequence[str],
        *,
        value: Any = None,
        default: str | None = None,
        flag: str,
        validate: Validator | None = None,
        titles: dict[str, str] | None = None,
        key: str | None = None,
        what: str | None = None,
    ) -> Any:
        def check(answer: Any) -> Any:
            if validate:
                return validate(answer)
            if answer not in choices:
                raise UsageError(f'{flag} must be one of: {", ".join(choices)} (got "{answer}")')
            return answer

        value = self._given(value, key, flag)
        got = self._resolve(value, default, flag, what or label, check, True)
        if got is not _PROMPT:
            return got
        import questionary

        options = [questionary.Choice(titles.get(c, c) if titles else c, value=c) for c in choices]
        return check(
            _unsafe(
                questionary.select(
                    f"{label}:",
                    choices=options,
                    default=default if default in choices else None,
                )
            )
        )

    def confirm(
        self, label: str, *, value: bool | None = None, default: bool = True, flag: str, key: str | None = None
    ) -> bool:
        value = self._given(value, key, flag)
        if value is not None:
            if not isinstance(value, bool):
                raise UsageError(f"{flag}: the --config answer must be true or false, not {json.dumps(value)}")
            return value
        if not self.prompting:
            return default
        import questionary

        return bool(_unsafe(questionary.confirm(f"{label}?", default=default)))

    def say(self, message: str) -> None:
        """A line of guidance between prompts; shown only when prompting."""
        if self.prompting:
            import typer

            typer.echo(message)


_PROMPT = object()


def _unsafe(question: Question) -> Any:
    """Ask; Ctrl-C stops the command instead of returning None."""
    answer = question.unsafe_ask()
    return answer
