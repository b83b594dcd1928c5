"""``serve-static`` / ``loopback#static``: files from a folder, answered as Express's serve-static 1.x
(on ``send``) answers: weak ETags of size and modification time, ``Last-Modified``, conditional
GETs, one byte range, an index file, a redirect for a folder asked without its slash.

Anything it does not serve falls through to the next phase (a path outside the folder, a dotfile,
an unknown file, a bad range), as serve-static's ``fallthrough`` did. Files are streamed.
"""

from __future__ import annotations

import html
import mimetypes
import os
import re
import stat
from collections.abc import Iterable
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio

from .._errors import BootError, HttpError
from .._rest._errors import error_body
from .._rest._response import dumps
from ._headers import ASGIApp, Headers, Receive, Scope, Send, header

CHUNK = 64 * 1024

#: mime types as ``send`` (mime 1.x) names them, for the files web clients hold
_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".js": "application/javascript",
    ".mjs": "application/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff": "application/font-woff",
    ".woff2": "application/font-woff2",
    ".ttf": "application/x-font-ttf",
    ".pdf": "application/pdf",
    ".wasm": "application/wasm",
    ".mp4": "video/mp4",
    ".zip": "application/zip",
}
_CHARSET = re.compile(r"^text/|^application/(javascript|json)")
_RANGE = re.compile(r"^ *bytes=")
_UNITS_MS = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "w": 604800000, "y": 31557600000}


def content_type(path: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    kind = _TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    return f"{kind}; charset=UTF-8" if _CHARSET.match(kind) else kind


def parse_ms(value: Any, where: str) -> int:
    """serve-static's ``maxAge``: milliseconds, or a string such as ``"1d"``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return max(0, int(value))
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)?\s*", str(value))
    if not match:
        raise BootError(f'{where}: maxAge "{value}" is not a duration; write milliseconds or e.g. "1d"')
    return int(float(match.group(1)) * _UNITS_MS[match.group(2) or "ms"])


def redirect_page(location: str) -> bytes:
    escaped = html.escape(location, quote=True)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Redirecting</title>\n'
        f"</head>\n<body>\n<pre>Redirecting to {escaped}</pre>\n</body>\n</html>\n"
    ).encode()


def http_date(seconds: float) -> str:
    return formatdate(seconds, usegmt=True)


def _etag(st: os.stat_result) -> str:
    return f'W/"{st.st_size:x}-{int(st.st_mtime * 1000):x}"'


def serve_static(
    app: ASGIApp,
    root: str | Path,
    options: dict[str, Any] | None = None,
    *,
    mount: tuple[str, ...] = (),
    where: str = "",
) -> ASGIApp:
    """Files under ``root`` for the requests under ``mount`` (all when empty); ``app`` for the rest."""
    options = dict(options or {})
    folder = Path(root).resolve()
    if not folder.is_dir():
        raise BootError(f"{where}: {folder} is not a folder; create it or fix the path")
    index = options.get("index", "index.html")
    indexes = [] if index is False else ([index] if isinstance(index, str) else list(index))
    dotfiles = options.get("dotfiles", "ignore")
    if dotfiles not in ("allow", "deny", "ignore"):
        raise BootError(f'{where}: dotfiles must be "allow", "deny" or "ignore"')
    use_etag = options.get("etag", True) is not False
    use_last_modified = options.get("lastModified", True) is not False
    use_ranges = options.get("acceptRanges", True) is not False
    cache_control = options.get("cacheControl", True) is not False
    max_age = parse_ms(options.get("maxAge", 0), where) // 1000
    immutable = bool(options.get("immutable", False))
    redirect = options.get("redirect", True) is not False
    extensions = [e.lstrip(".") for e in options.get("extensions") or []]
    cache_value = f"public, max-age={max_age}" + (", immutable" if immutable else "")
    prefixes = tuple("/" + p.strip("/") for p in mount if p.strip("/"))

    def relative(path: str) -> str | None:
        if not prefixes:
            return path
        for prefix in prefixes:
            if path == prefix or path.startswith(prefix + "/"):
                return path[len(prefix) :] or "/"
        return None

    def locate(rel: str) -> Path | None:
        """The file for ``rel`` inside the folder, or None (outside, hidden, or a bad name)."""
        if "\x00" in rel or "\\" in rel:
            return None
        parts = [p for p in rel.split("/") if p]
        if any(p == ".." for p in parts):
            return None
        if dotfiles != "allow" and any(p.startswith(".") and p != "." for p in parts):
            return None
        candidate = folder.joinpath(*parts) if parts else folder
        return candidate

    async def layer(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await app(scope, receive, send)
            return
        path = scope["path"]
        rel = relative(path)
        target = None if rel is None else locate(rel)
        if target is None:
            await app(scope, receive, send)
            return
        try:
            st = await anyio.to_thread.run_sync(os.stat, target)
            if stat.S_ISDIR(st.st_mode):
                if not path.endswith("/"):
                    if redirect:
                        await _redirect(scope, send, path + "/")
                    else:
                        await app(scope, receive, send)
                    return
                found = await _first_file(target / name for name in indexes)
                if found is None:
                    await app(scope, receive, send)
                    return
                target, st = found
            elif not stat.S_ISREG(st.st_mode):
                await app(scope, receive, send)
                return
        except (OSError, ValueError):
            bare = [] if path.endswith("/") else extensions
            found = await _first_file(target.with_name(f"{target.name}.{extension}") for extension in bare)
            if found is None:
                await app(scope, receive, send)
                return
            target, st = found
        await _send_file(scope, receive, send, app, target, st)

    async def _send_file(
        scope: Scope, receive: Receive, send: Send, next_app: ASGIApp, target: Path, st: os.stat_result
    ) -> None:
        size = st.st_size
        etag = _etag(st) if use_etag else None
        modified = http_date(st.st_mtime) if use_last_modified else None
        headers: Headers = []
        if use_ranges:
            headers.append((b"accept-ranges", b"bytes"))
        if cache_control:
            headers.append((b"cache-control", cache_value.encode()))
        if modified:
            headers.append((b"last-modified", modified.encode()))
        if etag:
            headers.append((b"etag", etag.encode()))
        request = scope["headers"]
        if _precondition_failed(request, etag, st.st_mtime):
            await _file_error(send, 412, "PreconditionFailedError", "Precondition Failed", headers)
            return
        if _fresh(request, etag, st.st_mtime):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers.append((b"content-type", content_type(target.name).encode()))
        start, end, status = 0, size - 1, 200
        ranges = header(request, b"range")
        if use_ranges and ranges and _RANGE.match(ranges.decode("latin-1")) and _range_fresh(request, etag, modified):
            parsed = _parse_range(size, ranges.decode("latin-1"))
            if parsed == -1:
                headers.append((b"content-range", f"bytes */{size}".encode()))
                await _file_error(send, 416, "RangeNotSatisfiableError", "Range Not Satisfiable", headers)
                return
            if isinstance(parsed, tuple):
                start, end = parsed
                status = 206
                headers.append((b"content-range", f"bytes {start}-{end}/{size}".encode()))
        length = max(0, end - start + 1)
        headers.append((b"content-length", str(length).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if scope["method"] == "HEAD" or length == 0:
            await send({"type": "http.response.body", "body": b""})
            return
        async with await anyio.open_file(target, "rb") as stream:
            await stream.seek(start)
            left = length
            while left > 0:
                chunk = await stream.read(min(CHUNK, left))
                if not chunk:
                    break
                left -= len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": left > 0})
            if left > 0:  # the file shrank while it was sent: end the answer
                await send({"type": "http.response.body", "body": b""})

    return layer


async def _first_file(candidates: Iterable[Path]) -> tuple[Path, os.stat_result] | None:
    """The first of ``candidates`` that is a regular file, with what ``stat`` says of it."""
    for candidate in candidates:
        try:
            found = await anyio.to_thread.run_sync(os.stat, candidate)
        except OSError:
            continue
        if stat.S_ISREG(found.st_mode):
            return candidate, found
    return None


async def _file_error(send: Send, status: int, name: str, message: str, headers: Headers) -> None:
    """An error about a file that was found (a failed precondition, a range outside it): answered,
    not passed on, as serve-static passed such errors to the error handler."""
    _, payload = error_body(HttpError(message, status_code=status, name=name))
    body = dumps(payload)
    headers = [
        *(h for h in headers if h[0] != b"content-type"),
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _redirect(scope: Scope, send: Send, location: str) -> None:
    query = scope.get("query_string", b"")
    target = quote(location, safe="/!$&'()*+,;=:@%-._~") + (("?" + query.decode("latin-1")) if query else "")
    body = redirect_page(target)
    headers = [
        (b"content-type", b"text/html; charset=UTF-8"),
        (b"content-length", str(len(body)).encode()),
        (b"content-security-policy", b"default-src 'none'"),
        (b"x-content-type-options", b"nosniff"),
        (b"location", target.encode()),
    ]
    await send({"type": "http.response.start", "status": 301, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def _date(value: bytes | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value.decode("latin-1")).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _etag_list(value: bytes) -> list[str]:
    return [part.strip() for part in value.decode("latin-1").split(",")]


def _weak_match(tags: list[str], etag: str) -> bool:
    bare = etag[2:] if etag.startswith("W/") else etag
    return any(t == "*" or (t[2:] if t.startswith("W/") else t) == bare for t in tags)


def _precondition_failed(request: Any, etag: str | None, mtime: float) -> bool:
    match = header(request, b"if-match")
    if match:
        tags = _etag_list(match)
        return not (etag and (match.strip() == b"*" or any(t == etag for t in tags)))
    since = _date(header(request, b"if-unmodified-since"))
    return since is not None and int(mtime) > since


def _fresh(request: Any, etag: str | None, mtime: float) -> bool:
    none_match = header(request, b"if-none-match")
    modified_since = header(request, b"if-modified-since")
    if not none_match and not modified_since:
        return False
    cache = header(request, b"cache-control")
    if cache and re.search(rb"(?:^|,)\s*?no-cache\s*?(?:,|$)", cache):
        return False
    if none_match and none_match.strip() != b"*" and (not etag or not _weak_match(_etag_list(none_match), etag)):
        return False
    if modified_since:
        since = _date(modified_since)
        if since is None or int(mtime) > since:
            return False
    return True


def _range_fresh(request: Any, etag: str | None, modified: str | None) -> bool:
    if_range = header(request, b"if-range")
    if not if_range:
        return True
    text = if_range.decode("latin-1").strip()
    if '"' in text:
        return etag is not None and etag != "" and etag in text
    return bool(modified) and _date(if_range) == _date(modified.encode() if modified else None)


def _parse_range(size: int, value: str) -> tuple[int, int] | int | None:
    """One satisfiable range (start, end); -1 when none is satisfiable; None to send the whole file
    (a malformed header, or several ranges, which send answers with the whole file)."""
    spec = value.split("=", 1)[1]
    found = []
    for part in spec.split(","):
        first, _, last = part.strip().partition("-")
        try:
            if first == "":
                start, end = size - int(last), size - 1
            else:
                start = int(first)
                end = int(last) if last else size - 1
        except ValueError:
            return None
        end = min(end, size - 1)
        if start < 0:
            start = 0
        if start > end or start >= size:
            continue
        found.append((start, end))
    if not found:
        return -1
    if len(found) > 1:
        merged = sorted(found)
        combined = [merged[0]]
        for start, end in merged[1:]:
            if start <= combined[-1][1] + 1:
                combined[-1] = (combined[-1][0], max(end, combined[-1][1]))
            else:
                combined.append((start, end))
        return combined[0] if len(combined) == 1 else None
    return found[0]
