"""Roles and scopes: who may see and change what.

Roles are ordered: a role may do everything a lower role may. The scope of an account is an
administrative code; codes nest by prefix (9-digit street ⊃ 12-digit community ⊃ 15-digit
grid), so an account covers a place when the place's code starts with the account's scope.
Admins have no scope: they cover everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from gis.errors import InputError


class Role(IntEnum):
    """The roles, lowest first. ``PUBLIC`` is everyone, logged in or not."""

    PUBLIC = 0
    GRID_WORKER = 1
    COMMUNITY_STAFF = 2
    STREET_OFFICE = 3
    ADMIN = 4

    @property
    def label(self) -> str:
        """The role's name as stored and typed, e.g. ``grid_worker``."""
        return self.name.lower()

    @property
    def title_zh(self) -> str:
        """The role's name in Chinese, for pages."""
        return _TITLES[self]

    @classmethod
    def parse(cls, value: str) -> Role:
        """The role named ``value`` (``street_office``, ``STREET_OFFICE`` or ``街道``).

        Raises
        ------
        InputError
            If no role has that name, listing the roles.
        """
        text = value.strip()
        for role in cls:
            if text.lower() == role.label or text == role.title_zh:
                return role
        names = ", ".join(r.label for r in LOGIN_ROLES)
        raise InputError(f"unknown role {value!r}", fix=f"use one of: {names}")


_TITLES = {
    Role.PUBLIC: "公众",
    Role.GRID_WORKER: "网格员",
    Role.COMMUNITY_STAFF: "社区工作人员",
    Role.STREET_OFFICE: "街道办事处",
    Role.ADMIN: "系统管理员",
}

#: The roles an account can have (``public`` needs no account).
LOGIN_ROLES = (Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.STREET_OFFICE, Role.ADMIN)

#: The length of the scope code each role answers for.
SCOPE_LENGTH = {Role.GRID_WORKER: 15, Role.COMMUNITY_STAFF: 12, Role.STREET_OFFICE: 9}

_CODE = re.compile(r"^[0-9]{9}(?:[0-9]{3}(?:[0-9]{3})?)?$")


def check_scope(role: Role, scope: str | None) -> str | None:
    """Check that ``scope`` suits ``role`` and return it.

    A grid worker answers for a 15-digit grid (or a whole community, 12 digits), community
    staff for a 12-digit community, a street office for a 9-digit street; admins have none.

    Raises
    ------
    InputError
        If the scope is missing, malformed or wider than the role allows.
    """
    if role is Role.ADMIN:
        if scope:
            raise InputError("an admin has no scope", fix="leave --scope out for admins")
        return None
    if role is Role.PUBLIC:
        raise InputError("public is not an account role", fix="pick a role that logs in")
    if not scope or not _CODE.match(scope):
        raise InputError(
            f"a {role.label} needs a scope code, got {scope!r}",
            fix="give the 9-digit street, 12-digit community or 15-digit grid code",
        )
    if len(scope) < SCOPE_LENGTH[role] and not (role is Role.GRID_WORKER and len(scope) == 12):
        raise InputError(
            f"scope {scope} is too wide for a {role.label}",
            fix=f"give a {SCOPE_LENGTH[role]}-digit code",
        )
    return scope


@dataclass(frozen=True)
class Principal:
    """Who is asking: an account, or the anonymous public.

    Attributes
    ----------
    role : Role
        The account's role; ``Role.PUBLIC`` when not logged in.
    user_id : int or None
        The account's id; ``None`` for the public and for system actors (the CLI).
    name : str
        The account's name (``"公众"`` for the public, ``"cli:root"`` for the CLI).
    scope : str or None
        The code the account answers for; ``None`` = everywhere (admins, the CLI).
    """

    role: Role
    user_id: int | None = None
    name: str = "公众"
    scope: str | None = None

    @property
    def authenticated(self) -> bool:
        """Whether this is a logged-in account (or a system actor), not the public."""
        return self.role is not Role.PUBLIC

    def covers(self, code: str) -> bool:
        """Whether this principal answers for the place with administrative code ``code``.

        Covering goes downwards only: a street's scope covers its communities and grids, a
        grid worker's grid does not cover its community. Admins and system actors (the CLI:
        logged in, no scope) cover everything; the public covers nothing.
        """
        if not self.authenticated:
            return False
        if self.scope is None:
            return True
        return code.startswith(self.scope)

    def actor(self) -> dict:
        """What the audit log records of this principal."""
        return {"id": self.user_id, "name": self.name, "role": self.role.label}


#: The anonymous public.
ANONYMOUS = Principal(Role.PUBLIC)
