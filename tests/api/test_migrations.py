"""Migrations run up and down, and the models agree with them."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import Geometry

from api import models
from api.database import alembic_config, current_revision, downgrade, migrate

pytestmark = pytest.mark.db


def _tables(engine):
    return set(sa.inspect(engine).get_table_names())


def test_head_has_every_table(engine):
    assert {"street", "community", "compound", "building", "facility", "facility_class"} <= _tables(
        engine
    )


def test_down_and_up_again(engine):
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert "building" not in _tables(engine)
    migrate(engine)
    assert (
        current_revision(engine) == ScriptDirectory.from_config(alembic_config()).get_current_head()
    )
    assert "building" in _tables(engine)


def test_classification_is_seeded(engine):
    with engine.connect() as conn:
        rows = dict(
            conn.execute(
                sa.select(models.facility_class.c.code, models.facility_class.c.name)
            ).all()
        )
    assert rows["0101"] == "上水井盖" and rows["0117"] == "路灯" and rows["9003"] == "警务室"


def test_geometry_columns_are_4326_with_gist(engine):
    with engine.connect() as conn:
        srids = conn.execute(sa.text("SELECT DISTINCT srid FROM geometry_columns")).scalars().all()
        gist = conn.execute(
            sa.text("SELECT count(*) FROM pg_indexes WHERE indexdef ILIKE '%USING gist%'")
        ).scalar_one()
    geometry_columns = [
        c
        for t in models.metadata.tables.values()
        for c in t.columns
        if isinstance(c.type, Geometry)
    ]
    assert srids == [4326] and gist == len(geometry_columns)


def test_models_match_migrations(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), models.metadata)
    postgis_own = {"spatial_ref_sys"}
    relevant = [d for d in diff if not (d[0] == "remove_table" and d[1].name in postgis_own)]
    assert relevant == []
