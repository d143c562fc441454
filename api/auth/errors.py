"""Errors of login and access, mapped to 401/403/429 by :data:`api.errors.STATUS`."""

from __future__ import annotations

from gis.errors import WanggeError


class NotAuthenticated(WanggeError):
    """The request needs a login: no token, or one that expired or was revoked."""


class Forbidden(WanggeError):
    """The account is logged in but its role or scope does not allow this."""


class TooManyAttempts(WanggeError):
    """Too many failed logins: wait before trying again."""

    def __init__(self, message: str, *, retry_after: int, fix: str | None = None) -> None:
        super().__init__(message, fix=fix)
        self.retry_after = retry_after
