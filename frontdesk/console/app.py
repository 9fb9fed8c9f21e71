"""The console as an ASGI app (Starlette): the log-in page, and every page module assembled
under its routes. Pages are plain functions guarded by role (``web.guarded``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from frontdesk.config import Config
from frontdesk.console import (
    access_page,
    accounts,
    audit,
    desk,
    desk_line,
    kpi,
    ledger_page,
    logins,
    recordings,
    replay,
    training,
    users,
)
from frontdesk.console.access import log_access
from frontdesk.console.web import (
    HERE,
    HOME,
    Console,
    Ctx,
    SecurityHeaders,
    _check_origin,
    _lookup,
    allowed_hosts,
    first_admin_command,
    guarded,
    render,
)

__all__ = ["create_app", "first_admin_command"]

log = logging.getLogger("frontdesk.console")


async def login_page(request: Request) -> Response:
    console: Console = request.app.state.console
    nxt = _safe_next(request.query_params.get("next"))
    if request.method == "GET":
        return _login_form(console, request, nxt)
    _check_origin(request)
    form = await request.form()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    if not logins.csrf_ok(request.cookies.get("fd_login", ""), str(form.get("csrf", ""))):
        return _login_form(
            console, request, nxt, "页面已过期，请重试 — the form expired, try again", 403
        )
    remote = request.client.host if request.client else ""
    username = username[:64]
    wait = console.limiter.begin(remote, username)  # counted now: no check-then-record race
    if wait > 0:
        if console.limiter.first_refusal(remote, username):
            await run_in_threadpool(_log_login, console, username, remote, "login_refused")
        resp = _login_form(console, request, nxt,
                           f"尝试次数过多 — too many failed log-ins; try again in {int(wait) + 1} s", 429)  # fmt: skip
        resp.headers["retry-after"] = str(int(wait) + 1)
        return resp
    log_failure = console.limiter.log_failure(remote)
    token = await run_in_threadpool(
        _authenticate, console, username, password, remote, log_failure
    )
    if token is None:
        return _login_form(
            console, request, nxt, "用户名或密码错误 — wrong username or password", 401
        )
    console.limiter.succeeded(remote, username)
    session_token, role = token
    resp = RedirectResponse(nxt or HOME.get(role, "/desk"), status_code=303)
    # No max_age: a browser session cookie, gone when the browser closes (the server
    # ends the session after session_hours, or idle_minutes unused, anyway).
    resp.set_cookie(
        logins.COOKIE,
        session_token,
        httponly=True,
        secure=console.cfg.console.secure_cookies,
        samesite="strict",
        path="/",
    )
    resp.delete_cookie("fd_login", path="/login")
    return resp


def _login_form(console, request, nxt, error=None, status=200) -> Response:
    import secrets

    token = secrets.token_urlsafe(24)  # double-submit token: log-in has no session yet
    first_run = None if console.has_users() else first_admin_command(console.cfg)
    resp = render(console, request, "login.html", status, csrf=token, next=nxt, error=error,
                  first_run=first_run)  # fmt: skip
    resp.set_cookie("fd_login", token, httponly=True, samesite="strict", path="/login",
                    secure=console.cfg.console.secure_cookies)  # fmt: skip
    return resp


def _authenticate(
    console: Console, username: str, password: str, remote: str, log_failure: bool = True
):
    with console.sessions() as db:
        user = accounts.authenticate(db, username, password)
        if user is None:
            if log_failure:
                log_access(db, username[:64] or "?", "login_failed", remote=remote)
                db.commit()
            return None
        token, _ = logins.open_session(db, user, console.cfg.console.session_hours)
        log_access(db, user.username, "login", remote=remote)
        db.commit()
        return token, user.role


def _log_login(console: Console, username: str, remote: str, action: str) -> None:
    with console.sessions() as db:
        log_access(db, username[:64] or "?", action, remote=remote)
        db.commit()


def _safe_next(nxt: str | None) -> str | None:
    """Only a path on this console: never an open redirect to another site."""
    if nxt and nxt.startswith("/") and not nxt.startswith("//") and "\\" not in nxt:
        return nxt
    return None


def logout(ctx: Ctx) -> Response:
    logins.close_session(ctx.db, ctx.request.cookies.get(logins.COOKIE))
    ctx.log("logout")
    resp = ctx.redirect("/login")
    resp.delete_cookie(logins.COOKIE, path="/")
    return resp


def home(ctx: Ctx) -> Response:
    return ctx.redirect(HOME.get(ctx.user.role, "/desk"))


# ---- the app ----


def page_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for module in (desk, desk_line, ledger_page, audit, kpi, replay, training, users, recordings, access_page):
        routes += module.routes
    return routes


def create_app(cfg: Config, sessions: sessionmaker[Session] | None = None) -> Starlette:
    if sessions is None:
        from ledger.db import open_database

        sessions = open_database(cfg.database_url)
    console = Console(cfg, sessions)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        task = asyncio.create_task(console.hub.run())
        try:
            yield
        finally:
            task.cancel()

    routes: list[BaseRoute] = [
        Route("/login", login_page, methods=["GET", "POST"]),
        guarded("/logout", logout, roles=accounts.ROLES, methods=("POST",)),
        guarded("/", home, roles=accounts.ROLES),
        *page_routes(),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, OverflowError: _out_of_range},
    )
    app.state.console = console
    return SecurityHeaders(app, allowed_hosts(cfg), hsts=bool(cfg.console.tls_cert))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    console: Console = request.app.state.console
    if "json" in request.headers.get("accept", "") or request.url.path.startswith("/api/"):
        return JSONResponse({"ok": False, "error": exc.detail}, status_code=exc.status_code)
    found = await run_in_threadpool(_lookup, console, request)
    user, csrf = found if found else (None, None)
    return render(console, request, "error.html", exc.status_code,
                  user=user, csrf=csrf, status=exc.status_code, message=exc.detail)  # fmt: skip


async def _out_of_range(request: Request, exc: Exception) -> Response:
    """A date at the edge of the calendar (9999-12-31 and a day after it): the request's
    fault, said as such, not a server error."""
    return await _http_error(request, HTTPException(400, f"a date in this request is out of range: {exc}"))


