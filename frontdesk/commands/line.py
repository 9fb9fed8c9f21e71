"""`frontdesk line` — the agent's hands on the running phone: answer, hang up, mute, hold."""

from __future__ import annotations

import argparse
import json
import socket
import sys

from frontdesk.commands.phone import control_socket_path
from frontdesk.config import config_from_args
from frontdesk.errors import UserError
from frontdesk.output import add_format_arg, emit
from voice.sip.control import send_command

ACTIONS = [
    "status", "answer", "reject", "hangup", "mute", "unmute", "hold", "unhold", "take", "watch",
]  # fmt: skip


def register(sub) -> None:
    p = sub.add_parser(
        "line",
        help="control the running phone: status, answer, reject, hang up, mute, hold, watch",
        description=(
            "Talk to the running `frontdesk phone` over its local control socket "
            "(<data-dir>/phone.sock). Without --call the command applies to the one call "
            "it fits (the ringing call for answer/reject, the waiting or held one for take, "
            "the active call otherwise). `take` brings a line into the headset and holds the "
            "one there. "
            "`watch` prints events (ringing, answered, ended) as they happen."
        ),
    )
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("--call", metavar="UUID", help="the call to act on")
    add_format_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = control_socket_path(config_from_args(args))
    if args.action == "watch":
        return _watch(path)
    msg = {"cmd": args.action}
    if args.call:
        msg["call"] = args.call
    try:
        reply = send_command(path, msg)
    except (ConnectionError, OSError) as exc:
        raise UserError(str(exc)) from None
    if args.format == "json":
        emit(reply, "json")
    elif args.action == "status":
        emit(
            reply.get("calls", []),
            "table",
            ["uuid", "state", "caller", "rings", "answered_by", "muted", "held"],
        )
    elif not reply.get("ok"):
        print(reply.get("error"), file=sys.stderr)
    else:
        call = reply.get("call", {})
        print(f"{args.action}: {call.get('uuid')} ({call.get('state')})")
    return 0 if reply.get("ok") else 1


def _watch(path) -> int:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(str(path))
        except OSError:
            raise UserError(f"no phone is running (no control socket at {path})") from None
        s.sendall(b'{"cmd": "subscribe"}\n')
        for line in s.makefile("r", encoding="utf-8"):
            msg = json.loads(line)
            if "event" in msg:
                print(json.dumps(msg, ensure_ascii=False), flush=True)
    return 0
