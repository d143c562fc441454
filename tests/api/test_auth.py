"""Login, sessions, accounts and the audit log, through the HTTP API and the CLI."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import models as m
from api.app import create_app
from api.auth import store
from api.auth.ratelimit import AttemptLimiter
from api.auth.roles import Principal, Role, check_scope
from api.cli import app as cli
from api.settings import AuthSettings, DatabaseSettings, Settings
from gis.errors import InputError
from tests.api.conftest import PASSWORD, bearer, grid_codes

runner = CliRunner()
PERSON = {"name": "孙丽", "post": "B", "duties": "巡查", "phone": "13812345678"}


def _login(client, name: str, password: str = PASSWORD):
    return client.post("/auth/token", data={"username": name, "password": password})


@pytest.fixture
def account(city):
    """A community staff account of the city's first community: (name, scope)."""
    grid = grid_codes(city.engine, city.plan_id)[0]
    name = f"staff-{grid[-6:]}-{uuid.uuid4().hex[:8]}"
    store.add_user(city.engine, name, PASSWORD, "community_staff", grid[:12])
    return name, grid


def test_login_returns_a_token_that_opens_protected_routes(client, account):
    name, grid = account
    answer = _login(client, name)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "bearer" and body["user"]["role"] == "community_staff"
    assert "password_hash" not in body["user"]
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/auth/me", headers=headers).json()["name"] == name
    added = client.post(f"/grids/{grid}/staff", json=PERSON, headers=headers)
    assert added.status_code == 201, added.text


def test_wrong_password_is_refused_with_a_bearer_challenge(client, account):
    answer = _login(client, account[0], "not-the-password")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert "wrong user name or password" in answer.json()["problem"]
    assert _login(client, "nobody-at-all").status_code == 401


def test_logout_ends_the_session(client, account):
    token = _login(client, account[0]).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/auth/logout", headers=headers).status_code == 204
    assert client.get("/auth/me", headers=headers).status_code == 401
    # a stale token does not lock its holder out of public pages
    assert client.get("/lookup", params={"lon": 0, "lat": 0}, headers=headers).status_code == 404


def test_expired_token_is_refused(client, city, account):
    user = store.get_user(city.engine, account[0])
    token, _ = store.issue_token(city.engine, user["id"], timedelta(seconds=-1))
    answer = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert client.get("/auth/me", headers={"Authorization": "Bearer made-up"}).status_code == 401


def test_password_change_ends_every_session_and_the_new_password_works(client, account):
    name = account[0]
    first = {"Authorization": f"Bearer {_login(client, name).json()['access_token']}"}
    second = {"Authorization": f"Bearer {_login(client, name).json()['access_token']}"}
    wrong = {"current_password": "nope-nope", "new_password": "a-new-password-2"}
    assert client.post("/auth/password", json=wrong, headers=first).status_code == 401
    weak = {"current_password": PASSWORD, "new_password": "short"}
    assert client.post("/auth/password", json=weak, headers=first).status_code == 422
    good = {"current_password": PASSWORD, "new_password": "a-new-password-2"}
    assert client.post("/auth/password", json=good, headers=first).status_code == 204
    assert client.get("/auth/me", headers=second).status_code == 401
    assert _login(client, name).status_code == 401
    assert _login(client, name, "a-new-password-2").status_code == 200


def test_disabled_account_cannot_log_in_and_loses_its_sessions(client, city, account):
    name = account[0]
    headers = {"Authorization": f"Bearer {_login(client, name).json()['access_token']}"}
    admin = bearer(city.engine, "admin")
    answer = client.patch(f"/users/{name}", json={"active": False}, headers=admin)
    assert answer.status_code == 200 and answer.json()["active"] is False
    assert client.get("/auth/me", headers=headers).status_code == 401
    assert _login(client, name).status_code == 401


def test_repeated_failures_are_rate_limited(database_url, city, tmp_path):
    settings = Settings(
        db=DatabaseSettings(database_url=database_url, data_dir=tmp_path),
        auth=AuthSettings(login_attempts=3, login_window_s=60),
    )
    store.add_user(city.engine, "limited-user", PASSWORD, "admin")
    with TestClient(create_app(settings)) as client:
        for _ in range(3):
            assert _login(client, "limited-user", "wrong-guess").status_code == 401
        blocked = _login(client, "limited-user")  # even the right password waits
        assert blocked.status_code == 429
        assert 0 < int(blocked.headers["retry-after"]) <= 60
        assert "too many failed logins" in blocked.json()["problem"]


def test_admin_manages_accounts_with_clear_errors(client, city):
    admin = bearer(city.engine, "admin")
    new = {
        "name": "王街道", "password": "street-pass-9", "role": "street_office",
        "scope": "420106001",
    }  # fmt: skip
    made = client.post("/users", json=new, headers=admin)
    assert made.status_code == 201, made.text
    assert made.json()["scope_code"] == "420106001" and "password" not in made.json()
    assert client.post("/users", json=new, headers=admin).status_code == 409
    too_wide = {**new, "name": "宽范围", "role": "community_staff", "scope": "420106001"}
    answer = client.post("/users", json=too_wide, headers=admin)
    assert answer.status_code == 422 and "too wide" in answer.json()["problem"]
    weak = {**new, "name": "弱密码", "password": "1234"}
    assert "too short" in client.post("/users", json=weak, headers=admin).json()["problem"]
    unknown = {**new, "name": "未知角色", "role": "mayor"}
    assert "unknown role" in client.post("/users", json=unknown, headers=admin).json()["problem"]
    body = {"new_password": "reset-pass-7"}
    reset = client.put("/users/王街道/password", json=body, headers=admin)
    assert reset.status_code == 204
    assert _login(client, "王街道", "reset-pass-7").status_code == 200
    assert client.get("/users/nobody-here", headers=admin).status_code == 404


def test_audit_log_records_who_changed_what(client, city):
    admin_name = f"auditor-{uuid.uuid4().hex[:8]}"
    admin = bearer(city.engine, "admin", name=admin_name)
    grid = grid_codes(city.engine, city.plan_id)[0]
    person = client.post(f"/grids/{grid}/staff", json=PERSON, headers=admin).json()
    client.patch(f"/staff/{person['id']}", json={"phone": "13900001111"}, headers=admin)
    client.delete(f"/staff/{person['id']}", headers=admin)
    query = {"entity": "grid_staff", "user": admin_name}
    entries = client.get("/audit", params=query, headers=admin)
    assert entries.status_code == 200
    mine = [e for e in entries.json() if e["entity_key"] == str(person["id"])]
    assert [e["action"] for e in mine] == ["delete", "update", "insert"]
    update = mine[1]
    assert update["role"] == "admin" and update["user_name"] == admin_name
    assert update["before"]["phone"] == "13812345678" and update["after"]["phone"] == "13900001111"
    assert mine[0]["after"] is None and mine[2]["before"] is None


def test_audit_log_never_holds_password_hashes(client, city):
    admin = bearer(city.engine, "admin")
    client.post(
        "/users", json={"name": "hash-check", "password": "hash-check-1", "role": "admin"},
        headers=admin,
    )  # fmt: skip
    client.put("/users/hash-check/password", json={"new_password": "hash-check-2"}, headers=admin)
    with city.engine.connect() as conn:
        texts = conn.execute(
            sa.select(sa.cast(m.audit_log.c.after, sa.Text))
            .where(m.audit_log.c.entity == "app_user")
        ).scalars().all()  # fmt: skip
    assert texts and not any("argon2" in t or "password_hash" in t for t in texts)


def test_cli_adds_users_and_is_audited_as_the_cli(database_url, city, tmp_path):
    env = {"WANGGE_DATABASE_URL": database_url, "WANGGE_DATA_DIR": str(tmp_path),
           "WANGGE_NEW_PASSWORD": "first-admin-1", "COLUMNS": "160"}  # fmt: skip
    made = runner.invoke(cli, ["user", "add", "first-admin", "--role", "admin"], env=env)
    assert made.exit_code == 0, made.output
    bad = runner.invoke(
        cli, ["user", "add", "worker", "--role", "grid_worker", "--scope", "12"], env=env
    )
    assert bad.exit_code == 2 and "needs a scope code" in bad.output
    listed = runner.invoke(cli, ["user", "list"], env=env)
    assert "first-admin" in listed.output
    disabled = runner.invoke(cli, ["user", "set", "first-admin", "--disabled"], env=env)
    assert disabled.exit_code == 0 and "disabled" in disabled.output
    with city.engine.connect() as conn:
        who = conn.execute(
            sa.select(m.audit_log.c.user_name).where(
                m.audit_log.c.entity == "app_user", m.audit_log.c.action == "insert",
                sa.cast(m.audit_log.c.after, sa.Text).contains("first-admin"),
            )
        ).scalar_one()  # fmt: skip
    assert who.startswith("cli:")


def test_login_page_is_chinese_and_posts_to_the_token_route(client):
    page = client.get("/login", params={"next": "//evil.example/"})
    assert page.status_code == 200 and "登录" in page.text and "/auth/token" in page.text
    assert 'data-next="/"' in page.text  # no open redirect to another host


# --- pure parts -------------------------------------------------------------------------


def test_limiter_slides_its_window():
    now = [0.0]
    limiter = AttemptLimiter(2, 10, clock=lambda: now[0])
    limiter.fail("a")
    limiter.fail("a")
    assert limiter.retry_after("a") == 11 and limiter.retry_after("b") == 0
    now[0] = 5.0
    assert limiter.retry_after("a") == 6
    now[0] = 10.5
    assert limiter.retry_after("a") == 0
    limiter.fail("a")
    limiter.reset("a")
    assert limiter.retry_after("a") == 0


def test_scopes_nest_by_code_prefix():
    street = Principal(Role.STREET_OFFICE, 1, "s", "420106001")
    assert street.covers("420106001002") and street.covers("420106001002003")
    assert not street.covers("420106002001")
    grid = Principal(Role.GRID_WORKER, 2, "g", "420106001002003")
    assert not grid.covers("420106001002")
    assert Principal(Role.ADMIN, 3, "a").covers("999999999")
    assert not Principal(Role.PUBLIC).covers("420106001")


@pytest.mark.parametrize(
    ("role", "scope", "problem"),
    [
        (Role.ADMIN, "420106001", "no scope"),
        (Role.STREET_OFFICE, None, "needs a scope"),
        (Role.COMMUNITY_STAFF, "420106001", "too wide"),
        (Role.GRID_WORKER, "4201060010", "needs a scope"),
        (Role.PUBLIC, "420106001", "not an account role"),
    ],
)
def test_scope_must_suit_the_role(role, scope, problem):
    with pytest.raises(InputError, match=problem):
        check_scope(role, scope)


def test_roles_parse_by_label_or_chinese_name():
    assert Role.parse("street_office") is Role.STREET_OFFICE
    assert Role.parse("网格员") is Role.GRID_WORKER
    with pytest.raises(InputError, match="unknown role"):
        Role.parse("mayor")
