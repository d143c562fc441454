"""Grid staff (AB岗): create, read, change, delete, and the checks on their values."""

import pytest
import sqlalchemy as sa

from api import models as m
from api.staff import normalise_phone
from gis.errors import InputError
from tests.api.conftest import bearer, grid_codes

PERSON = {"name": "王芳", "post": "B", "duties": "网格巡查、入户走访", "phone": "13812345678"}


@pytest.fixture(autouse=True)
def _as_admin(client, city):
    """Staff are kept by logged-in accounts: this module's client is an admin."""
    client.headers.update(bearer(city.engine, "admin"))


@pytest.fixture
def code(no_staff):
    return grid_codes(no_staff.engine, no_staff.plan_id)[0]


@pytest.fixture
def person(client, code):
    answer = client.post(f"/grids/{code}/staff", json=PERSON)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_added_person_is_returned_with_id_and_grid(person, code):
    assert person["id"] > 0 and person["grid_code"] == code
    assert {k: person[k] for k in PERSON} == PERSON and person["photo_path"] is None


def test_added_person_is_listed_with_the_grid(client, person, code):
    assert client.get(f"/grids/{code}/staff").json() == [person]


def test_staff_are_listed_a_post_first(client, code, person):
    other = {**PERSON, "name": "李强", "post": "A", "phone": "025-84321234"}
    client.post(f"/grids/{code}/staff", json=other)
    assert [p["post"] for p in client.get(f"/grids/{code}/staff").json()] == ["A", "B"]


def test_person_is_read_by_id(client, person):
    assert client.get(f"/staff/{person['id']}").json() == person


def test_patch_changes_only_the_fields_given(client, person):
    answer = client.patch(f"/staff/{person['id']}", json={"phone": "13900001111"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["phone"] == "13900001111" and body["name"] == PERSON["name"]
    assert body["updated_at"] > person["updated_at"]


def test_patch_moves_a_person_to_another_grid(client, person, no_staff):
    other = grid_codes(no_staff.engine, no_staff.plan_id)[1]
    client.patch(f"/staff/{person['id']}", json={"grid_code": other})
    assert [p["id"] for p in client.get(f"/grids/{other}/staff").json()] == [person["id"]]


def test_delete_is_204_and_the_person_is_gone(client, person):
    answer = client.delete(f"/staff/{person['id']}")
    assert answer.status_code == 204 and answer.content == b""
    assert client.get(f"/staff/{person['id']}").status_code == 404


def test_staff_of_an_unknown_grid_is_404(client, no_staff):
    answer = client.post("/grids/420106001001999/staff", json=PERSON)
    assert answer.status_code == 404
    assert "420106001001999" in answer.json()["problem"]


def test_listing_an_unknown_grid_is_404(client, no_staff):
    assert client.get("/grids/999999999999001/staff").status_code == 404


def test_staff_of_a_withdrawn_grid_is_409(client, code, no_staff):
    r = m.grid_code_registry
    with no_staff.engine.begin() as conn:
        conn.execute(r.update().where(r.c.code == code)
                     .values(status="withdrawn", valid_to=sa.func.current_date()))  # fmt: skip
    try:
        answer = client.post(f"/grids/{code}/staff", json=PERSON)
    finally:
        with no_staff.engine.begin() as conn:
            conn.execute(r.update().where(r.c.code == code)
                         .values(status="active", valid_to=None))  # fmt: skip
    assert answer.status_code == 409 and "withdrawn" in answer.json()["problem"]


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_unknown_person_is_404(client, no_staff, method):
    kwargs = {"json": {"name": "x"}} if method == "patch" else {}
    answer = getattr(client, method)("/staff/999999", **kwargs)
    assert answer.status_code == 404 and "999999" in answer.json()["problem"]


@pytest.mark.parametrize(
    ("change", "word"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "1381234567"}, "phone"),
        ({"phone": "12812345678"}, "phone"),
        ({"post": "C"}, "post"),
        ({"name": "  "}, "name"),
        ({"photo_path": "../../etc/passwd"}, "photo"),
        ({"duties": "很" * 1001}, "duties"),
    ],
)
def test_bad_values_are_422_and_named(client, code, change, word):
    answer = client.post(f"/grids/{code}/staff", json={**PERSON, **change})
    assert answer.status_code == 422
    assert word in answer.json()["problem"]


def test_bad_patch_is_422_and_changes_nothing(client, person):
    answer = client.patch(f"/staff/{person['id']}", json={"phone": "call me"})
    assert answer.status_code == 422
    assert client.get(f"/staff/{person['id']}").json()["phone"] == PERSON["phone"]


def test_patch_cannot_clear_a_required_field(client, person):
    answer = client.patch(f"/staff/{person['id']}", json={"name": None})
    assert answer.status_code == 422 and "name" in answer.json()["problem"]


def test_missing_phone_is_422(client, code):
    body = {k: v for k, v in PERSON.items() if k != "phone"}
    assert client.post(f"/grids/{code}/staff", json=body).status_code == 422


def test_post_is_taken_in_either_case(client, code):
    answer = client.post(f"/grids/{code}/staff", json={**PERSON, "post": "a"})
    assert answer.json()["post"] == "A"


@pytest.mark.parametrize(
    ("given", "stored"),
    [("138 1234 5678", "13812345678"), ("025-84321234", "025-84321234"),
     ("02584321234", "02584321234"), ("84321234", "84321234"),
     ("010-6512-3456", "010-6512-3456"), ("025-84321234-801", "025-84321234-801"),
     ("025-843", None), ("1-2-3-4-5-6-7", None), ("+1 555 0100", None)],
)  # fmt: skip
def test_phone_numbers(given, stored):
    if stored is None:
        with pytest.raises(InputError):
            normalise_phone(given)
    else:
        assert normalise_phone(given) == stored
