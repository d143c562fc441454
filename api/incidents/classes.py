"""The incident classification in force (``incident_class``): list, and add a deployment's own."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api import models as m
from gis.errors import ConflictError, InputError
from gis.incidents.classes import kind_of

_CODE = re.compile(r"^[0-9]{2}([0-9]{2})?$")


def list_classes(engine: Engine) -> list[dict]:
    """Every class, majors before their subclasses, by code."""
    c = m.incident_class
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(c).order_by(c.c.code)).mappings()]


def add_class(engine: Engine, code: str, name: str, deadline_hours: float | None = None) -> dict:
    """Add a class; a subclass (4 digits) needs its major class and a deadline.

    Raises
    ------
    InputError
        For a malformed code, a subclass without a major class or deadline, an empty name.
    ConflictError
        If the code is taken.
    """
    c = m.incident_class
    if not _CODE.match(code or "") or code[:2] in ("00", "50"):
        raise InputError(
            f"{code!r} is not a class code",
            fix="2 digits for a major class, 4 for a subclass; 01–49 events, 51–99 disputes",
        )
    if not name.strip():
        raise InputError("the class name is empty", fix="give a Chinese name")
    subclass = len(code) == 4
    if subclass and (deadline_hours is None or deadline_hours <= 0):
        raise InputError(
            f"subclass {code} needs a deadline", fix="give the handling deadline in hours"
        )
    with engine.begin() as conn:
        if conn.execute(sa.select(c.c.code).where(c.c.code == code)).first():
            raise ConflictError(f"class {code} exists", fix="pick another code")
        if subclass and not conn.execute(sa.select(c.c.code).where(c.c.code == code[:2])).first():
            raise InputError(f"major class {code[:2]} does not exist", fix=f"add {code[:2]} first")
        row = {
            "code": code, "name": name.strip(), "parent_code": code[:2] if subclass else None,
            "kind": kind_of(code), "deadline_hours": deadline_hours, "builtin": False,
        }  # fmt: skip
        conn.execute(c.insert().values(row))
    return row
