"""Grid plans in PostGIS: partition the stored layers into a draft, check it, publish it.

A plan is one partitioner run over some communities, stored with its grids, the grid of
every building and the run's quality measures. Publishing checks the draft (every
building of its communities in exactly one grid; each grid one polygon; the grids tile
their community; households in band unless flagged or excused), supersedes the plans it
replaces and keeps the code registry: codes kept stay active, codes no longer present are
withdrawn with a date and a reason, new codes are entered, and a withdrawn code is never
issued again (DB11/T 2157-2023: 有效/作废).

Dates: a plan is in force from ``effective_from`` up to, not including, ``effective_to``;
a withdrawn code's ``valid_to`` is likewise the first day it is no longer valid.

Before publishing, a draft can be edited building by building (with a version check),
its grids locked and the rest partitioned again, validated, compared with another plan
and exported; a plan can be imported as a draft from a CSV of assignments or a grid
layer. Long runs are jobs with progress (:mod:`api.plans.jobs`).

The geometry work is done by :mod:`gis` (:mod:`gis.regrid` for edits); this package
moves frames in and out of the database with SQLAlchemy Core and bound values.
"""

from api.plans.comparing import diff, validation
from api.plans.drafts import create_draft
from api.plans.editing import move_buildings
from api.plans.exporting import export_plan
from api.plans.layers import REASON_REPARTITION, code_history
from api.plans.locking import set_lock
from api.plans.managing import delete_draft, rename_plan
from api.plans.publishing import publish
from api.plans.reading import (
    band_exceptions,
    get_plan,
    grids_in_force,
    list_plans,
    plan_buildings,
    plan_grids,
)
from api.plans.rerun import rerun

__all__ = [
    "REASON_REPARTITION",
    "band_exceptions",
    "code_history",
    "create_draft",
    "delete_draft",
    "diff",
    "export_plan",
    "get_plan",
    "grids_in_force",
    "list_plans",
    "move_buildings",
    "plan_buildings",
    "plan_grids",
    "publish",
    "rename_plan",
    "rerun",
    "set_lock",
    "validation",
]
