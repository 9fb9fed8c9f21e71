"""`frontdesk phone` — the softphone process: answers, records, stores each call."""

from __future__ import annotations

import argparse
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from frontdesk.config import config_from_args
from frontdesk.errors import UserError
from frontdesk.store import CallStore
from voice.sip.ring_policy import PRESETS, RingPolicy

if TYPE_CHECKING:
    from voice.sip.registration import Registration

log = logging.getLogger("frontdesk.phone")


def register(sub) -> None:
    p = sub.add_parser(
        "phone",
        help="run the softphone: ring, answer within N rings, greet, record every call",
        description=(
            "Listen for SIP calls. Each INVITE gets 180 Ringing at once; the phone answers "
            "itself at the end of ring N with the greeting, records both channels, and "
            "stores the call and its recording under the data directory, queued for "
            "transcription. Options override the [phone] section of the config file."
        ),
    )
    p.add_argument("--bind", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--sip-port", type=int, help="SIP port (default 5060)")
    p.add_argument(
        "--transport", choices=["udp", "tcp", "both"], help="SIP transport (default udp)"
    )
    p.add_argument(
        "--registrar",
        metavar="URI",
        help="register with this PBX/registrar, e.g. sip:127.0.0.1:5070",
    )
    p.add_argument(
        "--username",
        help="SIP user for registration (password: config or env FRONTDESK_SIP_PASSWORD)",
    )
    p.add_argument(
        "--answer-after-rings",
        type=int,
        metavar="N",
        help="answer by itself at the end of ring N (default 3; 0 = never)",
    )
    p.add_argument(
        "--cadence", choices=sorted(PRESETS), help="ring cadence preset (cn = 1 s on / 4 s off)"
    )
    p.add_argument("--ring-on", type=float, metavar="SECONDS", help="ring length (default 1.0)")
    p.add_argument(
        "--ring-off", type=float, metavar="SECONDS", help="pause between rings (default 4.0)"
    )
    p.add_argument(
        "--max-lines", type=int, help="concurrent calls; the next gets 486 Busy (default 2)"
    )
    p.add_argument("--greeting", type=Path, help="WAV file played when the phone answers")
    p.add_argument(
        "--media-timeout",
        type=float,
        metavar="SECONDS",
        help="hang up a call whose caller sends no RTP this long (default 30; 0 = never)",
    )
    p.set_defaults(func=run)


def registration_from(ph, args: argparse.Namespace) -> Registration | None:
    registrar = args.registrar or ph.registrar
    if not registrar:
        return None
    from voice.sip.registration import Registration

    if not registrar.startswith(("sip:", "sips:")):
        raise UserError(f"registrar {registrar!r} must be a SIP URI such as sip:pbx.example.com")
    username = args.username or ph.username
    if not username:
        raise UserError("a registrar needs a username (--username or [phone] username)")
    host = registrar.split(":", 1)[1].split(";")[0]
    domain = ph.domain or host
    password = os.environ.get("FRONTDESK_SIP_PASSWORD") or ph.password
    if not 1 <= ph.register_retry_s <= ph.register_retry_max_s:
        raise UserError(
            "need 1 <= register_retry_s <= register_retry_max_s, got "
            f"{ph.register_retry_s} and {ph.register_retry_max_s}"
        )
    return Registration(
        registrar, username, domain, password, ph.register_expires, ph.register_retry_s,
        ph.register_retry_max_s,
    )  # fmt: skip


def control_socket_path(cfg) -> Path:
    return cfg.data_dir / "phone.sock"


def policy_from(cfg_phone, args: argparse.Namespace) -> RingPolicy:
    n = (
        args.answer_after_rings
        if args.answer_after_rings is not None
        else cfg_phone.answer_after_rings
    )
    if args.cadence:
        base = RingPolicy.preset(args.cadence, n)
        on, off, tone = base.ring_on, base.ring_off, base.tone_hz
    else:
        on, off, tone = cfg_phone.ring_on, cfg_phone.ring_off, (450, 0)
    on = args.ring_on if args.ring_on is not None else on
    off = args.ring_off if args.ring_off is not None else off
    try:
        return RingPolicy(n, on, off, tone)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    from voice.sip.devices import DeviceChoice  # pjsua2 is loaded only by this command
    from voice.sip.phone import Phone, PhoneSettings

    cfg = config_from_args(args)
    ph = cfg.phone
    greeting = args.greeting or (Path(ph.greeting) if ph.greeting else None)
    if greeting is not None and not greeting.exists():
        raise UserError(f"greeting file {greeting} does not exist")
    media_timeout = ph.media_timeout_s if args.media_timeout is None else args.media_timeout
    if not 0 <= ph.echo_canceller_ms <= 1000:
        raise UserError(f"echo_canceller_ms must be 0-1000, got {ph.echo_canceller_ms}")
    if media_timeout < 0:
        raise UserError(f"media timeout must be >= 0 seconds, got {media_timeout}")
    settings = PhoneSettings(
        bind=args.bind or ph.bind,
        port=args.sip_port or ph.sip_port,
        policy=policy_from(ph, args),
        max_lines=args.max_lines or ph.max_lines,
        greeting=greeting,
        clock_rate=ph.clock_rate,
        transport=args.transport or ph.transport,
        registration=registration_from(ph, args),
        log_level=4 if args.verbose else 1,
        control_path=control_socket_path(cfg),
        media_timeout_s=media_timeout,
        honour_answer_mode=ph.honour_answer_mode,
        devices=DeviceChoice(ph.headset, ph.handset, ph.ring_device),
        echo_canceller_ms=ph.echo_canceller_ms,
    )
    store = CallStore(cfg)
    archive = cfg.archive()
    stop_moving = threading.Event()
    if archive.shared:  # recordings finished while the shared root was away go up when it returns
        from frontdesk.spool import SpoolMover
        from ledger.db import open_database

        mover = SpoolMover(archive, open_database(cfg.database_url))  # the store's own pool
        mover.run_every(cfg.recordings.move_every_s, stop_moving)
    phone = Phone(settings, archive, store.save_call)
    try:
        phone.run()
    except OSError as exc:
        raise UserError(str(exc)) from None
    finally:
        stop_moving.set()
    return 0
