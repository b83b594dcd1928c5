"""Mixins: ``"mixins": {"TimeStamp": true}`` in a model JSON applies a function to the model.

lbpy has one mixin built in, ``TimeStamp`` (the community loopback-ds-timestamp-mixin's name and
options): it adds ``createdAt`` and ``updatedAt`` date properties, sets both when a record is
created and ``updatedAt`` on every update. Its options: ``createdAt`` and ``updatedAt`` (the
property names), ``required`` (default true); a write whose options hold ``skipUpdatedAt`` leaves
``updatedAt`` alone.

An app's own mixins are Python files in the folders model-config.json's ``_meta.mixins`` lists
(``../common/mixins``, ``./mixins``), each defining ``mixin(Model, options)``. A file's name gives
the mixin's name as LoopBack's loader did: ``time-stamp.py`` or ``time_stamp.py`` is
``TimeStamp``. An app's mixin of the same name replaces the built-in one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import BootError
from .._loader import line_in, load_python_file, shown_path

if TYPE_CHECKING:
    from ._persisted import Context, Model

log = logging.getLogger("lbpy")


def mixin_name(stem: str) -> str:
    """``time-stamp`` -> ``TimeStamp`` (LoopBack's "classify" normalisation of file names)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_.\s]+", stem) if part)


def time_stamp(Model: type[Model], options: dict[str, Any]) -> None:
    settings = {"createdAt": "createdAt", "updatedAt": "updatedAt", "required": True, **options}
    unknown = set(settings) - {"createdAt", "updatedAt", "required", "validateUpsert", "silenceWarnings"}
    if unknown:
        raise ValueError(f'unknown option "{sorted(unknown)[0]}"; TimeStamp takes createdAt, updatedAt, required')
    created, updated = settings["createdAt"], settings["updatedAt"]
    required = bool(settings["required"])
    Model.define_property(created, {"type": "date", "required": required, "defaultFn": "now"})
    Model.define_property(updated, {"type": "date", "required": required, "defaultFn": "now"})

    def stamp(ctx: Context) -> None:
        if ctx.options.get("skipUpdatedAt"):
            return
        now = datetime.now(timezone.utc)
        if ctx.instance is not None:
            ctx.instance[updated] = now
        elif ctx.data is not None:
            ctx.data[updated] = now

    Model.observe("before save", stamp)


BUILTIN: dict[str, Callable[[type[Model], dict[str, Any]], None]] = {"TimeStamp": time_stamp}


class Mixins:
    """The mixins an app can use: the built-ins and the files of its mixin folders, loaded when a
    model first names them."""

    def __init__(self, mixin_dirs: list[Path], root: Path) -> None:
        self.mixin_dirs = mixin_dirs
        self.root = root
        self.files: dict[str, Path] = {}
        for folder in mixin_dirs:
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.py")):
                if not path.name.startswith("_"):
                    self.files.setdefault(mixin_name(path.stem), path)
        self.loaded: dict[str, Callable[..., Any]] = {}
        self.warned: set[str] = set()

    def _warn_unknown(self, name: str, where: str) -> None:
        """A mixin lbpy does not have does not stop the boot: the models that name it boot without
        it, and the log says so once."""
        if name in self.warned:
            return
        self.warned.add(name)
        looked = ", ".join(shown_path(d, self.root) for d in self.mixin_dirs) or "no folder"
        log.warning(
            'mixin "%s" (%s) is not applied: lbpy provides TimeStamp, and an app\'s own mixins are Python '
            "files (e.g. %s) in the _meta.mixins folders (%s); lbpy import-lb3 ports a JavaScript mixin",
            name,
            where,
            _file_name(name),
            looked,
        )

    def get(self, name: str, where: str) -> Callable[..., Any]:
        if name in self.loaded:
            return self.loaded[name]
        path = self.files.get(name)
        if path is None:
            if name in BUILTIN:
                return BUILTIN[name]
            looked = ", ".join(shown_path(d, self.root) for d in self.mixin_dirs) or "no folder"
            raise BootError(
                f'{where}: unknown mixin "{name}"; lbpy provides TimeStamp, and an app\'s own mixins '
                f"are Python files (e.g. {_file_name(name)}) in the _meta.mixins folders ({looked})"
            )
        module = load_python_file(path, f"lbpy_app.mixins.{path.stem.replace('-', '_')}", self.root)
        fn = getattr(module, "mixin", None)
        if not callable(fn):
            raise BootError(f"{shown_path(path, self.root)} must define mixin(Model, options)")
        fn.__lbpy_source__ = path
        self.loaded[name] = fn
        result: Callable[..., Any] = fn
        return result

    def apply(self, model: type[Model], mixins: dict[str, Any], where: str) -> None:
        for name, given in mixins.items():
            if given is False or given is None:
                continue
            options = {} if given is True else given
            if not isinstance(options, dict):
                raise BootError(f"{where}: mixins.{name} must be true, false or an object of options")
            if name not in self.files and name not in BUILTIN and name not in self.loaded:
                self._warn_unknown(name, where)
                continue
            fn = self.get(name, where)
            try:
                fn(model, dict(options))
            except BootError:
                raise
            except Exception as exc:
                source = getattr(fn, "__lbpy_source__", None)
                line = line_in(exc, source)
                shown = f"{shown_path(source, self.root)}{line}" if source else where
                raise BootError(
                    f"{shown}: mixin {name} failed on {model.spec.name}: {type(exc).__name__}: {exc}"
                ) from None


def _file_name(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower() + ".py"
