"""Passwords: hashed with Argon2id; LoopBack's bcrypt hashes verified, and replaced at next login.

LoopBack 3 hashed with bcrypt, which reads only the first 72 bytes of a password (LoopBack
refused longer ones). lbpy hashes new passwords with Argon2id (argon2-cffi, the reference
implementation's bindings), which reads all of it. A user table migrated from LoopBack keeps its
bcrypt hashes: they verify, and ``needs_rehash`` says to store an Argon2id hash instead.

Hashing is slow on purpose (tens of milliseconds, tens of MiB): callers run it in a worker thread.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_BCRYPT = re.compile(r"^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$")
_ARGON2 = re.compile(r"^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$")


@dataclass(frozen=True)
class HashSettings:
    """Argon2id's cost: argon2-cffi's defaults (RFC 9106's low-memory profile) unless an app's
    ``auth.passwordHashing`` in server/config.json says otherwise."""

    time_cost: int = 3
    memory_cost: int = 65536  # KiB
    parallelism: int = 4

    @classmethod
    def from_config(cls, raw: Any) -> HashSettings:
        if not isinstance(raw, dict):
            return cls()
        values = {
            "time_cost": raw.get("timeCost", cls.time_cost),
            "memory_cost": raw.get("memoryCost", cls.memory_cost),
            "parallelism": raw.get("parallelism", cls.parallelism),
        }
        for name, value in values.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"auth.passwordHashing.{name} must be a positive integer, not {value!r}")
        if values["memory_cost"] < 8 * values["parallelism"]:
            raise ValueError("auth.passwordHashing.memoryCost must be at least 8 KiB per lane of parallelism")
        return cls(**values)


class Passwords:
    """Hashes and verifies passwords with one app's settings."""

    def __init__(self, settings: HashSettings | None = None) -> None:
        settings = settings or HashSettings()
        self.hasher = PasswordHasher(
            time_cost=settings.time_cost, memory_cost=settings.memory_cost, parallelism=settings.parallelism
        )
        # an unknown account is checked against this, so that it takes as long as a known one;
        # made at the first login, so that booting an app costs no hashing
        self._decoy: str | None = None

    def hash(self, plain: str) -> str:
        return self.hasher.hash(plain)

    def verify(self, plain: Any, stored: Any) -> tuple[bool, bool]:
        """(whether ``plain`` is the password ``stored`` hashes, whether to store a new hash)."""
        if not isinstance(plain, str) or not plain:
            self.spend_time()
            return False, False
        if isinstance(stored, str) and _BCRYPT.match(stored):
            encoded = plain.encode("utf-8")
            if len(encoded) > 72:
                return False, False  # LoopBack never stored such a password
            return bcrypt.checkpw(encoded, stored.encode("ascii")), True
        if not isinstance(stored, str) or not _ARGON2.match(stored):
            self.spend_time()
            return False, False
        try:
            self.hasher.verify(stored, plain)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, False
        return True, self.hasher.check_needs_rehash(stored)

    def spend_time(self) -> None:
        """What a failed verification costs, for a login that has no hash to check."""
        if self._decoy is None:
            self._decoy = self.hasher.hash(secrets.token_urlsafe(16))
        try:
            self.hasher.verify(self._decoy, "-")
        except VerificationError:
            pass


def is_hashed(value: Any) -> bool:
    """Whether ``value`` is already a password hash (a record read back and saved again, a user
    table migrated from LoopBack): stored as it is, as LoopBack kept its bcrypt hashes."""
    return isinstance(value, str) and bool(_BCRYPT.match(value) or _ARGON2.match(value))


def same_secret(given: Any, expected: Any) -> bool:
    """Constant-time comparison of two secrets (tokens, verification tokens)."""
    if not isinstance(given, str) or not isinstance(expected, str) or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
