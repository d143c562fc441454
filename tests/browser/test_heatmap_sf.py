"""Real data on the heat-map page: San Francisco police incidents (DataSF), imported with
their category map, drawn as density and as Gi* hotspots in Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from api.auth.actor import act_as
from api.auth.roles import Principal, Role
from api.loading import load_layer
from gis.importing import prepare_layer
from gis.importing_incidents import read_category_map
from tests.api.conftest import bearer

SF = Path(__file__).parents[2] / "data" / "sf_incidents_2016"


@pytest.fixture(scope="module")
def sf(city):
    """The SF incidents imported into the city's database (outside every community)."""
    with city.engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE incident RESTART IDENTITY CASCADE"))
    prepared = prepare_layer(
        "incidents", SF / "sf_incidents_4areas.csv", crs="EPSG:4326",
        categories=read_category_map(SF / "category_map.csv"),
        timezone="America/Los_Angeles", incident_classes=_classes(city.engine),
    )  # fmt: skip
    with act_as(Principal(Role.ADMIN, name="test")):
        return load_layer(city.engine, prepared)


def _classes(engine) -> dict:  # noqa: ANN001
    from api.loading import incident_class_names

    return incident_class_names(engine)


def test_sf_incidents_are_drawn_and_their_hotspots_computed(served, visit, city, sf):
    assert sf.inserted == 9523
    token = bearer(city.engine, "admin")["Authorization"].split()[1]
    page = visit.page
    page.add_init_script(f"sessionStorage.setItem('wangge.token', '{token}')")
    page.goto(f"{served.url}/map/incidents")
    page.wait_for_function(
        "() => window.wanggeHeat && window.wanggeHeat.ready && !window.wanggeHeat.loading",
        timeout=60_000,
    )
    assert page.evaluate("() => window.wanggeHeat.drawn") == 9523
    centre = page.evaluate("() => window.wanggeHeat.map.getCenter()")
    assert -122.5 < centre["lng"] < -122.3 and 37.7 < centre["lat"] < 37.85  # fitted to SF
    page.screenshot(path="/tmp/wangge-heatmap-sf-density.png")
    page.select_option("#mode", "hotspot")
    page.wait_for_function(
        "() => window.wanggeHeat.mode === 'hotspot' && !window.wanggeHeat.loading && "
        "window.wanggeHeat.cells > 0", timeout=120_000,
    )  # fmt: skip
    tally = page.evaluate("() => window.wanggeHeat.tally")
    assert tally.get("hot 99%", 0) > 0
    page.screenshot(path="/tmp/wangge-heatmap-sf-hotspots.png")
    assert visit.errors == []
