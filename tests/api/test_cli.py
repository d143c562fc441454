"""The wangge command line, run as a user runs it."""

import re

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from api.cli import app
from tests import samples

runner = CliRunner()


@pytest.fixture
def env(db, database_url, tmp_path):
    return {"WANGGE_DATABASE_URL": database_url, "WANGGE_DATA_DIR": str(tmp_path), "COLUMNS": "160"}


def test_import_prints_report_with_counts(env, tmp_path):
    path = samples.write("buildings", tmp_path)
    result = runner.invoke(app, ["import", "buildings", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "features read" in result.output and "inserted" in result.output
    assert re.search(r"features read\s*│\s*3\s*│", result.output)
    assert re.search(r"households estimated\s*│\s*2\s*│", result.output)


def test_import_field_option_maps_a_column(env, db, tmp_path):
    frame = samples.buildings().rename(columns={"户数": "住户总数量"})
    path = samples.write("buildings", tmp_path, frame)
    args = ["import", "buildings", str(path), "--field", "households=住户总数量"]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    with db.connect() as conn:
        count = conn.execute(sa.text("SELECT households FROM building WHERE source_id='b2'"))
        assert count.scalar_one() == 40


def test_bad_field_option_is_explained(env, tmp_path):
    path = samples.write("buildings", tmp_path)
    result = runner.invoke(
        app, ["import", "buildings", str(path), "--field", "households"], env=env
    )
    assert result.exit_code == 2
    assert "FIELD=COLUMN" in result.output


def test_missing_crs_error_names_the_fix(env, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("类别代码,lon,lat\n0117,118.78,32.04\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "facilities", str(path)], env=env)
    assert result.exit_code == 2
    assert "--crs" in result.output and "Traceback" not in result.output


def test_unknown_layer_lists_known_ones(env, tmp_path):
    path = samples.write("buildings", tmp_path)
    result = runner.invoke(app, ["import", "houses", str(path)], env=env)
    assert result.exit_code == 2
    assert "streets, communities, compounds, buildings, facilities" in result.output


def test_deployment_adds_its_own_facility_class_and_imports_by_name(env, db, tmp_path):
    added = runner.invoke(app, ["classes", "add", "0124", "高杆灯"], env=env)
    assert added.exit_code == 0, added.output
    path = tmp_path / "lamps.csv"
    path.write_text("编号,类别,lon,lat\nh1,高杆灯,118.781,32.041\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "facilities", str(path), "--crs", "4326"], env=env)
    assert result.exit_code == 0, result.output
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT class_code FROM facility")).scalar_one() == "0124"


def test_duplicate_facility_class_is_refused(env):
    result = runner.invoke(app, ["classes", "add", "0117", "路灯"], env=env)
    assert result.exit_code == 2 and "exists already" in result.output
