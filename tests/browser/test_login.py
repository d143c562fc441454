"""The login page in real Chromium: type a name and password, land where you were going."""

from __future__ import annotations

import pytest

from api.auth import store
from tests.api.conftest import PASSWORD


@pytest.fixture(scope="module")
def account(served, city):  # noqa: ARG001  (the app must be up)
    return store.add_user(city.engine, "街道管理员", PASSWORD, "street_office", "420106001")


def test_login_page_logs_in_and_goes_on(served, visit, account):
    page = visit.page
    page.goto(f"{served.url}/login?next=/map")
    page.fill("#username", account["name"])
    page.fill("#password", PASSWORD)
    with page.expect_navigation(url=f"{served.url}/map"):
        page.click("#login-button")
    token = page.evaluate("() => sessionStorage.getItem('wangge.token')")
    assert token and len(token) > 30
    me = page.evaluate(
        "t => fetch('/auth/me', {headers: {Authorization: 'Bearer ' + t}}).then(r => r.json())",
        token,
    )
    assert me["name"] == account["name"] and me["role"] == "street_office"
    host = served.url.split("//")[1]
    assert [u for u in visit.requests if host not in u and not u.startswith("data:")] == []
    assert visit.errors == []


def test_wrong_password_says_so_in_chinese(served, visit, account):
    page = visit.page
    page.goto(f"{served.url}/login")
    page.fill("#username", account["name"])
    page.fill("#password", "not-the-password")
    page.click("#login-button")
    page.wait_for_function("() => document.getElementById('message').textContent.length > 0")
    assert page.text_content("#message") == "用户名或密码错误"
    assert page.evaluate("() => sessionStorage.getItem('wangge.token')") is None
    page.screenshot(path="/tmp/wangge-login.png")
    # the 401 of the failed login is the only console error Chromium reports
    assert all("401" in e for e in visit.errors)
