"""Grid staff (AB岗): ``/grids/{code}/staff`` and ``/staff/{id}``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine

from api import staff
from api.access import require_scope
from api.deps import get_engine
from api.params import RowId

router = APIRouter(tags=["staff"])

_POST = "A: specialised duty (专职); B: the grid (网格)"
_PHONE = "mobile (13812345678) or landline (025-84321234)"


class StaffNew(BaseModel):
    """A person to add to a grid. Values are checked by :func:`api.staff.check_fields`."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="姓名", examples=["王芳"])
    post: str = Field(description=_POST, examples=["B"])
    duties: str = Field("", description="duties (职责)")
    phone: str = Field(description=_PHONE, examples=["13812345678"])
    photo_path: str | None = Field(None, description="relative path of a photo")


class StaffChange(BaseModel):
    """Fields to change; those left out keep their values."""

    model_config = ConfigDict(extra="forbid")

    grid_code: str | None = Field(None, description="move the person to this grid")
    name: str | None = None
    post: str | None = Field(None, description=_POST)
    duties: str | None = None
    phone: str | None = Field(None, description=_PHONE)
    photo_path: str | None = None


class Staff(BaseModel):
    """A grid worker as stored."""

    id: int
    grid_code: str
    name: str
    post: Literal["A", "B"]
    duties: str
    phone: str
    photo_path: str | None
    created_at: datetime
    updated_at: datetime


_UNKNOWN_GRID: dict[int | str, dict[str, Any]] = {
    404: {"description": "no grid with this code was ever published"}
}
_UNKNOWN_PERSON: dict[int | str, dict[str, Any]] = {404: {"description": "no such staff member"}}


@router.get(
    "/grids/{code}/staff", response_model=list[Staff], summary="A grid's staff",
    responses=_UNKNOWN_GRID,
)  # fmt: skip
def list_staff(code: str, engine: Engine = Depends(get_engine)) -> list[dict]:
    """The people who answer for grid ``code``, A posts first."""
    return staff.list_staff(engine, code)


@router.post(
    "/grids/{code}/staff", status_code=201, response_model=Staff, summary="Add a person to a grid",
    responses={**_UNKNOWN_GRID, 409: {"description": "the grid code was withdrawn"}},
)  # fmt: skip
def add_staff(code: str, person: StaffNew, engine: Engine = Depends(get_engine)) -> dict:
    """Add a grid worker; 422 names a bad phone number, post or empty name."""
    return staff.add_staff(engine, code, person.model_dump())


@router.get(
    "/staff/{staff_id}", response_model=Staff, summary="One staff member", responses=_UNKNOWN_PERSON
)
def get_staff(staff_id: RowId, engine: Engine = Depends(get_engine)) -> dict:
    """A grid worker."""
    return staff.get_staff(engine, staff_id)


@router.patch(
    "/staff/{staff_id}", response_model=Staff, summary="Change a staff member",
    responses=_UNKNOWN_PERSON,
)  # fmt: skip
def update_staff(
    staff_id: RowId, change: StaffChange, request: Request, engine: Engine = Depends(get_engine)
) -> dict:
    """Change the fields given; ``grid_code`` moves the person to another grid in force.

    Both the person's grid and the grid moved to must lie in the caller's scope.
    """
    require_scope(request, staff.get_staff(engine, staff_id)["grid_code"])
    if change.grid_code:
        require_scope(request, change.grid_code)
    return staff.update_staff(engine, staff_id, change.model_dump(exclude_unset=True))


@router.delete(
    "/staff/{staff_id}", status_code=204, response_class=Response,
    summary="Remove a staff member", responses=_UNKNOWN_PERSON,
)  # fmt: skip
def delete_staff(
    staff_id: RowId, request: Request, engine: Engine = Depends(get_engine)
) -> Response:
    """Remove a grid worker; the person's grid must lie in the caller's scope."""
    require_scope(request, staff.get_staff(engine, staff_id)["grid_code"])
    staff.delete_staff(engine, staff_id)
    return Response(status_code=204)
