"""Masking of personal data: the one place that decides who sees a reporter's contact.

Residents who report incidents and the parties to a dispute are personal data. A role sees
them only where it needs them for its work, within its scope:

- the reporter's name and phone: grid workers, community staff and street offices who
  answer for the incident's grid (to call the reporter back);
- the dispute parties: community staff and street offices (who mediate), not grid workers;
- everyone else (the public, admins, anyone outside the scope) gets masked values:
  ``王*``, ``138****5678``, ``***``.

Every API answer and export that carries these fields goes through :func:`mask_incident`.
"""

from __future__ import annotations

from collections.abc import Mapping

from api.auth.roles import Principal, Role

#: The personal fields of an incident.
PERSONAL_FIELDS = ("reporter_name", "reporter_phone", "parties")

_CONTACT_ROLES = (Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.STREET_OFFICE)
_PARTIES_ROLES = (Role.COMMUNITY_STAFF, Role.STREET_OFFICE)


def mask_name(name: str) -> str:
    """Keep the family name (the first character): ``王芳`` → ``王*``."""
    text = name.strip()
    return text[:1] + "*" * max(1, min(len(text) - 1, 3)) if text else ""


def mask_phone(phone: str) -> str:
    """Keep the first 3 and last 4 digits of a mobile, the last 4 of any other number."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    return "****" + digits[-4:] if len(digits) > 4 else "****"


def _place(row: Mapping) -> str:
    return str(row.get("grid_code") or row.get("community_code") or "")


def sees_contact(principal: Principal, row: Mapping) -> bool:
    """Whether ``principal`` may see the reporter's name and phone of incident ``row``."""
    place = _place(row)
    return principal.role in _CONTACT_ROLES and bool(place) and principal.covers(place)


def sees_parties(principal: Principal, row: Mapping) -> bool:
    """Whether ``principal`` may see the parties of dispute ``row``."""
    place = str(row.get("community_code") or "")
    return principal.role in _PARTIES_ROLES and bool(place) and principal.covers(place)


def mask_incident(row: Mapping, principal: Principal) -> dict:
    """A copy of incident ``row``, personal fields masked where ``principal`` may not see them.

    Empty values stay empty, so a masked answer does not pretend a contact was given.
    """
    out = dict(row)
    if not sees_contact(principal, row):
        if out.get("reporter_name"):
            out["reporter_name"] = mask_name(out["reporter_name"])
        if out.get("reporter_phone"):
            out["reporter_phone"] = mask_phone(out["reporter_phone"])
    if not sees_parties(principal, row) and out.get("parties"):
        out["parties"] = "***"
    return out
