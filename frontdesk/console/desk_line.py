"""The desk's live line: the phone's events to each open /desk, the agent's line controls.

/events          Server-Sent Events: ringing and active calls, each caller enriched with what
                 the user may know of them (earlier entries for the number, in their sites)
/line/{action}   answer, reject, hang up, hold, take … → the phone's control socket
/line/status     the phone's lines now (a desk opened mid-call)

The console's phone belongs to the console's site: people of other sites see no events and
get 403 for its controls. The words shared with the desk and ledger pages (who may use the
desk, the statuses' labels) live here, the lowest of the three.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection
from typing import Any

import anyio.from_thread
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from frontdesk.console.accounts import Principal
from frontdesk.console.web import Console, Ctx, _lookup, guarded
from ledger.models import LedgerEntry
from ledger.sites import in_sites
from voice.sip.control import send_command

DESK_ROLES = ("agent", "supervisor")
NOT_YOUR_LINE = "这条线路属于其他站点 — this desk's line belongs to a site you do not work for"
LINE_ACTIONS = ("answer", "reject", "hangup", "mute", "unmute", "hold", "unhold", "take")
RECHECK_S = 5.0  # with no events, re-check the session (and keep the stream alive) this often

STATUS_LABELS = {
    "draft": "草稿 Draft",
    "registered": "已登记 Registered",
    "dispatched": "已派单 Dispatched",
    "in_progress": "处理中 In progress",
    "returned": "已返单 Returned",
    "called_back": "已回访 Called back",
    "closed": "已关闭 Closed",
}


# ---- who is asking (for the async routes the `guarded` wrapper does not cover) ----


async def _principal(request: Request) -> Principal | None:
    console: Console = request.app.state.console

    found = await run_in_threadpool(_lookup, console, request)
    return found[0] if found else None


# ---- known residents: earlier entries for the caller's number ----


def known_caller(
    db: Session, number: str | None, sites: Collection[str] | None = None
) -> dict[str, Any] | None:
    """Name and address from the latest earlier entries for this number (None if unknown),
    among the entries of ``sites`` (None: every site) — what the user may see."""
    if not number:
        return None
    rows = list(
        db.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.caller_phone == number, in_sites(LedgerEntry.site, sites))
            .order_by(LedgerEntry.id.desc())
            .limit(5)
        )
    )
    if not rows:
        return None
    name = next((e.caller_name for e in rows if e.caller_name), None)
    address = next((e.address_code() or e.public_area for e in rows
                    if e.address_code() or e.public_area), None)  # fmt: skip
    last = rows[0]
    return {
        "name": name,
        "address": address,
        "entries": len(rows),
        "last": f"{last.category or ''} {last.summary or ''}".strip()[:60],
        "last_id": last.id,
        "recent": [
            {"id": e.id, "created_at": e.created_at.isoformat(), "category": e.category,
             "summary": (e.summary or "")[:120], "status": STATUS_LABELS.get(e.status, e.status),
             "address": e.address_code() or e.public_area, "urgent": e.urgent}
            for e in rows
        ],
    }  # fmt: skip


def _with_known(
    console: Console, calls: list[dict[str, Any]], user: Principal
) -> list[dict[str, Any]]:
    """Copies of ``calls`` with what the user may know of each caller (an event is shared
    by every open desk: each gets its own copy)."""
    out = [dict(c) if isinstance(c, dict) else c for c in calls]
    with console.sessions() as db:
        _known_in(db, out, user)
    return out


# ---- Server-Sent Events: the phone's events, enriched, to each open /desk ----


async def events(request: Request) -> Response:
    user = await _principal(request)
    if user is None:
        return JSONResponse({"ok": False, "error": "not logged in"}, status_code=401)
    if not user.may(*DESK_ROLES):
        return JSONResponse({"ok": False, "error": "not allowed"}, status_code=403)
    console: Console = request.app.state.console
    if not user.sees(console.cfg.site.code):
        return JSONResponse({"ok": False, "error": NOT_YOUR_LINE}, status_code=403)
    queue = console.hub.subscribe()

    async def stream():
        try:
            yield "retry: 1000\n\n"
            status = await console.hub.command({"cmd": "status"})
            calls = status.get("calls", []) if status.get("ok") else []
            calls = await run_in_threadpool(_with_known, console, calls, user)
            snap = {"event": "snapshot", "connected": bool(status.get("ok")), "calls": calls,
                    "error": None if status.get("ok") else status.get("error")}  # fmt: skip
            yield _sse(snap)
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), RECHECK_S)
                except TimeoutError:
                    if await _principal(request) is None:  # logged out or disabled: stop
                        return
                    yield ": keep-alive\n\n"
                    continue
                # Callers' numbers, names and addresses go only to a session still live:
                # a disabled or logged-out user gets nothing more, however busy the line.
                if await _principal(request) is None:
                    return
                if isinstance(event.get("call"), dict) and event.get("event") == "ringing":
                    # a copy per subscriber: each sees only their own sites' history
                    known = await run_in_threadpool(_with_known, console, [event["call"]], user)
                    event = {**event, "call": known[0]}
                yield _sse(event)
        finally:
            console.hub.unsubscribe(queue)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


def _sse(data: dict[str, Any]) -> str:
    return "data: " + json.dumps(data, ensure_ascii=False, default=str) + "\n\n"


# ---- the line: agent actions sent to the phone ----


def _json_body(ctx: Ctx) -> dict[str, Any]:
    if ctx.form:
        return dict(ctx.form)
    raw = anyio.from_thread.run(ctx.request.body)
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise HTTPException(400, "the request body is not JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "the request body must be a JSON object")
    return body


def own_line(ctx: Ctx) -> None:
    """The phone behind this console is its desk's site's line: only its users work it."""
    if not ctx.user.sees(ctx.console.cfg.site.code):
        raise HTTPException(403, NOT_YOUR_LINE)


def _phone(ctx: Ctx, msg: dict[str, Any]) -> dict[str, Any]:
    try:
        return send_command(ctx.console.hub.socket_path, msg)
    except (ConnectionError, OSError, ValueError) as exc:
        return {"ok": False, "error": str(exc), "phone": False}


def line(ctx: Ctx, action: str) -> Response:
    if action not in LINE_ACTIONS:
        raise HTTPException(
            404, f"unknown line action {action!r}; known: {', '.join(LINE_ACTIONS)}"
        )
    own_line(ctx)
    body = _json_body(ctx)
    msg: dict[str, Any] = {"cmd": action}
    if body.get("call"):
        msg["call"] = str(body["call"])
    reply = _phone(ctx, msg)
    if reply.get("phone") is False:
        reply["error"] = "电话未运行 — the phone is not running (start `frontdesk run`)"
        return JSONResponse(reply, status_code=503)
    ctx.log(f"line_{action}", msg.get("call"), ok=bool(reply.get("ok")))
    return JSONResponse(reply, status_code=200 if reply.get("ok") else 409)


def line_status(ctx: Ctx) -> Response:
    own_line(ctx)
    reply = _phone(ctx, {"cmd": "status"})
    if reply.get("ok"):
        _known_in(ctx.db, reply.get("calls", []), ctx.user)
    return JSONResponse(reply, status_code=200 if reply.get("ok") else 503)


def _known_in(db: Session, calls: list[dict[str, Any]], user: Principal) -> None:
    for c in calls:
        if isinstance(c, dict):
            c["known"] = known_caller(db, c.get("caller"), user.sites)


routes: list[BaseRoute] = [
    Route("/events", events),
    guarded("/line/status", line_status, roles=DESK_ROLES),
    guarded("/line/{action}", line, roles=DESK_ROLES, methods=("POST",)),
]
