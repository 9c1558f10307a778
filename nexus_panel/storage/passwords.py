"""Password hashing (argon2id) and the password policy.

Why argon2id with these parameters: it is the memory-hard hash OWASP recommends, and
19 MiB with 2 passes is OWASP's baseline configuration for it. Measured here (2 shared
cores, under load from other work): about 80 ms per verification, where 64 MiB x 3 passes
took 1.2 s and 46 MiB x 2 passes 0.35 s, over the issue's ~250 ms for one login
(``nexus-panel bench --only accounts`` reports the figure). The parameters are kept
in every hash (PHC string), so raising them later needs no migration: a hash made with
older parameters is replaced at the user's next successful login (:func:`needs_rehash`).

A password is only ever passed to :func:`hash_password` and :func:`verify`; nothing here
logs or returns it, and the policy's messages never repeat it.
"""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from nexus_panel.models import FieldError, ValidationError

MIN_LENGTH = 12
MAX_LENGTH = 1024
"""Longest password accepted (argon2 takes any length; this bounds one request's work)."""
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32,
                        salt_len=16, type=Type.ID)
POLICY = (f"{MIN_LENGTH} to {MAX_LENGTH} characters, not the user name, "
          "no control characters")


class _Hidden:
    """Stands in for a password in a ValidationError, so the error never echoes it."""

    def __repr__(self) -> str:
        return "(hidden)"

    __str__ = __repr__


def check_policy(password: Any, user: str, field: str = "password") -> str:
    """``password`` if it meets the policy, else a ValidationError naming ``field``
    (with the value hidden)."""
    ok = (isinstance(password, str) and MIN_LENGTH <= len(password) <= MAX_LENGTH
          and password.isprintable()
          and password.strip().casefold() != user.strip().casefold())
    if not ok:
        raise ValidationError([FieldError(field, _Hidden(), POLICY)])
    return password


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; a malformed stored hash is a mismatch, not a crash."""
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than :data:`HASHER`'s."""
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


DUMMY_HASH = HASHER.hash("an unknown user's password is checked against this")
"""Verified for unknown user names, so a login takes as long whether the name exists or
not (no user enumeration by timing)."""
