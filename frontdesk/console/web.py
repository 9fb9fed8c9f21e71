"""The console's web layer: what every page is built with — the Console (settings, ledger,
templates, the phone's events), the request context, rendering, ``guarded`` routes (log-in
session, role, CSRF and Origin checks, a database session per request), security headers,
filters and local days. Pages import this; ``app.py`` assembles them.

Every page is declared with ``guarded(path, handler, roles=…)``: the wrapper finds the
log-in session, refuses roles that may not see the page, checks the CSRF token and the
Origin of every POST, opens a database session for the handler (run in a thread: the
ledger is synchronous SQLAlchemy) and commits it when the handler returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from domain.localtime import day_bounds, local_midnight
from domain.sites import Site
from frontdesk.config import Config
from frontdesk.console import accounts, logins
from frontdesk.console.access import log_access
from frontdesk.console.accounts import Principal
from frontdesk.console.phone_events import PhoneHub

log = logging.getLogger("frontdesk.console")
HERE = Path(__file__).parent

# What each role sees in the navigation, in order: (url, label, roles).
NAV = [
    ("/desk", "前台 Desk", ("agent", "supervisor")),
    ("/ledger", "台账 Ledger", ("agent", "supervisor")),
    ("/audit", "稽核 Audit", ("supervisor",)),
    ("/kpi", "指标 KPIs", ("supervisor",)),
    ("/calls", "录音 Calls", ("supervisor", "trainer")),
    ("/training", "培训 Training", ("trainer",)),
    ("/access", "访问日志 Access", ("supervisor",)),
    ("/users", "用户 Users", ("admin",)),
]
HOME = {"agent": "/desk", "supervisor": "/audit", "trainer": "/calls", "admin": "/desk"}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),  # pages hold residents' data: never in a shared cache
]


class Console:
    """What every request needs: settings, the ledger, templates, the phone's events."""

    def __init__(self, cfg: Config, sessions: sessionmaker[Session]) -> None:
        self.cfg = cfg
        self.rules = cfg.rules()
        self.sessions = sessions
        self._has_users = False
        self.limiter = logins.LoginLimiter(cfg.console.login_attempts, cfg.console.login_window_s)
        self.hub = PhoneHub(cfg.data_dir / "phone.sock")
        self.tz = ZoneInfo(cfg.console.timezone) if cfg.console.timezone else None
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"], default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["local"] = self.local_time
        self.templates.filters["duration"] = format_duration
        self.templates.filters["mask_phone"] = mask_phone
        self.templates.filters["site_name"] = site_name

    def has_users(self) -> bool:
        """Whether anyone can log in yet (checked until someone can, then remembered)."""
        if not self._has_users:
            with self.sessions() as db:
                self._has_users = accounts.has_users(db)
        return self._has_users

    def midnight(self, day: date) -> datetime:
        """Local midnight starting ``day`` (the console's zone), as aware UTC."""
        return local_midnight(day, self.tz)

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        return day_bounds(day, self.tz)

    def local_time(self, value: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
        if value is None:
            return ""
        return value.astimezone(self.tz).strftime(fmt)


def first_admin_command(cfg: Config) -> str:
    """How to create the first admin, for this data directory."""
    return f"frontdesk --data-dir {cfg.data_dir} {accounts.FIRST_ADMIN}"


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(round(seconds))
    return (
        f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


def mask_phone(number: str | None) -> str:
    """13912345678 → 139****5678: enough for a trainer to tell calls apart, not to call."""
    if not number:
        return ""
    digits = str(number)
    if len(digits) <= 4:
        return "*" * len(digits)
    keep = 3 if len(digits) >= 11 else 1
    return digits[:keep] + "*" * (len(digits) - keep - 4) + digits[-4:]


@dataclass
class Ctx:
    """One request, as a page handler sees it."""

    request: Request
    console: Console
    user: Principal
    db: Session
    csrf: str
    form: dict[str, str] = field(default_factory=dict)
    forms: dict[str, list[str]] = field(default_factory=dict)  # fields given several times

    @property
    def query(self) -> dict[str, str]:
        return dict(self.request.query_params)

    @property
    def remote(self) -> str:
        return self.request.client.host if self.request.client else ""

    def render(self, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        return render(self.console, self.request, template, status_code,
                      user=self.user, csrf=self.csrf, **values)  # fmt: skip

    def log(self, action: str, subject: str | None = None, **detail: Any) -> None:
        log_access(self.db, self.user.username, action, subject, self.remote, **detail)

    def redirect(self, url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)


def render(
    console: Console, request: Request, template: str, status_code: int = 200, **values: Any
) -> HTMLResponse:
    user = values.get("user")
    nav = [(u, label) for u, label, roles in NAV if user and user.may(*roles)]
    html = console.templates.get_template(template).render(
        request=request, nav=nav, path=request.url.path, **values
    )
    return HTMLResponse(html, status_code=status_code)


Handler = Callable[..., Response]


def guarded(
    path: str,
    handler: Handler,
    *,
    roles: tuple[str, ...],
    methods: tuple[str, ...] = ("GET",),
    name: str | None = None,
) -> Route:
    """A route whose handler runs only for a logged-in user holding one of ``roles``
    (admins hold all). The handler is ``handler(ctx, **path_params) -> Response``."""

    async def endpoint(request: Request) -> Response:
        console: Console = request.app.state.console
        if request.method == "GET":
            return await run_in_threadpool(_get, console, handler, roles, request)
        found = await run_in_threadpool(_lookup, console, request)
        if found is None:
            return _not_logged_in(request)
        user, csrf = found
        _check_role(user, roles)
        form: dict[str, str] = {}
        forms: dict[str, list[str]] = {}
        if request.method == "POST":
            _check_origin(request)
            given = request.headers.get("x-csrf-token")
            ctype = request.headers.get("content-type", "")
            if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                data = await request.form()
                for k, v in data.multi_items():
                    if isinstance(v, str):
                        forms.setdefault(k, []).append(v)
                form = {k: v[-1] for k, v in forms.items()}
                given = given or form.get("csrf")
            if not logins.csrf_ok(csrf, given):
                raise HTTPException(
                    403, "the form's security token is missing or stale: reload the page"
                )
        return await run_in_threadpool(
            _call, console, handler, request, user, csrf, form, forms, request.path_params
        )

    return Route(path, endpoint, methods=list(methods), name=name)


def _not_logged_in(request: Request) -> Response:
    if request.method == "GET" and "json" not in request.headers.get("accept", ""):
        target = quote(request.url.path + ("?" + request.url.query if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    return JSONResponse({"ok": False, "error": "not logged in"}, status_code=401)


def _check_role(user: Principal, roles: tuple[str, ...]) -> None:
    if not user.may(*roles):
        raise HTTPException(403, f"{user.username} ({user.role}) may not open this page")


def _get(console: Console, handler: Handler, roles: tuple[str, ...], request: Request) -> Response:
    """A GET: the log-in lookup and the page in one database session and one thread. Apart,
    they cost a second pool checkout (a ping), BEGIN and COMMIT and a thread hop per page:
    round trips that each wait for the server to be scheduled on a busy machine (the company
    audit list at load 12: most of its wall time). The session's last-seen mark and an idle
    session's end are committed with the page, or alone when the page is refused."""
    with console.sessions() as db:
        found = logins.lookup(
            db, request.cookies.get(logins.COOKIE), console.cfg.console.idle_minutes
        )
        if found is None:
            db.commit()  # the idle session's end
            return _not_logged_in(request)
        user, csrf = found
        try:
            _check_role(user, roles)
        except HTTPException:
            db.commit()
            raise
        response = handler(Ctx(request, console, user, db, csrf), **request.path_params)
        db.commit()
        return response


def _lookup(console: Console, request: Request) -> tuple[Principal, str] | None:
    with console.sessions() as db:
        found = logins.lookup(
            db, request.cookies.get(logins.COOKIE), console.cfg.console.idle_minutes
        )
        db.commit()  # last seen, or the idle session's end
        return found


def _call(console, handler, request, user, csrf, form, forms, params) -> Response:
    with console.sessions() as db:
        ctx = Ctx(request, console, user, db, csrf, form, forms)
        response = handler(ctx, **params)
        db.commit()
        return response


def _check_origin(request: Request) -> None:
    """A POST must come from a page of this console (belt and braces with the CSRF token)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is None:
        return  # non-browser clients send none; the CSRF token still applies
    o = urlsplit(origin)
    if f"{o.scheme}://{o.netloc}" != f"{request.url.scheme}://{request.url.netloc}":
        raise HTTPException(403, "cross-site request refused")


# ---- log-in and log-out ----


def allowed_hosts(cfg: Config) -> set[str]:
    hosts = {"127.0.0.1", "localhost", "::1", cfg.console.bind.lower(), *(
        h.lower() for h in cfg.console.allowed_hosts)}  # fmt: skip
    return hosts


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8080
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class SecurityHeaders:
    """Adds the security headers to every response (pure ASGI, so streams pass through),
    and refuses a Host the console is not known by: a page on another site whose name
    resolves to this address (DNS rebinding) would otherwise read it as same-origin. A
    console bound to every address (0.0.0.0) takes any Host, as it names none itself."""

    def __init__(self, app: Starlette, hosts: set[str] | None = None, hsts: bool = False) -> None:
        self.app = app
        self.state = app.state
        self.hosts = hosts
        self.headers = [*SECURITY_HEADERS]
        if hsts:  # served over TLS: browsers never fall back to plain HTTP for it
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    def _host_ok(self, scope) -> bool:
        if not self.hosts or {"0.0.0.0", "::"} & self.hosts:
            return True
        host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), "")
        return _host_name(host) in self.hosts

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self._host_ok(scope):
            refused = PlainTextResponse("unknown Host: this console answers to its own names "
                                        "only ([console] allowed_hosts)", status_code=400)  # fmt: skip
            await refused(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def local_day(ctx: Ctx, value: str, name: str, after: bool = False) -> datetime:
    """A "YYYY-MM-DD" query value → local midnight in UTC (of the next day with ``after``, for
    an inclusive "to"); 400 naming the parameter when it is no date."""
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
        return ctx.console.midnight(day + timedelta(days=1) if after else day)
    except (ValueError, OverflowError):
        raise HTTPException(400, f"{name}={value!r}: expected a date like 2026-11-24") from None


def site_name(sites: Sequence[Site], code: str) -> str:
    """A row's site shown by name (its code when unknown). A filter, not a template loop: a
    list of 50 rows at a 50-site company spent 30 ms walking the sites in Jinja."""
    for s in sites:
        if s.code == code:
            return s.name
    return code
