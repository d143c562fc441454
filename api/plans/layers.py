"""Reading the partitioner's inputs from PostGIS into GeoDataFrames."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api import models as m
from gis.errors import InputError, NotFoundError

#: Reason recorded for a code withdrawn because its community was partitioned again.
REASON_REPARTITION = "重新划分"
PUBLISH_LOCK = 0x77616E67  # one publication at a time: plans and registry change together
LISTED = 10  # items named in one failure line


@dataclass(frozen=True)
class StoredLayers:
    """The partitioner's inputs read from the database, in EPSG:4326.

    Attributes
    ----------
    communities : GeoDataFrame
        ``code``, ``name``.
    buildings : GeoDataFrame
        ``key`` (= ``building.id``), ``households``, ``compound`` (the compound's
        ``source_key``, or the building's unmatched compound reference), ``community_code``.
    compounds : GeoDataFrame
        ``source_id`` (= ``compound.source_key``, the key buildings refer to), ``name``.
    """

    communities: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame


def read_frame(conn: Connection, query: sa.Select) -> gpd.GeoDataFrame:
    """Run ``query`` (whose ``geometry`` column is WKB) into a GeoDataFrame in EPSG:4326."""
    names = [c.name for c in query.selected_columns]
    data = pd.DataFrame(conn.execute(query).all(), columns=names)
    wkb = data.pop("geometry").to_numpy()
    return gpd.GeoDataFrame(data, geometry=shapely.from_wkb(wkb), crs=m.SRID)


def as_wkb(column: sa.ColumnElement) -> sa.ColumnElement:
    """A geometry column selected as WKB under the name ``geometry``."""
    return sa.func.ST_AsBinary(column, type_=sa.LargeBinary).label("geometry")


def select_communities(conn: Connection, requested: Iterable[str] | None = None) -> list[str]:
    """The community codes to partition: the requested ones, or every stored one.

    Raises
    ------
    InputError
        If no community is stored.
    NotFoundError
        If a requested code is not stored.
    """
    query = sa.select(m.community.c.code).order_by(m.community.c.code)
    stored = list(conn.execute(query).scalars())
    if not stored:
        raise InputError(
            "there are no communities in the database to partition",
            fix="import the community boundaries first: wangge import communities FILE",
        )
    wanted = sorted(set(requested or ()))
    if not wanted:
        return stored
    missing = sorted(set(wanted) - set(stored))
    if missing:
        raise NotFoundError(
            f"no community with code {', '.join(missing[:LISTED])} in the database",
            fix="give 12-digit codes of imported communities (see /api/summary)",
        )
    return wanted


def _buildings_query(codes: list[str]) -> sa.Select:
    """Buildings of communities ``codes``: ``key`` (id), households, compound key, community."""
    b, c = m.building, m.compound
    compound_key = sa.func.coalesce(c.c.source_key, sa.literal("ref:") + b.c.compound_ref)
    return (
        sa.select(
            b.c.id.label("key"), b.c.households, compound_key.label("compound"),
            b.c.community_code,
        )
        .select_from(b.outerjoin(c, c.c.id == b.c.compound_id))
        .where(b.c.community_code.in_(codes))
        .order_by(b.c.id)
    )  # fmt: skip


def building_table(conn: Connection, codes: list[str]) -> pd.DataFrame:
    """The buildings of communities ``codes`` without footprints (what counting needs)."""
    return pd.DataFrame(conn.execute(_buildings_query(codes)).mappings().all(),
                        columns=["key", "households", "compound", "community_code"])  # fmt: skip


def load_layers(conn: Connection, codes: list[str]) -> StoredLayers:
    """Read communities ``codes``, their buildings and the compounds they stand in."""
    k, b, c = m.community, m.building, m.compound
    communities = read_frame(
        conn, sa.select(k.c.code, k.c.name, as_wkb(k.c.boundary)).where(k.c.code.in_(codes))
        .order_by(k.c.code),
    )  # fmt: skip
    buildings = read_frame(conn, _buildings_query(codes).add_columns(as_wkb(b.c.footprint)))
    used = sa.select(b.c.compound_id).where(b.c.community_code.in_(codes))
    compounds = read_frame(
        conn,
        sa.select(c.c.source_key.label("source_id"), c.c.name, as_wkb(c.c.outline))
        .where(sa.or_(c.c.community_code.in_(codes), c.c.id.in_(used)))
        .order_by(c.c.id),
    )
    return StoredLayers(communities, buildings, compounds)


def require_households(layers: StoredLayers) -> None:
    """Refuse communities without buildings or households: nothing to partition."""
    households = layers.buildings.groupby("community_code")["households"].sum()
    empty = [c for c in layers.communities["code"] if households.get(c, 0) <= 0]
    if empty:
        raise InputError(
            f"community {', '.join(empty[:LISTED])} has no buildings with households",
            fix="import its buildings with households (户数) or floors (层数) first: "
            "wangge import buildings FILE; or leave it out with --community",
        )


def published_plans(conn: Connection, codes: list[str]) -> sa.Select:
    """Select the ids of published plans covering any of ``codes``."""
    p = m.grid_plan
    return sa.select(p.c.id).where(p.c.status == "published", p.c.community_codes.overlap(codes))


def code_history(
    conn: Connection, codes: list[str]
) -> tuple[dict[str, dict[int, frozenset]], dict[str, set[int]]]:
    """What the partitioner needs to keep codes stable and never reuse one.

    Returns
    -------
    previous, used
        Per community: ``{sequence: building ids}`` of its published grids, and every
        sequence number in the code registry.
    """
    g, a, r = m.grid, m.grid_assignment, m.grid_code_registry
    rows = conn.execute(
        sa.select(g.c.community_code, g.c.seq, a.c.building_id)
        .join(a, a.c.grid_id == g.c.id)
        .where(g.c.plan_id.in_(published_plans(conn, codes)), g.c.community_code.in_(codes))
    )
    members: dict[str, dict[int, set]] = defaultdict(lambda: defaultdict(set))
    for community, seq, building in rows:
        members[community][seq].add(building)
    previous = {c: {s: frozenset(k) for s, k in seqs.items()} for c, seqs in members.items()}
    used: dict[str, set[int]] = defaultdict(set)
    for community, seq in conn.execute(
        sa.select(r.c.community_code, r.c.seq).where(r.c.community_code.in_(codes))
    ):
        used[community].add(seq)
    return previous, dict(used)
