"""The facility classification in force: list it, and add a deployment's own classes."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api import models as m
from gis.errors import ConflictError, InputError
from gis.facility_classes import MAJOR_CLASSES


def list_classes(engine: Engine) -> list[dict]:
    """Every facility class, by code."""
    k = m.facility_class
    with engine.connect() as conn:
        rows = conn.execute(sa.select(k).order_by(k.c.code))
        return [dict(r._mapping) for r in rows]


def add_class(
    engine: Engine,
    code: str,
    name: str,
    *,
    name_en: str | None = None,
    major_name: str | None = None,
) -> dict:
    """Add a class of a deployment's own (e.g. ``0124 高杆灯``).

    Parameters
    ----------
    code : str
        4 digits: 2-digit major class + 2-digit minor class.
    name : str
        Chinese name, unique.
    major_name : str, optional
        Name of the major class; needed only for a major class not in the standard list.

    Raises
    ------
    InputError
        If the code is not 4 digits or a new major class has no name.
    ConflictError
        If the code or the name is taken.
    """
    if not re.fullmatch(r"\d{4}", code or ""):
        raise InputError(
            f"class code {code!r} is not 4 digits", fix="e.g. 0124 (major 01, minor 24)"
        )
    major = major_name or MAJOR_CLASSES.get(code[:2])
    if major is None:
        raise InputError(
            f"major class {code[:2]} is not a standard one", fix="name it with --major-name"
        )
    row = {"code": code, "name": name.strip(), "name_en": name_en, "major_code": code[:2],
           "major_name": major, "builtin": False}  # fmt: skip
    try:
        with engine.begin() as conn:
            conn.execute(m.facility_class.insert().values(**row))
    except sa.exc.IntegrityError:
        raise ConflictError(
            f"a facility class with code {code} or name {name!r} exists already",
            fix="list the classes with 'wangge classes list'",
        ) from None
    return row
