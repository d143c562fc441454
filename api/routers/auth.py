"""Login (OAuth2 password flow), the account's own session, accounts and the audit log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine

from api.access import bearer_token, principal
from api.auth import audit, store
from api.auth.errors import NotAuthenticated, TooManyAttempts
from api.auth.ratelimit import AttemptLimiter
from api.deps import get_engine
from api.templating import templates

router = APIRouter(tags=["auth"])


class Token(BaseModel):
    """A bearer token: send it as ``Authorization: Bearer <access_token>``."""

    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    user: dict


class User(BaseModel):
    """An account as shown (never its password hash)."""

    id: int
    name: str
    role: str
    scope_code: str | None
    active: bool
    created_at: datetime


class UserNew(BaseModel):
    """An account to create."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, examples=["李明"])
    password: str = Field(min_length=1, max_length=200)
    role: str = Field(
        examples=["community_staff"],
        description="grid_worker, community_staff, street_office or admin",
    )
    scope: str | None = Field(None, description="street (9), community (12) or grid (15) code")


class UserChange(BaseModel):
    """Fields of an account to change."""

    model_config = ConfigDict(extra="forbid")

    role: str | None = None
    scope: str | None = None
    active: bool | None = None


class PasswordChange(BaseModel):
    """The current and the new password."""

    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=200)
    new_password: str = Field(max_length=200)


class PasswordReset(BaseModel):
    """A new password set by an admin."""

    model_config = ConfigDict(extra="forbid")

    new_password: str = Field(max_length=200)


def limiter(request: Request) -> AttemptLimiter:
    """The app's limiter of failed logins."""
    state = request.app.state
    if getattr(state, "login_limiter", None) is None:
        auth = state.settings.auth
        state.login_limiter = AttemptLimiter(auth.login_attempts, auth.login_window_s)
    return state.login_limiter


@router.post("/auth/token", response_model=Token, summary="Log in (OAuth2 password flow)")
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    engine: Engine = Depends(get_engine),
) -> dict:
    """Exchange a user name and password for a bearer token; 429 after repeated failures."""
    address = request.client.host if request.client else "-"
    keys = (f"user:{form.username.strip()}", f"addr:{address}")
    limit = limiter(request)
    wait = limit.retry_after(*keys)
    if wait:
        raise TooManyAttempts(
            "too many failed logins", retry_after=wait, fix=f"wait {wait} s and try again"
        )
    user = store.authenticate(engine, form.username.strip(), form.password)
    if user is None:
        limit.fail(*keys)
        raise NotAuthenticated("wrong user name or password", fix="check both and try again")
    limit.reset(keys[0])
    hours = request.app.state.settings.auth.token_hours
    token, expires = store.issue_token(engine, user["id"], timedelta(hours=hours))
    return {"access_token": token, "expires_at": expires, "user": user}


@router.post("/auth/logout", status_code=204, response_class=Response, summary="Log out")
def logout(request: Request, engine: Engine = Depends(get_engine)) -> Response:
    """End this token's session."""
    token = bearer_token(request)
    if token:
        store.revoke_token(engine, token)
    return Response(status_code=204)


@router.get("/auth/me", response_model=User, summary="The logged-in account")
def me(request: Request, engine: Engine = Depends(get_engine)) -> dict:
    """Name, role and scope of the account of the token."""
    return store.get_user(engine, principal(request).name)


@router.post(
    "/auth/password", status_code=204, response_class=Response, summary="Change my password"
)
def change_password(
    change: PasswordChange, request: Request, engine: Engine = Depends(get_engine)
) -> Response:
    """Change one's own password; every session of the account ends (log in again)."""
    name = principal(request).name
    if store.authenticate(engine, name, change.current_password) is None:
        raise NotAuthenticated("the current password is wrong", fix="type the current password")
    store.set_password(engine, name, change.new_password)
    return Response(status_code=204)


@router.get("/users", response_model=list[User], summary="Accounts")
def list_users(engine: Engine = Depends(get_engine)) -> list[dict]:
    """Every account, by name."""
    return store.list_users(engine)


@router.post("/users", status_code=201, response_model=User, summary="Create an account")
def add_user(new: UserNew, engine: Engine = Depends(get_engine)) -> dict:
    """Create an account; 422 names a weak password or a scope that does not suit the role."""
    return store.add_user(engine, new.name, new.password, new.role, new.scope)


@router.get("/users/{name}", response_model=User, summary="One account")
def get_user(name: str, engine: Engine = Depends(get_engine)) -> dict:
    """An account by name."""
    return store.get_user(engine, name)


@router.patch("/users/{name}", response_model=User, summary="Change an account")
def update_user(name: str, change: UserChange, engine: Engine = Depends(get_engine)) -> dict:
    """Change role, scope or active; disabling ends the account's sessions."""
    return store.update_user(
        engine, name, role=change.role, scope=change.scope, active=change.active
    )


@router.put(
    "/users/{name}/password", status_code=204, response_class=Response,
    summary="Set an account's password",
)  # fmt: skip
def reset_password(
    name: str, reset: PasswordReset, engine: Engine = Depends(get_engine)
) -> Response:
    """Set a new password (e.g. a forgotten one); the account's sessions end."""
    store.set_password(engine, name, reset.new_password)
    return Response(status_code=204)


@router.get("/audit", summary="The audit log: who changed what, when")
def read_audit(
    entity: Annotated[str | None, Query(max_length=64, description="table: grid_staff…")] = None,
    user: Annotated[str | None, Query(max_length=100)] = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    engine: Engine = Depends(get_engine),
) -> list[dict]:
    """Entries newest first, with the row before and after each change."""
    return audit.read(engine, entity=entity, user=user, since=since, limit=limit, offset=offset)


@router.get("/login", response_class=HTMLResponse, summary="Login page")
def login_page(
    request: Request,
    next: Annotated[str, Query(max_length=500)] = "/",  # noqa: A002
) -> HTMLResponse:
    """The login form; it posts to /auth/token and keeps the token for the session's pages."""
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    context = {"title": request.app.state.settings.server.title, "next": target}
    return templates().TemplateResponse(request, "login.html", context)
