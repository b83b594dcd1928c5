"""Asking for answers: a flag wins, then ``--yes`` takes the default, then a questionary prompt.

With no terminal on stdin nothing ever waits: a default is taken, and a missing required answer
is a ``UsageError`` that names the flag to pass. questionary loads only when a prompt is shown.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from .._errors import UsageError
from ._errors import stdin_is_terminal

Validator = Callable[[Any], Any]  # returns the cleaned value or raises UsageError


class Asker:
    def __init__(self, *, yes: bool = False, interactive: bool | None = None) -> None:
        self.yes = yes
        self.interactive = stdin_is_terminal() if interactive is None else interactive

    @property
    def prompting(self) -> bool:
        return self.interactive and not self.yes

    def _resolve(self, value, default, flag, label, validate, required):
        if value is not None:
            return validate(value) if validate else value
        if not self.prompting:
            if default is None and required:
                raise UsageError(f"{label} is required: pass {flag}")
            return validate(default) if validate and default is not None else default
        return _PROMPT

    def text(self, label: str, *, value: Any = None, default: str | None = None, flag: str,
             validate: Validator | None = None, required: bool = True, secret: bool = False) -> Any:
        got = self._resolve(value, default, flag, label, validate, required)
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

        ask = questionary.password if secret else questionary.text
        kwargs = {} if secret else {"default": default or ""}
        answer = _unsafe(ask(f"{label}:", validate=check, **kwargs))
        answer = answer if answer else default
        if answer in (None, "") and not required:
            return None
        return validate(answer) if validate else answer

    def select(self, label: str, choices: Sequence[str], *, value: Any = None, default: str | None = None,
               flag: str, validate: Validator | None = None, titles: dict[str, str] | None = None) -> Any:
        def check(answer: Any) -> Any:
            if validate:
                return validate(answer)
            if answer not in choices:
                raise UsageError(f"{flag} must be one of: {', '.join(choices)} (got \"{answer}\")")
            return answer

        got = self._resolve(value, default, flag, label, check, True)
        if got is not _PROMPT:
            return got
        import questionary

        options = [questionary.Choice(titles.get(c, c) if titles else c, value=c) for c in choices]
        return check(_unsafe(questionary.select(f"{label}:", choices=options, default=default)))

    def confirm(self, label: str, *, value: bool | None = None, default: bool = True, flag: str) -> bool:
        if value is not None:
            return value
        if not self.prompting:
            return default
        import questionary

        return bool(_unsafe(questionary.confirm(f"{label}?", default=default)))


_PROMPT = object()


def _unsafe(question) -> Any:
    """Ask; Ctrl-C stops the command instead of returning None."""
    answer = question.unsafe_ask()
    return answer
