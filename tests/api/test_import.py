"""Importing into PostGIS: every layer, links, re-import, and bad input that writes nothing."""

import geopandas as gpd
import pytest
import sqlalchemy as sa
from shapely.geometry import Point, Polygon

from api.loading import facility_class_names, load_layer
from gis.errors import CRSError, FormatError, InputError, SchemaError
from gis.importing import prepare_layer
from tests import samples

ORDER = ["streets", "communities", "compounds", "buildings", "facilities"]


def _import(engine, layer, path, **kw):
    classes = facility_class_names(engine) if layer == "facilities" else None
    return load_layer(engine, prepare_layer(layer, path, facility_classes=classes, **kw))


def _load_all(engine, folder):
    return {layer: _import(engine, layer, samples.write(layer, folder)) for layer in ORDER}


def _snapshot(engine):
    with engine.connect() as conn:
        return {
            t: conn.execute(
                sa.text(f"SELECT md5(string_agg(x::text, '|' ORDER BY id)) FROM {t} x")
            ).one()
            for t in ("street", "community", "compound", "building", "facility", "import_log")
        }


def _scalar(engine, sql):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


def test_every_layer_imports_with_counts(db, tmp_path):
    reports = _load_all(db, tmp_path)
    assert {k: r.inserted for k, r in reports.items()} == {
        "streets": 1, "communities": 2, "compounds": 1, "buildings": 3, "facilities": 3,
    }  # fmt: skip


def test_buildings_estimate_and_flag_missing_households(db, tmp_path):
    report = _load_all(db, tmp_path)["buildings"]
    assert report.households_estimated == 2
    with db.connect() as conn:
        flags = dict(
            conn.execute(sa.text("SELECT source_id, households_estimated FROM building")).all()
        )
    assert flags == {"b1": True, "b2": False, "b3": True}


def test_features_are_linked_to_community_and_compound(db, tmp_path):
    _load_all(db, tmp_path)
    with db.connect() as conn:
        rows = dict(conn.execute(sa.text(
            "SELECT b.source_id, b.community_code || ':' || coalesce(c.name, '-') "
            "FROM building b LEFT JOIN compound c ON c.id = b.compound_id"
        )).all())  # fmt: skip
    assert rows == {"b1": "320102002001:梅园小区", "b2": "320102002001:梅园小区",
                    "b3": "320102002002:-"}  # fmt: skip


def test_facility_classes_resolve_by_name_and_status_maps(db, tmp_path):
    _load_all(db, tmp_path)
    with db.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT source_id, class_code, status FROM facility ORDER BY source_id")
        ).all()
    assert [tuple(r) for r in rows] == [
        ("f1", "0117", "intact"), ("f2", "9003", "damaged"), ("f3", "0304", "intact"),
    ]  # fmt: skip


def test_reimport_updates_instead_of_duplicating(db, tmp_path):
    _load_all(db, tmp_path)
    again = _import(db, "buildings", samples.write("buildings", tmp_path))
    assert (again.inserted, again.updated) == (0, 3)
    assert _scalar(db, "SELECT count(*) FROM building") == 3


def test_file_without_ids_reimports_by_geometry(db, tmp_path):
    frame = samples.buildings().drop(columns=["编号"])
    path = samples.write("buildings", tmp_path, frame)
    _import(db, "buildings", path)
    again = _import(db, "buildings", path)
    assert (again.inserted, again.updated) == (0, 3)


def test_self_intersecting_polygon_is_repaired_and_reported(db, tmp_path):
    frame = samples.buildings()
    x, y = samples.X0 + 0.005, samples.Y0 + 0.005
    frame.loc[0, "geometry"] = Polygon([(x, y), (x + 4e-4, y + 4e-4), (x + 4e-4, y), (x, y + 4e-4)])
    report = _import(db, "buildings", samples.write("buildings", tmp_path, frame))
    assert any("Self-intersection" in line for line in report.repairs)
    assert _scalar(db, "SELECT count(*) FROM building WHERE NOT ST_IsValid(footprint)") == 0


def test_import_is_logged(db, tmp_path):
    _load_all(db, tmp_path)
    assert _scalar(db, "SELECT count(*) FROM import_log") == 5


BAD_INPUTS = {
    "missing_crs": (CRSError, "--crs"),
    "swapped_axes": (CRSError, "swap"),
    "unknown_columns": (SchemaError, "Columns found"),
    "truncated": (FormatError, "truncat|cut short|corrupt|not a valid"),
    "not_geometry": (FormatError, "geometry"),
    "empty": (FormatError, "empty|0 features"),
    "unknown_class": (SchemaError, "class"),
}


def _bad_file(kind, folder):
    if kind == "missing_crs":
        path = folder / "b.csv"
        path.write_text("编号,楼号,lon,lat\nb9,9号楼,118.781,32.041\n", encoding="utf-8")
        return "facilities", path
    if kind == "swapped_axes":
        frame = gpd.GeoDataFrame({"类别代码": ["0117"]}, geometry=[Point(32.04, 118.78)], crs=4326)
        return "facilities", samples.write("facilities", folder, frame)
    if kind == "unknown_columns":
        frame = samples.communities().rename(columns={"社区编码": "甲", "社区名称": "乙"})
        return "communities", samples.write("communities", folder, frame)
    if kind == "truncated":
        whole = samples.write("buildings", folder).read_bytes()
        path = folder / "cut.gpkg"
        path.write_bytes(whole[: len(whole) // 3])
        return "buildings", path
    if kind == "not_geometry":
        path = folder / "table.csv"
        path.write_text("名称,户数\n1号楼,30\n", encoding="utf-8")
        return "buildings", path
    if kind == "empty":
        path = folder / "empty.geojson"
        path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
        return "buildings", path
    frame = samples.facilities()
    frame.loc[0, "类别代码"] = "9999"
    return "facilities", samples.write("facilities", folder, frame)


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_input_is_refused_and_database_unchanged(db, tmp_path, kind):
    _load_all(db, tmp_path)
    before = _snapshot(db)
    folder = tmp_path / kind
    folder.mkdir()
    layer, path = _bad_file(kind, folder)
    error, pattern = BAD_INPUTS[kind]
    with pytest.raises(error, match=f"(?i){pattern}"):
        _import(db, layer, path)
    assert _snapshot(db) == before


def test_database_refusal_rolls_back_everything(db, tmp_path):
    """A constraint failing mid-load (floors ≤ 0) leaves no row of the file behind."""
    frame = samples.buildings()
    frame.loc[2, "层数"] = -3
    frame.loc[2, "户数"] = 10
    with pytest.raises(InputError, match="building_floors_positive"):
        _import(db, "buildings", samples.write("buildings", tmp_path, frame))
    assert _scalar(db, "SELECT count(*) FROM building") == 0
