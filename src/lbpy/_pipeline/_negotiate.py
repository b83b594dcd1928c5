"""Content negotiation as Express's ``negotiator`` does it: ``Accept-Encoding`` for compression and
``Accept`` for the error handler's JSON or HTML."""

from __future__ import annotations


def _parse(value: bytes) -> list[tuple[str, float, int]]:
    """(token, q, order) for each entry of a comma-separated header with ``;q=`` weights."""
    out = []
    for order, part in enumerate(value.decode("latin-1").split(",")):
        token, *params = (p.strip() for p in part.split(";"))
        if not token:
            continue
        q = 1.0
        for param in params:
            key, _, number = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(number)
                except ValueError:
                    q = 0.0
        out.append((token.lower(), q, order))
    return out


def best_encoding(accept: bytes | None, supported: tuple[str, ...], preferred: tuple[str, ...]) -> str | None:
    """The encoding to use, or None for identity (no header, nothing acceptable, or identity best)."""
    if not accept:
        return None
    entries = _parse(accept)
    weights: dict[str, tuple[float, int]] = {}
    for token, q, order in entries:
        weights.setdefault(token, (q, order))
    star = weights.get("*")
    candidates = []
    for index, name in enumerate((*supported, "identity")):
        found = weights.get(name, star)
        if found is None:
            if name != "identity":
                continue
            found = (min((q for _, q, _ in entries), default=1.0), len(entries))
        q, order = found
        if q <= 0:
            continue
        rank = preferred.index(name) if name in preferred else len(preferred)
        candidates.append((-q, rank, order, index, name))
    if not candidates:
        return None
    chosen = min(candidates)[-1]
    return None if chosen == "identity" else chosen


def best_media_type(accept: bytes | None, offered: tuple[str, ...]) -> str | None:
    """The offered media type (``type/subtype``) the client prefers; the first one without ``Accept``."""
    if accept is None:
        return offered[0] if offered else None
    entries = []
    for token, q, order in _parse(accept):
        kind, _, sub = token.partition("/")
        entries.append((kind, sub or "*", q, order))
    ranked = []
    for index, media in enumerate(offered):
        kind, _, sub = media.partition("/")
        best = None
        for a_kind, a_sub, q, order in entries:
            specificity = 0
            if a_kind == kind:
                specificity |= 4
            elif a_kind != "*":
                continue
            if a_sub == sub:
                specificity |= 2
            elif a_sub != "*":
                continue
            if best is None or (specificity, q) > (best[0], best[1]):
                best = (specificity, q, order)
        if best is not None and best[1] > 0:
            ranked.append((-best[1], -best[0], best[2], index, media))
    return min(ranked)[-1] if ranked else None
