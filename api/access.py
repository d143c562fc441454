"""Who may call what: the one table of every endpoint's access rule, and its enforcement.

Every route of the app is listed in :data:`RULES` by method and path template. The global
dependency :func:`authorize` finds the caller (a bearer token, or the public), applies the
route's rule and refuses a route without one (fail closed), so an endpoint added without a
rule answers 403 and fails ``tests/api/test_access.py``. Rules that name a path parameter
also check that the code in it lies within the caller's scope; handlers whose object's code
is not in the path call :func:`require_scope` themselves.

Roles are ordered (:class:`api.auth.roles.Role`): a rule names the lowest role allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from api.auth import actor, store
from api.auth.errors import Forbidden, NotAuthenticated
from api.auth.roles import ANONYMOUS, Principal, Role


@dataclass(frozen=True)
class Rule:
    """The access rule of one endpoint.

    Attributes
    ----------
    role : Role
        The lowest role allowed; ``Role.PUBLIC`` lets everyone in.
    scope_param : str or None
        A path parameter holding an administrative code that must lie in the caller's scope.
    """

    role: Role
    scope_param: str | None = None

    def describe(self) -> str:
        """The rule in words, for the API docs."""
        if self.role is Role.PUBLIC:
            return "public: no login needed"
        text = f"login as {self.role.label} or above"
        if self.scope_param:
            text += f"; {{{self.scope_param}}} must lie in the account's scope"
        return text


PUBLIC = Rule(Role.PUBLIC)
LOGGED_IN = Rule(Role.GRID_WORKER)
STREET = Rule(Role.STREET_OFFICE)
ADMIN = Rule(Role.ADMIN)

#: (method, path template) → rule. Public: the map, the lookup, the layers and the posted
#: staff contacts; plans are the street office's; accounts and the audit log the admin's.
RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/api/summary"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    # login and the account's own session
    ("POST", "/auth/token"): PUBLIC,
    ("POST", "/auth/logout"): LOGGED_IN,
    ("GET", "/auth/me"): LOGGED_IN,
    ("POST", "/auth/password"): LOGGED_IN,
    # accounts and the audit log
    ("GET", "/users"): ADMIN,
    ("POST", "/users"): ADMIN,
    ("GET", "/users/{name}"): ADMIN,
    ("PATCH", "/users/{name}"): ADMIN,
    ("PUT", "/users/{name}/password"): ADMIN,
    ("GET", "/audit"): ADMIN,
    # data imports: a street office within its street
    ("POST", "/imports/{layer}"): STREET,
    # plans (drafts are internal; the grids in force are public)
    ("POST", "/plans"): STREET,
    ("GET", "/plans"): STREET,
    ("GET", "/plans/{plan_id}"): STREET,
    ("PATCH", "/plans/{plan_id}"): STREET,
    ("DELETE", "/plans/{plan_id}"): STREET,
    ("GET", "/plans/{plan_id}/grids"): STREET,
    ("POST", "/plans/{plan_id}/publish"): STREET,
    ("POST", "/plans/{plan_id}/moves"): STREET,
    ("GET", "/plans/{plan_id}/validation"): STREET,
    ("GET", "/plans/{plan_id}/diff/{other_id}"): STREET,
    ("GET", "/plans/{plan_id}/export"): STREET,
    ("GET", "/plans/{plan_id}/buildings"): STREET,
    ("PUT", "/plans/{plan_id}/grids/{grid_id}/lock"): STREET,
    ("POST", "/plans/{plan_id}/rerun"): STREET,
    ("POST", "/plans/import"): STREET,
    ("GET", "/plan-jobs/{job_id}"): STREET,
    ("GET", "/grids"): PUBLIC,
    # layers, tiles, lookup, search
    ("GET", "/collections/{layer}/items"): PUBLIC,
    ("GET", "/tiles/{layer}/{z}/{x}/{y}.mvt"): PUBLIC,
    ("GET", "/tiles/{layer}.json"): PUBLIC,
    ("GET", "/lookup"): PUBLIC,
    ("GET", "/search"): PUBLIC,
    # grid staff: contacts are posted on walls; community staff keep them
    ("GET", "/grids/{code}/staff"): PUBLIC,
    ("POST", "/grids/{code}/staff"): Rule(Role.COMMUNITY_STAFF, scope_param="code"),
    ("GET", "/staff/{staff_id}"): PUBLIC,
    ("PATCH", "/staff/{staff_id}"): Rule(Role.COMMUNITY_STAFF),
    ("DELETE", "/staff/{staff_id}"): Rule(Role.COMMUNITY_STAFF),
    # incidents: reported and handled by logged-in staff within scope; residents report
    ("GET", "/incident-classes"): PUBLIC,
    ("POST", "/incident-classes"): ADMIN,
    ("POST", "/incidents"): LOGGED_IN,
    ("GET", "/incidents"): LOGGED_IN,
    ("GET", "/incidents/h3"): LOGGED_IN,
    ("GET", "/incidents/hotspots"): LOGGED_IN,
    ("GET", "/incidents/emerging"): LOGGED_IN,
    ("GET", "/incidents/{incident_id}"): LOGGED_IN,
    ("POST", "/incidents/{incident_id}/transitions"): LOGGED_IN,
    ("POST", "/reports"): PUBLIC,
    ("GET", "/stats/incidents"): LOGGED_IN,
    # web map pages
    ("GET", "/map"): PUBLIC,
    ("GET", "/map/streets/{code}"): PUBLIC,
    ("GET", "/map/communities/{code}"): PUBLIC,
    ("GET", "/map/incidents"): PUBLIC,  # a shell: its data need a login
    ("GET", "/map/plans"): PUBLIC,  # a shell: plans need a street-office login
    ("GET", "/map/facility-clusters"): PUBLIC,
    ("GET", "/map/grids/{code}/facilities"): PUBLIC,
    # printed grid diagrams and atlases: the street office within its scope
    ("GET", "/grids/{code}/diagram.pdf"): Rule(Role.STREET_OFFICE, scope_param="code"),
    ("GET", "/grids/{code}/diagram.png"): Rule(Role.STREET_OFFICE, scope_param="code"),
    ("GET", "/communities/{code}/overview.pdf"): Rule(Role.STREET_OFFICE, scope_param="code"),
    ("GET", "/communities/{code}/atlas.pdf"): Rule(Role.STREET_OFFICE, scope_param="code"),
    ("POST", "/communities/{code}/atlas"): Rule(Role.STREET_OFFICE, scope_param="code"),
    ("GET", "/print-jobs/{job_id}"): STREET,
    ("GET", "/print-jobs/{job_id}/file"): STREET,
    # OGC API - Features
    ("GET", "/ogc"): PUBLIC,
    ("GET", "/ogc/conformance"): PUBLIC,
    ("GET", "/ogc/collections"): PUBLIC,
    ("GET", "/ogc/collections/{collection_id}"): PUBLIC,
    ("GET", "/ogc/collections/{collection_id}/queryables"): PUBLIC,
    ("GET", "/ogc/collections/{collection_id}/items"): PUBLIC,
    ("GET", "/ogc/collections/{collection_id}/items/{feature_id}"): PUBLIC,
}


def rule_for(method: str, path: str) -> Rule | None:
    """The rule of ``method path`` (HEAD follows GET), or ``None`` if it has none."""
    method = "GET" if method == "HEAD" else method
    return RULES.get((method, path))


def bearer_token(request: Request) -> str | None:
    """The bearer token of the request's ``Authorization`` header, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def _caller(request: Request, needs_login: bool) -> Principal:
    token = bearer_token(request)
    if token is None:
        return ANONYMOUS
    engine = request.app.state.engine
    principal = await run_in_threadpool(store.resolve_token, engine, token)
    if principal is None:
        if needs_login:
            raise NotAuthenticated(
                "the login has expired or was ended", fix="log in again at /login"
            )
        return ANONYMOUS  # a stale token does not lock anyone out of public pages
    return principal


def require_scope(request: Request, code: str) -> None:
    """Refuse (403) unless the caller's scope covers administrative code ``code``."""
    principal: Principal = getattr(request.state, "principal", ANONYMOUS)
    if not principal.covers(code):
        raise Forbidden(
            f"{code} is outside the account's scope ({principal.scope or 'none'})",
            fix="ask the street office or an admin for an account covering it",
        )


def principal(request: Request) -> Principal:
    """The caller of a request that passed :func:`authorize`."""
    return getattr(request.state, "principal", ANONYMOUS)


async def authorize(request: Request) -> None:
    """The global dependency: apply the route's rule to the caller.

    Raises
    ------
    NotAuthenticated
        If the rule needs a login and there is none (401).
    Forbidden
        If the route has no rule, or the caller's role or scope does not allow it (403).
    """
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    rule = rule_for(request.method, path)
    if rule is None:
        raise Forbidden(f"{request.method} {path} has no access rule", fix="report this bug")
    caller = await _caller(request, needs_login=rule.role is not Role.PUBLIC)
    request.state.principal = caller
    if caller.role < rule.role:
        if not caller.authenticated:
            raise NotAuthenticated(
                f"{request.method} {path} needs a login", fix="log in at /login (POST /auth/token)"
            )
        raise Forbidden(
            f"a {caller.role.label} may not {request.method} {path}",
            fix=f"this needs a {rule.role.label} account",
        )
    if rule.scope_param:
        require_scope(request, str(request.path_params.get(rule.scope_param, "")))
    actor.set_actor(caller)


def routes_without_rule(app: FastAPI) -> list[str]:
    """``METHOD path`` of every route of ``app``'s OpenAPI schema that has no rule."""
    missing = []
    for path, operations in app.openapi().get("paths", {}).items():
        for method in operations:
            if rule_for(method.upper(), path) is None:
                missing.append(f"{method.upper()} {path}")
    return missing


def document(app: FastAPI) -> None:
    """Write each route's rule into the OpenAPI schema (security and a line of text)."""
    original = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {})
        components.setdefault("securitySchemes", {})["bearer"] = {
            "type": "oauth2",
            "flows": {"password": {"tokenUrl": "auth/token", "scopes": {}}},
        }
        for path, operations in schema.get("paths", {}).items():
            for method, op in operations.items():
                rule = rule_for(method.upper(), path)
                if rule is None:
                    continue
                op["x-wangge-access"] = rule.describe()
                if rule.role is not Role.PUBLIC:
                    op["security"] = [{"bearer": []}]
                    answers = op.setdefault("responses", {})
                    answers.setdefault("401", {"description": "login needed"})
                    answers.setdefault("403", {"description": "role or scope not allowed"})
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
