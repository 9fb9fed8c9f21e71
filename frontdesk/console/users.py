"""Console pages: users (admin only) — list, add, reset a password, disable/enable.

The same code as `frontdesk users add|passwd|disable|sites` (accounts.py): its AccountError
messages are shown to the admin as they are. Passwords never reach the access log.
Sites: which sites each user sees (or every site), and the sites there are.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.exceptions import HTTPException
from starlette.responses import Response

from domain.sites import Site
from frontdesk.console import accounts
from frontdesk.console.web import Ctx, guarded
from ledger.models import User
from ledger.sites import ensure_site, list_sites

ADMINS = ("admin",)


def users_page(ctx: Ctx, error: str | None = None, status: int = 200,
               form: dict[str, str] | None = None) -> Response:  # fmt: skip
    rows = list(ctx.db.scalars(select(User).order_by(User.disabled, User.role, User.username)
                               .options(selectinload(User.site_rows))))  # fmt: skip
    return ctx.render(
        "users/index.html",
        status_code=status,
        users=rows,
        sites=list_sites(ctx.db),
        own_site=ctx.console.cfg.site.code,
        seen={u.username: accounts.user_sites(u) for u in rows},
        roles=accounts.ROLES,
        min_password=accounts.MIN_PASSWORD,
        error=error,
        done=ctx.query.get("done"),
        form=form or {},
    )


def list_users(ctx: Ctx) -> Response:
    return users_page(ctx)


def add(ctx: Ctx) -> Response:
    f = ctx.form
    username = f.get("username", "").strip()
    all_sites = f.get("all_sites") == "1"
    try:
        accounts.add_user(ctx.db, username, f.get("role", ""), f.get("password", ""),
                          f.get("display_name", "").strip(), _form_sites(ctx), all_sites)  # fmt: skip
    except accounts.AccountError as exc:
        ctx.db.rollback()
        kept = {k: v for k, v in f.items() if k != "password"}
        return users_page(ctx, f"无法添加用户 — {exc}", 400, kept)
    ctx.log("user_add", f"user:{username}", role=f.get("role"),
            sites="all" if all_sites else ",".join(_form_sites(ctx)))  # fmt: skip
    return ctx.redirect(f"/users?done=added:{username}")


def password(ctx: Ctx, username: str) -> Response:
    try:
        accounts.set_password(ctx.db, username, ctx.form.get("password", ""))
    except accounts.AccountError as exc:
        ctx.db.rollback()
        return users_page(ctx, f"无法重置 {username} 的密码 — {exc}", 400)
    ctx.log("user_passwd", f"user:{username}")
    return ctx.redirect(f"/users?done=passwd:{username}")


def disabled(ctx: Ctx, username: str) -> Response:
    value = ctx.form.get("disabled", "")
    if value not in ("0", "1"):
        raise HTTPException(400, f"disabled={value!r}: expected 1 (disable) or 0 (enable)")
    if username == ctx.user.username and value == "1":
        return users_page(ctx, "不能停用自己的账号 — you cannot disable your own account", 400)
    try:
        accounts.set_disabled(ctx.db, username, value == "1")
    except accounts.AccountError as exc:
        ctx.db.rollback()
        return users_page(ctx, str(exc), 404)
    action = "user_disable" if value == "1" else "user_enable"
    ctx.log(action, f"user:{username}")
    return ctx.redirect(f"/users?done={action[5:]}d:{username}")


def _form_sites(ctx: Ctx) -> list[str]:
    return [c.strip() for c in ctx.forms.get("site", []) if c.strip()]


def sites(ctx: Ctx, username: str) -> Response:
    """Set the sites a user sees (the ticked ones), or every site."""
    all_sites = ctx.form.get("all_sites") == "1"
    chosen = _form_sites(ctx)
    try:
        accounts.set_sites(ctx.db, username, chosen, all_sites)
    except accounts.AccountError as exc:
        ctx.db.rollback()
        return users_page(ctx, f"无法设置 {username} 的站点 — {exc}", 400)
    ctx.log("user_sites", f"user:{username}", sites="all" if all_sites else ",".join(chosen))
    return ctx.redirect(f"/users?done=sites:{username}")


def add_site(ctx: Ctx) -> Response:
    """A new site (楼盘/小区), by code and display name; a known code gets the new name."""
    code, name = ctx.form.get("code", "").strip(), ctx.form.get("name", "").strip()
    try:
        ensure_site(ctx.db, Site(code, name or code))
    except ValueError as exc:
        ctx.db.rollback()
        return users_page(ctx, f"无法添加站点 — {exc}", 400)
    ctx.log("site_add", f"site:{code}", name=name)
    return ctx.redirect(f"/users?done=site:{code}")


routes = [
    guarded("/users", list_users, roles=ADMINS),
    guarded("/users/add", add, roles=ADMINS, methods=("POST",)),
    guarded("/users/sites", add_site, roles=ADMINS, methods=("POST",)),
    guarded("/users/{username}/sites", sites, roles=ADMINS, methods=("POST",)),
    guarded("/users/{username}/password", password, roles=ADMINS, methods=("POST",)),
    guarded("/users/{username}/disabled", disabled, roles=ADMINS, methods=("POST",)),
]
