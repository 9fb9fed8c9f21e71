"""`frontdesk console` — the web console (front desk, supervisor audit, trainer replay)."""

from __future__ import annotations

import argparse
import ipaddress
import logging

from frontdesk.config import config_from_args
from frontdesk.errors import UserError

log = logging.getLogger("frontdesk.console")


def register(sub) -> None:
    p = sub.add_parser(
        "console",
        help="serve the web console (front desk, audit, KPIs, replay) on 127.0.0.1:8080",
        description=(
            "Serve the web console: the front desk answers ringing calls and confirms drafts, "
            "supervisors audit findings and KPIs, trainers replay recordings with their "
            "transcripts. Log-in is required (create people with `frontdesk users add`). "
            "Binds to 127.0.0.1 unless [console] bind says otherwise; a non-loopback address "
            "needs tls_cert and tls_key, since the session cookie is Secure."
        ),
    )
    p.add_argument("--bind", help="address to listen on (default from config: 127.0.0.1)")
    p.add_argument("--port", type=int, help="TCP port (default from config: 8080)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from frontdesk.console.app import create_app, first_admin_command
    from frontdesk.ledger_session import sessions_for

    cfg = config_from_args(args)
    c = cfg.console
    if args.bind:
        c.bind = args.bind
    if args.port:
        c.port = args.port
    tls = bool(c.tls_cert and c.tls_key)
    if not _loopback(c.bind) and not tls and c.secure_cookies:
        raise UserError(
            f"console bind {c.bind} is not loopback: browsers send Secure cookies only over "
            "HTTPS there; set [console] tls_cert and tls_key"
        )
    if c.timezone:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(c.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise UserError(
                f"[console] timezone {c.timezone!r} is not a time zone (e.g. Asia/Shanghai)"
            ) from None
    app = create_app(cfg, sessions_for(cfg))
    scheme = "https" if tls else "http"
    log.info("console listening on %s://%s:%d", scheme, c.bind, c.port)
    if not app.state.console.has_users():
        log.warning("no console user exists yet, so nobody can log in: create the first "
                    "admin with `%s`", first_admin_command(cfg))  # fmt: skip
    # No access log: URLs carry phone numbers and names in their filters.
    uvicorn.run(
        app,
        host=c.bind,
        port=c.port,
        log_level="warning",
        access_log=False,
        # The client's address is the socket's: a local process must not pick the address
        # the log-in limiter and the access log see with X-Forwarded-For.
        proxy_headers=False,
        forwarded_allow_ips="",
        ssl_certfile=c.tls_cert if tls else None,
        ssl_keyfile=c.tls_key if tls else None,
        timeout_graceful_shutdown=3,
    )
    return 0


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
