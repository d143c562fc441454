"""Bulk import of incidents into PostGIS: placing, events, re-import, logs, bad files, SF data."""

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from api import loading
from api.auth.actor import act_as
from api.auth.roles import Principal, Role
from api.cli import app
from api.incidents.placing import place
from api.loading import incident_class_names, load_layer
from gis.errors import InputError, SchemaError
from gis.importing import prepare_layer
from gis.importing_incidents import read_category_map
from tests.api.conftest import bearer

SF = Path(__file__).parents[2] / "data" / "sf_incidents_2016"
IMPORTER = Principal(Role.ADMIN, user_id=None, name="导入员")
#: Points per kind in the synthetic file: at buildings, 30 m east of them, outside the city.
N = 12


@pytest.fixture
def no_incidents(city):
    """The city, with no incidents, import log or audit log."""
    with city.engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE incident, import_log, audit_log RESTART IDENTITY CASCADE"))
    return city


def _points(city) -> tuple[np.ndarray, np.ndarray]:
    at = city.layers.buildings.geometry.representative_point().iloc[:N]
    x, y = at.x.to_numpy(), at.y.to_numpy()
    west, south, _, _ = city.layers.communities.total_bounds
    lon = np.concatenate([x, x + 30 / 96_000, np.full(N, west - 0.05)])
    lat = np.concatenate([y, y, south + np.arange(N) * 0.001])
    return lon, lat


def _incident_csv(city, folder: Path, name="事件.csv", **columns) -> Path:
    lon, lat = _points(city)
    n = len(lon)
    rows = {
        "事件类别代码": ["0102", "0601", "5101"] * (n // 3),
        "事件描述": [f"第{i}号事件" for i in range(n)],
        "上报时间": ["2024-03-01 08:00"] * n, "来源": ["网格员巡查"] * n,
        "联系电话": ["13800000000"] * n, "经度": lon, "纬度": lat,
    }  # fmt: skip
    rows.update(columns)
    path = folder / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _import(engine, path, **kw):
    kw.setdefault("crs", "EPSG:4326")
    kw.setdefault("incident_classes", incident_class_names(engine))
    with act_as(IMPORTER):
        return load_layer(engine, prepare_layer("incidents", path, **kw))


def _rows(engine, sql, **params):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params)]


def _snapshot(engine):
    """md5 of every table of the schema (PostGIS's own excepted)."""
    with engine.connect() as conn:
        tables = conn.execute(
            sa.text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                "AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys'"
            )
        ).scalars()
        return {
            t: conn.execute(
                sa.text(f"SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM \"{t}\" x")
            ).scalar_one()
            for t in sorted(tables)
        }


def test_incidents_are_stored_with_counts(no_incidents, tmp_path):
    report = _import(no_incidents.engine, _incident_csv(no_incidents, tmp_path))
    assert (report.inserted, report.updated) == (3 * N, 0)
    assert _rows(no_incidents.engine, "SELECT count(*), min(status) FROM incident") == [
        (3 * N, "reported")
    ]


def test_placing_equals_the_single_report_placing(no_incidents, tmp_path):
    engine = no_incidents.engine
    _import(engine, _incident_csv(no_incidents, tmp_path))
    stored = _rows(
        engine,
        "SELECT ST_X(location), ST_Y(location), community_code, grid_code, building_id, "
        "facility_id FROM incident ORDER BY id",
    )
    with engine.connect() as conn:
        single = [
            (lon, lat, p.community_code, p.grid_code, p.building_id, p.facility_id)
            for lon, lat, *_ in stored
            for p in [place(conn, lon, lat)]
        ]
    assert stored == single


def test_placing_finds_something_of_each_kind(no_incidents, tmp_path):
    _import(no_incidents.engine, _incident_csv(no_incidents, tmp_path))
    counts = _rows(
        no_incidents.engine,
        "SELECT count(community_code), count(grid_code), count(building_id), "
        "count(facility_id), count(*) FROM incident",
    )[0]
    assert all(0 < c < counts[-1] for c in counts[:-1])


def test_placing_uses_the_gist_indexes(no_incidents, tmp_path):
    _import(no_incidents.engine, _incident_csv(no_incidents, tmp_path))
    statement = loading.placing_update(list(range(1, 3 * N + 1)))
    sql = statement.compile(no_incidents.engine, compile_kwargs={"literal_binds": True})
    with no_incidents.engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(conn.execute(sa.text(f"EXPLAIN {sql}")).scalars())
    for index in ("idx_community_boundary", "idx_grid_geometry", "idx_building_footprint",
                  "idx_facility_location"):  # fmt: skip
        assert index in plan, plan


def test_new_incidents_get_a_reported_event_by_the_importer(no_incidents, tmp_path):
    _import(no_incidents.engine, _incident_csv(no_incidents, tmp_path))
    events = _rows(
        no_incidents.engine,
        "SELECT from_status, to_status, user_name, note, count(*) FROM incident_event "
        "GROUP BY 1, 2, 3, 4",
    )
    assert events == [(None, "reported", "导入员", "imported from 事件.csv", 3 * N)]


def test_reimport_updates_without_duplicating(no_incidents, tmp_path):
    path = _incident_csv(no_incidents, tmp_path)
    _import(no_incidents.engine, path)
    again = _import(no_incidents.engine, path)
    assert (again.inserted, again.updated) == (0, 3 * N)
    assert _rows(no_incidents.engine, "SELECT count(*) FROM incident_event") == [(3 * N,)]


def test_reimport_keeps_status_and_history_and_updates_the_fields(no_incidents, tmp_path):
    engine = no_incidents.engine
    ids = [f"E{i}" for i in range(3 * N)]
    _import(engine, _incident_csv(no_incidents, tmp_path, 编号=ids))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE incident SET status = 'accepted', source = 'hotline'"))
    changed = _incident_csv(no_incidents, tmp_path, 编号=ids, 事件描述=["改"] * (3 * N))
    report = _import(engine, changed)
    assert report.updated == 3 * N
    assert _rows(engine, "SELECT DISTINCT status, source, description FROM incident") == [
        ("accepted", "hotline", "改")
    ]


def test_a_moved_incident_is_placed_again(no_incidents, tmp_path):
    engine = no_incidents.engine
    ids = [f"E{i}" for i in range(3 * N)]
    _import(engine, _incident_csv(no_incidents, tmp_path, 编号=ids))
    lon, lat = _points(no_incidents)
    lon[:N], lat[:N] = lon[2 * N :], lat[2 * N :]  # the first N go outside the city
    outside = _incident_csv(no_incidents, tmp_path, 编号=ids, 经度=lon, 纬度=lat)
    report = _import(engine, outside)
    assert any(f"{N} stored incidents moved: placed again" in n for n in report.notes)
    first = _rows(
        engine, "SELECT community_code, building_id FROM incident WHERE source_key = 'id:E0'"
    )
    assert first == [(None, None)]


def test_times_are_stored_in_utc_with_time_known(no_incidents, tmp_path):
    n = 3 * N
    path = _incident_csv(
        no_incidents, tmp_path, 上报时间=["2016-06-12T00:00:00.000"] * n,
        时间=["16:00"] * (n - 1) + [""],
    )  # fmt: skip
    report = _import(no_incidents.engine, path, timezone="America/Los_Angeles")
    assert report.times_missing == 1
    rows = _rows(
        no_incidents.engine, "SELECT reported_at, time_known, count(*) FROM incident GROUP BY 1, 2"
    )
    assert sorted(rows, key=lambda r: r[1]) == [
        (datetime(2016, 6, 12, 7, tzinfo=UTC), False, 1),
        (datetime(2016, 6, 12, 23, tzinfo=UTC), True, n - 1),
    ]


def test_import_is_logged_and_audited_once(no_incidents, tmp_path):
    _import(no_incidents.engine, _incident_csv(no_incidents, tmp_path))
    log = _rows(no_incidents.engine, "SELECT layer, source, inserted, updated FROM import_log")
    audit = _rows(
        no_incidents.engine,
        "SELECT user_name, after->>'inserted' FROM audit_log "
        "WHERE action = 'import' AND entity = 'incident'",
    )
    assert (log, audit) == ([("incidents", "事件.csv", 3 * N, 0)], [("导入员", str(3 * N))])


def _unknown_in_database(city, folder):
    return {"path": _incident_csv(city, folder, 事件类别代码=["0199"] * (3 * N)),
            "incident_classes": None}  # fmt: skip


BAD_FILES = {
    "unmapped category": (
        lambda city, folder: {
            "path": _incident_csv(
                city, folder, 事件类别代码=[None] * (3 * N), 类别=["乱扔垃圾"] * (3 * N)
            )  # fmt: skip
        },
        "1 categories have no class code: 乱扔垃圾",
    ),
    "unknown class code (file)": (
        lambda city, folder: {"path": _incident_csv(city, folder, 事件类别代码=["0199"] * (3 * N))},
        r"unknown incident class code\(s\): 0199",
    ),
    "unknown class code (database)": (_unknown_in_database, "unknown incident class code"),
    "undated rows": (
        lambda city, folder: {"path": _incident_csv(city, folder, 上报时间=[""] * (3 * N))},
        f"{3 * N} rows have no date",
    ),
    "truncated file": (
        lambda city, folder: {"path": _truncated(folder)},
        "(?i)no longitude/latitude|cannot be read|geometry",
    ),
}


def _truncated(folder):
    path = folder / "cut.csv"
    path.write_text("事件类别代码,事件描述,上报时间,经", encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_file_is_refused_and_every_table_unchanged(no_incidents, tmp_path, kind):
    engine = no_incidents.engine
    _import(engine, _incident_csv(no_incidents, tmp_path, name="good.csv"))
    before = _snapshot(engine)
    make, pattern = BAD_FILES[kind]
    options = make(no_incidents, tmp_path)
    path = options.pop("path")
    with pytest.raises(InputError, match=pattern):
        _import(engine, path, **options)
    assert _snapshot(engine) == before


def test_failure_after_writing_leaves_every_table_unchanged(no_incidents, tmp_path, monkeypatch):
    engine = no_incidents.engine
    before = _snapshot(engine)

    def broken(conn, ids):
        raise SchemaError("placing failed on purpose")

    monkeypatch.setattr(loading, "place_incidents", broken)
    with pytest.raises(SchemaError, match="on purpose"):
        _import(engine, _incident_csv(no_incidents, tmp_path))
    assert _snapshot(engine) == before


def test_sf_incidents_import_reports_duplicates_and_missing_times(no_incidents, capsys):
    categories = read_category_map(SF / "category_map.csv")
    options = {"categories": categories, "timezone": "America/Los_Angeles"}
    started = time.perf_counter()
    first = _import(no_incidents.engine, SF / "sf_incidents_4areas.csv", **options)
    seconds = time.perf_counter() - started
    second = _import(no_incidents.engine, SF / "sf_incidents_4areas.csv", **options)
    with capsys.disabled():
        print(f"\nSF incidents: first import {seconds:.1f} s")
    assert (first.features_read, first.duplicates_dropped, first.times_missing) == (9624, 101, 1984)
    assert (first.inserted, second.inserted, second.updated) == (9523, 0, 9523)
    assert _rows(
        no_incidents.engine, "SELECT count(*), count(*) FILTER (WHERE NOT time_known) FROM incident"
    ) == [(9523, 1914)]


def test_sf_category_map_covers_every_category_with_a_known_subclass(no_incidents):
    categories = read_category_map(SF / "category_map.csv")
    found = set(pd.read_csv(SF / "sf_incidents_4areas.csv", usecols=["category"])["category"])
    known = incident_class_names(no_incidents.engine)
    assert (set(categories) == found, set(categories.values()) <= set(known)) == (True, True)


def test_cli_imports_incidents_with_map_and_time_zone(no_incidents, database_url, tmp_path):
    path = _incident_csv(
        no_incidents, tmp_path, 事件类别代码=[None] * (3 * N), 类别=["垃圾"] * (3 * N)
    )
    mapping = tmp_path / "map.csv"
    mapping.write_bytes("category,class_code\n垃圾,0102\n".encode("gbk"))
    env = {"WANGGE_DATABASE_URL": database_url, "WANGGE_DATA_DIR": str(tmp_path), "COLUMNS": "160"}
    args = ["import", "incidents", str(path), "--crs", "EPSG:4326", "--category-map", str(mapping),
            "--timezone", "America/Los_Angeles"]  # fmt: skip
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert re.search(rf"inserted\s*│\s*{3 * N}\s*│", result.output), result.output
    rows = _rows(no_incidents.engine, "SELECT DISTINCT class_code, reported_at FROM incident")
    assert rows == [("0102", datetime(2024, 3, 1, 16, tzinfo=UTC))]


def test_upload_imports_incidents_with_a_category_map(no_incidents, client, tmp_path):
    path = _incident_csv(
        no_incidents, tmp_path, 事件类别代码=[None] * (3 * N), 类别=["垃圾"] * (3 * N)
    )
    files = {
        "file": (path.name, path.read_bytes(), "text/csv"),
        "category_map": ("map.csv", "category,class_code\n垃圾,0102\n".encode(), "text/csv"),
    }
    answer = client.post(
        "/imports/incidents", files=files, data={"crs": "EPSG:4326"},
        headers=bearer(no_incidents.engine, "admin"),
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    assert answer.json()["inserted"] == 3 * N


def test_upload_of_incidents_by_a_scoped_account_is_refused(no_incidents, client, tmp_path):
    path = _incident_csv(no_incidents, tmp_path)
    code = no_incidents.layers.communities["code"].iloc[0][:9]
    answer = client.post(
        "/imports/incidents", files={"file": (path.name, path.read_bytes(), "text/csv")},
        data={"crs": "EPSG:4326"}, headers=bearer(no_incidents.engine, "street_office", code),
    )  # fmt: skip
    assert answer.status_code == 422 and "admin" in answer.text
    assert _rows(no_incidents.engine, "SELECT count(*) FROM incident") == [(0,)]
