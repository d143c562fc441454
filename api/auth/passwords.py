"""Password hashing (argon2id through pwdlib) and the rules a new password must meet."""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from gis.errors import InputError

#: The shortest password accepted.
MIN_LENGTH = 8


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted: two calls give different hashes)."""
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """Whether ``password`` matches ``password_hash``; a malformed hash never matches."""
    try:
        return _hasher().verify(password, password_hash)
    except Exception:  # noqa: BLE001  (pwdlib raises its own errors for unknown hashes)
        return False


def dummy_verify() -> None:
    """Spend the time of one verification, so an unknown user name is not told by timing."""
    verify_password("not the password", _dummy_hash())


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("wangge-dummy-password")


def check_new_password(password: str, *, name: str = "") -> str:
    """Check a new password and return it.

    Raises
    ------
    InputError
        If it is shorter than :data:`MIN_LENGTH`, all one character, or the user's name.
    """
    if len(password) < MIN_LENGTH:
        raise InputError(
            f"the password is too short ({len(password)} characters)",
            fix=f"use at least {MIN_LENGTH} characters",
        )
    if len(set(password)) == 1 or (name and password.strip().lower() == name.strip().lower()):
        raise InputError("the password is too easy to guess", fix="choose another password")
    return password
