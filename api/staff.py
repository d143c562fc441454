"""Grid staff (网格员) under the AB-post system (AB岗): who answers for each grid.

Each person has a post: **A** for their specialised duty, **B** for their grid; the A and B
of a grid stand in for each other. Staff refer to a grid by its code in the code registry;
a code is never reused, so a person stays attached to the grid they were given even after a
new partition withdraws it (they are then moved with ``update_staff``).

Values are checked here, not only in the HTTP layer, so that every caller gets the same
rules and the same messages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from api import models as m
from gis.errors import ConflictError, InputError, NotFoundError

#: A mainland mobile number: 1, then 3–9, then nine digits.
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
#: A landline: optional area code (0 + 2–3 digits, dash optional), a 7–8 digit number
#: (a dash allowed before its last four digits), optional extension after a dash.
LANDLINE = re.compile(r"^(?:0[0-9]{2,3}-?)?[2-9][0-9]{2,3}-?[0-9]{4}(?:-[0-9]{1,6})?$")
FIELDS = ("grid_code", "name", "post", "duties", "phone", "photo_path")
_LIMITS = {"name": 50, "duties": 1000, "photo_path": 255}


def normalise_phone(phone: str) -> str:
    """A phone number without spaces, checked to be a mobile or a landline.

    Raises
    ------
    InputError
        If it is neither.

    Examples
    --------
    >>> normalise_phone("138 0013 8000")
    '13800138000'
    >>> normalise_phone("025-8432 1234")
    '025-84321234'
    """
    compact = re.sub(r"\s+", "", phone)
    if MOBILE.match(compact) or LANDLINE.match(compact):
        return compact
    raise InputError(
        f"phone {phone!r} is neither a mobile number nor a landline",
        fix="give 11 digits starting 13–19 (e.g. 13812345678), or a landline of digits and "
        "dashes (e.g. 025-84321234)",
    )


def _text(name: str, value: object, *, required: bool) -> str | None:
    if value is None:
        if required:
            raise InputError(f"{name} is required", fix=f"give the {name}")
        return None
    if not isinstance(value, str):
        raise InputError(f"{name} must be text", fix=f"give the {name} as a string")
    text = value.strip()
    if required and not text:
        raise InputError(f"{name} is empty", fix=f"give the {name}")
    limit = _LIMITS.get(name)
    if limit and len(text) > limit:
        raise InputError(f"{name} is longer than {limit} characters", fix="shorten it")
    return text


def check_fields(values: Mapping[str, object]) -> dict:
    """Check and normalise the staff fields present in ``values``.

    Raises
    ------
    InputError
        An unknown field, an empty name, a post other than A or B, a bad phone number, a
        photo path that leaves the photo folder, or text over its length limit.
    """
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise InputError(
            f"unknown staff field {', '.join(unknown)}", fix=f"use {', '.join(FIELDS)}"
        )
    clean: dict = {}
    for name in ("name", "grid_code"):
        if name in values:
            clean[name] = _text(name, values[name], required=True)
    if "post" in values:
        post = (_text("post", values["post"], required=True) or "").upper()
        if post not in m.STAFF_POSTS:
            raise InputError(
                f"post {values['post']!r} is neither A nor B",
                fix="give A (specialised duty, 专职) or B (the grid, 网格)",
            )
        clean["post"] = post
    if "duties" in values:
        clean["duties"] = _text("duties", values["duties"], required=False) or ""
    if "phone" in values:
        clean["phone"] = normalise_phone(_text("phone", values["phone"], required=True) or "")
    if "photo_path" in values:
        path = _text("photo_path", values["photo_path"], required=False) or None
        if path and (path.startswith(("/", "\\")) or ".." in re.split(r"[\\/]", path)):
            raise InputError(
                f"photo path {path!r} leaves the photo folder", fix="give a relative path"
            )
        clean["photo_path"] = path
    return clean


def _require_grid(conn: Connection, code: str, *, active: bool) -> None:
    r = m.grid_code_registry
    status = conn.execute(sa.select(r.c.status).where(r.c.code == code)).scalar_one_or_none()
    if status is None:
        raise NotFoundError(
            f"there is no grid {code}",
            fix="give the 15-digit code of a published grid (see GET /grids)",
        )
    if active and status != "active":
        raise ConflictError(
            f"grid {code} was withdrawn; staff cannot be assigned to it",
            fix="assign them to a grid in force (see GET /grids)",
        )


def _staff_row(conn: Connection, staff_id: int) -> dict:
    s = m.grid_staff
    row = conn.execute(sa.select(s).where(s.c.id == staff_id)).mappings().one_or_none()
    if row is None:
        raise NotFoundError(f"there is no staff member {staff_id}", fix="list a grid's staff")
    return dict(row)


def _order() -> tuple[sa.ColumnElement, ...]:
    s = m.grid_staff
    return s.c.post, s.c.name, s.c.id


def list_staff(engine: Engine, grid_code: str) -> list[dict]:
    """The staff of a grid, A posts first.

    Raises
    ------
    NotFoundError
        If the code was never issued.
    """
    s = m.grid_staff
    with engine.connect() as conn:
        _require_grid(conn, grid_code, active=False)
        rows = conn.execute(sa.select(s).where(s.c.grid_code == grid_code).order_by(*_order()))
        return [dict(r) for r in rows.mappings()]


def get_staff(engine: Engine, staff_id: int) -> dict:
    """One staff member.

    Raises
    ------
    NotFoundError
        No such person.
    """
    with engine.connect() as conn:
        return _staff_row(conn, staff_id)


def add_staff(engine: Engine, grid_code: str, values: Mapping[str, object]) -> dict:
    """Add a person to a grid in force.

    Parameters
    ----------
    engine : Engine
        The database.
    grid_code : str
        The grid's 15-digit code.
    values : mapping
        ``name``, ``post`` (A or B) and ``phone`` are required; ``duties`` and
        ``photo_path`` optional.

    Raises
    ------
    NotFoundError
        The code was never issued.
    ConflictError
        The code was withdrawn.
    InputError
        A missing or bad value (see :func:`check_fields`).
    """
    clean = check_fields({**values, "grid_code": grid_code})
    for name in ("name", "post", "phone"):
        if name not in clean:
            raise InputError(f"{name} is required", fix=f"give the {name}")
    s = m.grid_staff
    with engine.begin() as conn:
        _require_grid(conn, grid_code, active=True)
        row = conn.execute(s.insert().values(**clean).returning(*s.c)).mappings().one()
    return dict(row)


def update_staff(engine: Engine, staff_id: int, values: Mapping[str, object]) -> dict:
    """Change some fields of a person (moving them to another grid with ``grid_code``).

    Raises
    ------
    NotFoundError
        No such person, or the new grid code was never issued.
    ConflictError
        The new grid code was withdrawn.
    InputError
        A bad value (see :func:`check_fields`).
    """
    clean = check_fields(values)
    s = m.grid_staff
    with engine.begin() as conn:
        current = _staff_row(conn, staff_id)
        if clean.get("grid_code", current["grid_code"]) != current["grid_code"]:
            _require_grid(conn, clean["grid_code"], active=True)
        if not clean:
            return current
        row = conn.execute(
            s.update().where(s.c.id == staff_id)
            .values(**clean, updated_at=sa.func.now()).returning(*s.c)
        ).mappings().one()  # fmt: skip
    return dict(row)


def delete_staff(engine: Engine, staff_id: int) -> None:
    """Remove a person.

    Raises
    ------
    NotFoundError
        No such person.
    """
    s = m.grid_staff
    with engine.begin() as conn:
        if not conn.execute(s.delete().where(s.c.id == staff_id)).rowcount:
            raise NotFoundError(f"there is no staff member {staff_id}", fix="list a grid's staff")
