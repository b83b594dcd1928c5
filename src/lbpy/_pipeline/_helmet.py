"""``helmet`` 3 and each ``helmet#<name>``: fixed security headers, as helmet 3.23 writes them.

Every one of them is a fixed list of headers (and ``hidePoweredBy`` a header taken away), so
adjacent helmet entries are served by one layer that adds them all.
"""

from __future__ import annotations

from typing import Any

from .._errors import BootError

Headers = list[tuple[bytes, bytes]]


def _xss_filter(o: dict[str, Any]) -> Headers:
    value = "1; mode=block" + (f"; report={o['reportUri']}" if o.get("reportUri") else "")
    return [(b"x-xss-protection", value.encode())]


def _frameguard(o: dict[str, Any]) -> Headers:
    action = str(o.get("action", "sameorigin")).lower()
    if action == "deny":
        return [(b"x-frame-options", b"DENY")]
    if action == "sameorigin":
        return [(b"x-frame-options", b"SAMEORIGIN")]
    if action == "allow-from" and isinstance(o.get("domain"), str):
        return [(b"x-frame-options", f"ALLOW-FROM {o['domain']}".encode())]
    raise ValueError('action must be "deny", "sameorigin" or "allow-from" with a "domain"')


def _hsts(o: dict[str, Any]) -> Headers:
    max_age = o.get("maxAge", 15552000)
    if not isinstance(max_age, (int, float)) or isinstance(max_age, bool) or max_age < 0:
        raise ValueError("maxAge must be a number of seconds, 0 or more")
    sub = o.get("includeSubDomains", o.get("includeSubdomains", True))
    value = (
        f"max-age={round(max_age)}" + ("; includeSubDomains" if sub else "") + ("; preload" if o.get("preload") else "")
    )
    return [(b"strict-transport-security", value.encode())]


def _ie_no_open(o: dict[str, Any]) -> Headers:
    return [(b"x-download-options", b"noopen")]


def _no_sniff(o: dict[str, Any]) -> Headers:
    return [(b"x-content-type-options", b"nosniff")]


def _no_cache(o: dict[str, Any]) -> Headers:
    return [
        (b"surrogate-control", b"no-store"),
        (b"cache-control", b"no-store, no-cache, must-revalidate, proxy-revalidate"),
        (b"pragma", b"no-cache"),
        (b"expires", b"0"),
    ]


def _dns_prefetch_control(o: dict[str, Any]) -> Headers:
    return [(b"x-dns-prefetch-control", b"on" if o.get("allow") else b"off")]


def _referrer_policy(o: dict[str, Any]) -> Headers:
    policy = o.get("policy", "no-referrer")
    value = ",".join(policy) if isinstance(policy, list) else str(policy)
    return [(b"referrer-policy", value.encode())]


def _permitted_cross_domain_policies(o: dict[str, Any]) -> Headers:
    return [(b"x-permitted-cross-domain-policies", str(o.get("permittedPolicies", "none")).encode())]


def _kebab(name: str) -> str:
    return "".join("-" + c.lower() if c.isupper() else c for c in name)


def _content_security_policy(o: dict[str, Any]) -> Headers:
    directives = o.get("directives")
    if not isinstance(directives, dict) or not directives:
        raise ValueError('needs "directives", e.g. {"defaultSrc": ["\'self\'"]}')
    parts = []
    for name, value in directives.items():
        key = _kebab(name) if "-" not in name else name
        if value is True:
            parts.append(key)
        elif value is False or value is None:
            continue
        else:
            values = value if isinstance(value, list) else [value]
            parts.append(" ".join([key, *(str(v) for v in values)]))
    name = b"content-security-policy-report-only" if o.get("reportOnly") else b"content-security-policy"
    return [(name, "; ".join(parts).encode())]


def _expect_ct(o: dict[str, Any]) -> Headers:
    parts = ["enforce"] if o.get("enforce") else []
    parts.append(f"max-age={int(o.get('maxAge', 0))}")
    if o.get("reportUri"):
        parts.append(f'report-uri="{o["reportUri"]}"')
    return [(b"expect-ct", ", ".join(parts).encode())]


_HEADERS = {
    "xssFilter": _xss_filter,
    "frameguard": _frameguard,
    "hsts": _hsts,
    "ieNoOpen": _ie_no_open,
    "noSniff": _no_sniff,
    "noCache": _no_cache,
    "dnsPrefetchControl": _dns_prefetch_control,
    "referrerPolicy": _referrer_policy,
    "permittedCrossDomainPolicies": _permitted_cross_domain_policies,
    "contentSecurityPolicy": _content_security_policy,
    "expectCt": _expect_ct,
}
#: what helmet() turns on when called with no options (helmet 3.23)
_DEFAULTS = ("dnsPrefetchControl", "frameguard", "hidePoweredBy", "hsts", "ieNoOpen", "noSniff", "xssFilter")
NAMES = frozenset([*_HEADERS, "hidePoweredBy"])


def helmet_headers(name: str, params: Any, where: str) -> tuple[Headers, bool, bytes | None]:
    """(headers to add, whether X-Powered-By goes, a value to set it to instead) for ``helmet`` or
    ``helmet#<name>`` with ``params`` (an object, or a one-item list holding it)."""
    options = params[0] if isinstance(params, list) and params else params
    options = options if isinstance(options, dict) else {}
    try:
        if name == "":
            out: Headers = []
            for part in _DEFAULTS:
                if part != "hidePoweredBy" and options.get(part, {}) is not False:
                    sub = options.get(part)
                    out += _HEADERS[part](sub if isinstance(sub, dict) else {})
            return out, options.get("hidePoweredBy", {}) is not False, None
        if name == "hidePoweredBy":
            set_to = options.get("setTo")
            return [], True, str(set_to).encode() if set_to is not None else None
        return _HEADERS[name](options), False, None
    except ValueError as exc:
        raise BootError(f"{where}: {exc}") from None
