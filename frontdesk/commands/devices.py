"""`frontdesk devices` — the sound devices the phone could use (headset, handset, ring)."""

from __future__ import annotations

import argparse
import sys

from frontdesk.config import config_from_args
from frontdesk.output import add_format_arg, emit


def register(sub) -> None:
    p = sub.add_parser(
        "devices",
        help="list capture and playback devices (headset, handset, ring device)",
        description=(
            "List the sound devices pjsua2 sees. A machine without any (a server, CI) uses "
            "the null device: calls are still answered and recorded. When [phone] headset, "
            "handset or ring_device are set, says on stderr whether they are found."
        ),
    )
    add_format_arg(p)
    p.set_defaults(func=run)


def list_devices() -> list[dict]:
    import pjsua2 as pj

    from voice.sip.devices import list_devices as usable_devices
    from voice.sip.endpoint import lib_create, lib_init

    ep = pj.Endpoint()
    lib_create(ep)
    cfg = pj.EpConfig()
    cfg.logConfig.consoleLevel = 0
    cfg.logConfig.level = 0
    lib_init(ep, cfg)
    try:
        mgr = ep.audDevManager()
        rows = []
        for d in usable_devices(ep):
            info = mgr.getDevInfo(d.id)
            rows.append({
                "id": d.id, "name": d.name, "description": d.description,
                "driver": info.driver, "capture": d.capture, "playback": d.playback,
                "default_rate": info.defaultSamplesPerSec,
            })  # fmt: skip
        return rows
    finally:
        ep.libDestroy()


def run(args: argparse.Namespace) -> int:
    from voice.sip.devices import DeviceChoice, DeviceInfo, plan_devices

    rows = list_devices()
    ph = config_from_args(args).phone
    choice = DeviceChoice(ph.headset, ph.handset, ph.ring_device)
    if choice.headset or choice.handset or choice.ring_device:  # what the phone would do
        infos = [
            DeviceInfo(r["id"], r["name"], r["capture"], r["playback"], r["description"])
            for r in rows
        ]
        plan = plan_devices(infos, choice)
        print(f"configured devices: {plan.message or 'all found'}", file=sys.stderr)
    if args.format == "table" and not rows:
        print("no sound devices: the phone will use the null device (calls are still recorded)")
        return 0
    emit(rows, args.format, ["id", "name", "description", "capture", "playback", "default_rate"])
    return 0
