"""`frontdesk devices` — the sound devices the phone could use (headset, handset, ring)."""

from __future__ import annotations

import argparse

from frontdesk.output import add_format_arg, emit


def register(sub) -> None:
    p = sub.add_parser(
        "devices",
        help="list capture and playback devices (headset, handset, ring device)",
        description=(
            "List the sound devices pjsua2 sees. A machine without any (a server, CI) uses "
            "the null device: calls are still answered and recorded."
        ),
    )
    add_format_arg(p)
    p.set_defaults(func=run)


def list_devices() -> list[dict]:
    import pjsua2 as pj

    from voice.sip.endpoint import lib_create

    ep = pj.Endpoint()
    lib_create(ep)
    cfg = pj.EpConfig()
    cfg.logConfig.consoleLevel = 0
    cfg.logConfig.level = 0
    ep.libInit(cfg)
    try:
        mgr = ep.audDevManager()
        rows = []
        for i in range(mgr.getDevCount()):
            info = mgr.getDevInfo(i)
            rows.append({
                "id": i, "name": info.name, "driver": info.driver,
                "capture": info.inputCount > 0, "playback": info.outputCount > 0,
                "default_rate": info.defaultSamplesPerSec,
            })  # fmt: skip
        return rows
    finally:
        ep.libDestroy()


def run(args: argparse.Namespace) -> int:
    rows = list_devices()
    if args.format == "table" and not rows:
        print("no sound devices: the phone will use the null device (calls are still recorded)")
        return 0
    emit(rows, args.format, ["id", "name", "driver", "capture", "playback", "default_rate"])
    return 0
