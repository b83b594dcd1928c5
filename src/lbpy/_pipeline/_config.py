"""``server/middleware.json``: LoopBack's phases and their entries, read and merged as loopback-boot did.

The main file names the phases and entries; ``middleware.local.json`` and ``middleware.<env>.json`` may
only change what it names (loopback-boot refused anything else, and so does lbpy). The result is a
list of :class:`Entry` in the order requests meet them.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import BootError

#: LoopBack 3's phases in the order a request meets them; each has ``:before`` and ``:after``
PHASES = ("initial", "session", "auth", "parse", "routes", "files", "final")

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.]*)\}")


@dataclass(frozen=True)
class Entry:
    """One middleware of ``server/middleware.json``: ``name`` as written (``helmet#hsts``,
    ``mymodule:factory``), its ``params`` (an object, a list of positional arguments, or a value)
    and the ``paths`` it applies to (all when empty)."""

    phase: str
    name: str
    params: Any = None
    paths: tuple[str, ...] = ()
    #: where it was written, for messages
    where: str = ""


def phase_key(phase: str, known: list[str]) -> tuple[int, int]:
    base, _, sub = phase.partition(":")
    return known.index(base), {"before": 0, "": 1, "after": 2}[sub]


def middleware_entries(
    main: Any, variants: list[tuple[str, Any]], server: Path, settings: dict[str, Any]
) -> list[Entry]:
    """The entries of ``server/middleware.json`` (``main``) with its ``variants`` (file name, content)
    merged over it.

    ``settings`` are config.json's values, for ``${restApiRoot}`` and the like in params and paths;
    ``$!`` at the start of a string makes it a path relative to the file that wrote it."""
    merged = _resolve_paths(_object(main, "server/middleware.json"), server)
    for shown, raw in variants:
        _merge_file(merged, _resolve_paths(_object(raw, shown), server), shown)
    return _entries(merged, settings)


def _object(value: Any, shown: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BootError(f"{shown} must hold a JSON object: phase -> {{middleware name -> settings}}")
    return value


def _resolve_paths(value: Any, folder: Path) -> Any:
    if isinstance(value, dict):
        return {key: _resolve_paths(item, folder) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve_paths(item, folder) for item in value]
    if isinstance(value, str) and value.startswith("$!"):
        return str((folder / value[2:]).resolve())
    return value


# -- merging, as loopback-boot's config loader merged middleware files -----------------------------


def _merge_file(target: dict[str, Any], layer: dict[str, Any], shown: str) -> None:
    for phase, entries in layer.items():
        if phase not in target:
            raise BootError(f'{shown}: the phase "{phase}" is not in server/middleware.json; add it there first')
        if not isinstance(entries, dict):
            raise BootError(f'{shown}: the phase "{phase}" must be an object of middleware entries')
        for name, config in entries.items():
            if name not in target[phase]:
                raise BootError(
                    f'{shown}: the middleware "{name}" in phase "{phase}" is not in server/middleware.json; '
                    "add it there first"
                )
            problem = _merge_entry(target[phase], name, config)
            if problem:
                raise BootError(f"{shown}: {problem}")


def _merge_entry(phase: dict[str, Any], name: str, config: Any) -> str | None:
    current = phase[name]
    if isinstance(current, list) or isinstance(config, list):
        ours = current if isinstance(current, list) else ([current] if current else [])
        theirs = config if isinstance(config, list) else ([config] if config else [])
        merged = [copy.deepcopy(item) for item in ours]
        for item in theirs:
            same = next(
                (m for m in merged if isinstance(item, dict) and item.get("name") and m.get("name") == item["name"]),
                None,
            )
            if same is None:
                merged.append(item)
            else:
                problem = _merge_values(same, item, name)
                if problem:
                    return problem
        phase[name] = merged
        return None
    if not isinstance(current, dict) or not isinstance(config, dict):
        return f'cannot merge the settings of "{name}": both must be objects'
    return _merge_values(current, config, name)


def _merge_values(target: dict[str, Any], layer: dict[str, Any], prefix: str) -> str | None:
    for key, new in layer.items():
        where = f"{prefix}.{key}"
        old = target.get(key)
        if old is not None and new is not None and isinstance(old, (dict, list)) != isinstance(new, (dict, list)):
            return f"cannot merge values of different types for `{where}`"
        if isinstance(old, list) and isinstance(new, list):
            if len(old) != len(new):
                return f"cannot merge lists of different length for `{where}`"
            for index, item in enumerate(new):
                if isinstance(old[index], dict) and isinstance(item, dict):
                    problem = _merge_values(old[index], item, f"{where}[{index}]")
                    if problem:
                        return problem
                else:
                    old[index] = item
        elif isinstance(old, dict) and isinstance(new, dict):
            problem = _merge_values(old, new, where)
            if problem:
                return problem
        else:
            target[key] = new
    return None


# -- entries in request order -------------------------------------------------------------------------


def ordered_phases(names: list[str]) -> list[str]:
    """LoopBack's phases, with any phase of the file's own placed after the one written before it."""
    known = list(PHASES)
    for name in names:
        base = name.partition(":")[0]
        if base in known:
            continue
        previous = None
        for other in names:
            other_base = other.partition(":")[0]
            if other_base == base:
                break
            if other_base in known:
                previous = other_base
        known.insert(known.index(previous) + 1 if previous else 0, base)
    return known


def _entries(raw: dict[str, Any], settings: dict[str, Any]) -> list[Entry]:
    known = ordered_phases(list(raw))
    found: list[tuple[tuple[int, int], int, Entry]] = []
    for phase, entries in raw.items():
        _base, _, sub = phase.partition(":")
        if sub not in ("", "before", "after"):
            raise BootError(
                f'server/middleware.json: "{phase}" is not a phase; use "<phase>", "<phase>:before" or "<phase>:after"'
            )
        if entries is None:
            continue
        if not isinstance(entries, dict):
            raise BootError(f'server/middleware.json: the phase "{phase}" must be an object of middleware entries')
        for name, config in entries.items():
            for config_item in config if isinstance(config, list) else [config]:
                entry = _entry(phase, name, config_item, settings)
                if entry is not None:
                    found.append((phase_key(phase, known), len(found), entry))
    return [entry for _, _, entry in sorted(found, key=lambda item: (item[0], item[1]))]


def _entry(phase: str, name: str, config: Any, settings: dict[str, Any]) -> Entry | None:
    where = f'server/middleware.json: "{phase}"."{name}"'
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise BootError(f'{where} must be an object such as {{"params": {{...}}}}')
    if config.get("enabled", True) is False:
        return None
    paths = config.get("paths", [])
    if isinstance(paths, str):
        paths = [paths]
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise BootError(f'{where}: "paths" must be a path or a list of paths, e.g. ["/api"]')
    params = _substitute(config.get("params"), settings, where)
    paths = tuple(_substitute(p, settings, where) for p in paths)
    return Entry(phase=phase, name=name, params=params, paths=paths, where=where)


def _substitute(value: Any, settings: dict[str, Any], where: str) -> Any:
    """``${restApiRoot}`` and other config.json settings in a value, as loopback-boot replaced them."""
    if isinstance(value, dict):
        return {k: _substitute(v, settings, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, settings, where) for v in value]
    if not isinstance(value, str) or "${" not in value:
        return value
    whole = _VAR.fullmatch(value)
    if whole and whole.group(1) in settings:
        return settings[whole.group(1)]  # a whole value keeps its type, as loopback-boot kept it

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in settings:
            raise BootError(f"{where}: ${{{name}}} names no setting of server/config.json")
        return str(settings[name])

    return _VAR.sub(replace, value)
