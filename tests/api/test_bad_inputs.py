"""The bad-input corpus through the real import path: a clear error and nothing written.

Each file of ``tests/corpus`` (built by ``tests/corpus/make_corpus.py``) is imported with
:func:`api.cli.importing.import_file`, the function ``wangge import`` calls, into a database
holding the sample layers. A refused file must raise the named error class with a message
that names the problem, and leave the md5 of every table unchanged. A file the importer
legitimately repairs must have the repair in its report, and store valid geometry.
"""

import re

import pytest
import sqlalchemy as sa

from api.cli.importing import import_file
from api.loading import facility_class_names, load_layer
from gis.errors import CRSError, FormatError, SchemaError
from gis.importing import prepare_layer
from tests import samples
from tests.corpus import CORPUS, table_digests

#: file → (layer, --crs, error class, pattern the message must match)
REFUSED = {
    "geojson_truncated.geojson": ("buildings", None, FormatError, "not valid JSON.*cut short"),
    "geojson_not_json.geojson": ("buildings", None, FormatError, "not valid JSON"),
    "geojson_wrong_type.geojson": ("buildings", None, FormatError, "neither GeoJSON nor Esri"),
    "geojson_collection_without_features.geojson": (
        "buildings", None, FormatError, "Missing 'features' member",
    ),
    "geojson_empty_layer.geojson": ("buildings", None, FormatError, "empty.*0 features"),
    "empty_layer.gpkg": ("buildings", None, FormatError, "empty.*0 features"),
    "geom_ring_not_closed.geojson": ("buildings", None, FormatError, "do not form a closed"),
    "crs_projected_declared_4326.geojson": (
        "buildings", None, CRSError, "projected coordinates in metres",
    ),
    "crs_lonlat_swapped.geojson": ("buildings", None, CRSError, "axes swapped"),
    "shp_missing_prj.zip": ("buildings", None, CRSError, "no coordinate reference system"),
    "coords_huge_1e20.geojson": ("buildings", None, CRSError, "far too large.*1.01e\\+20"),
    "coords_nan.geojson": ("buildings", None, CRSError, "NaN or infinite"),
    "coords_infinity.geojson": ("buildings", None, CRSError, "NaN or infinite"),
    "duplicate_ids.geojson": ("buildings", None, SchemaError, "id 'b1' by '1号楼', '2号楼'"),
    "shp_truncated.zip": ("buildings", None, FormatError, "cannot be unpacked"),
    "gpkg_truncated.gpkg": ("buildings", None, FormatError, "cannot be read as a GeoPackage"),
    "csv_bad_numbers.csv": (
        "facilities", "4326", FormatError, "2 coordinates that are not numbers.*118°47′",
    ),
}  # fmt: skip

#: file → (layer, --crs, pattern one repair or note must match)
REPAIRED = {
    "geom_bowtie.geojson": ("buildings", None, r"Self-intersection"),
    "geom_spike.geojson": ("buildings", None, r"Self-intersection"),
    "geom_hole_outside_shell.geojson": ("buildings", None, r"Hole lies outside shell"),
    "geom_nested_shells.geojson": ("buildings", None, r"Nested shells"),
    "geom_too_few_points.geojson": ("buildings", None, r"Too few points.*|dropped 1 features"),
    "geom_duplicate_points.geojson": ("buildings", None, r"removed repeated vertices from 1"),
    "shp_gbk_with_utf8_cpg.zip": ("buildings", None, r"GB18030: the .cpg says UTF-8"),
    "csv_gbk_without_bom.csv": ("facilities", "4326", r"decoded as GB18030"),
}


def test_every_corpus_file_has_an_expectation():
    files = {p.name for p in CORPUS.iterdir() if p.suffix in (".geojson", ".gpkg", ".zip", ".csv")}
    assert files == set(REFUSED) | set(REPAIRED)


def test_corpus_files_are_small():
    sizes = {p.name: p.stat().st_size for p in CORPUS.iterdir() if p.suffix != ".py"}
    assert max(sizes.values()) < 32 * 1024, sizes


@pytest.fixture
def loaded(db, tmp_path):
    """The database with the sample layers, so that 'unchanged' means something."""
    for layer in ("streets", "communities", "compounds", "buildings", "facilities"):
        classes = facility_class_names(db) if layer == "facilities" else None
        path = samples.write(layer, tmp_path)
        load_layer(db, prepare_layer(layer, path, facility_classes=classes))
    return db


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_bad_file_is_refused_clearly_and_writes_nothing(loaded, settings, name):
    layer, crs, error, pattern = REFUSED[name]
    before = table_digests(loaded)
    with pytest.raises(error) as caught:
        import_file(settings, layer, CORPUS / name, crs=crs)
    assert re.search(pattern, caught.value.message), caught.value.message
    assert caught.value.fix
    assert table_digests(loaded) == before


@pytest.mark.parametrize("name", sorted(REPAIRED))
def test_repairable_file_is_repaired_and_says_so(loaded, settings, name):
    layer, crs, pattern = REPAIRED[name]
    report = import_file(settings, layer, CORPUS / name, crs=crs)
    said = report.repairs + report.notes
    assert any(re.search(pattern, line) for line in said), said
    table, column = ("building", "footprint") if layer == "buildings" else ("facility", "location")
    with loaded.connect() as conn:
        invalid = conn.execute(
            sa.text(f"SELECT count(*) FROM {table} WHERE NOT ST_IsValid({column})")
        ).scalar_one()
    assert invalid == 0


def test_gbk_shapefile_with_wrong_cpg_stores_the_chinese_name(loaded, settings):
    import_file(settings, "buildings", CORPUS / "shp_gbk_with_utf8_cpg.zip")
    with loaded.connect() as conn:
        name = conn.execute(sa.text("SELECT name FROM building WHERE source_id = 'b1'")).scalar()
    assert name == "梅园新村1号楼"


def test_repeated_vertices_are_not_stored(loaded, settings):
    import_file(settings, "buildings", CORPUS / "geom_duplicate_points.geojson")
    with loaded.connect() as conn:
        points = conn.execute(
            sa.text("SELECT ST_NPoints(footprint) FROM building WHERE source_id = 'b1'")
        ).scalar_one()
    assert points == 5
