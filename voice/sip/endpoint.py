"""pjsua2 set-up, with every pitfall from the field notes handled here and only here.

- poll mode: no pjsip worker threads; the phone's loop calls ``handle_events``
- the null sound device when the machine has none (servers, CI)
- the bridge clock at 8 kHz, bit-faithful for G.711 recordings
- objects that pjsua2 needs alive (calls, recorders, players) are held by their owner
  and dropped before ``libDestroy`` (``close``)
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass

import pjsua2 as pj

log = logging.getLogger("frontdesk.sip")

# The pjsua2-python 2.15.1 wheel holds at most 4 calls at once (PJSUA_MAX_CALLS is a
# compile-time constant): a 5th concurrent INVITE gets a stateless 486 from pjsua and never
# reaches us. One slot stays free so that the call over the line limit still gets its row.
CALL_SLOTS = 4
MAX_LINES = CALL_SLOTS - 1

_URI = re.compile(r'^\s*(?:"?(?P<name>[^"<]*?)"?\s*)?<?sip[s]?:(?P<user>[^@;>]*)@?(?P<host>[^;>]*)')


@dataclass(frozen=True)
class Party:
    user: str
    name: str | None


def parse_party(uri: str) -> Party:
    """``"Wang" <sip:1001@host>`` -> Party("1001", "Wang"); tolerant of odd input."""
    m = _URI.match(uri or "")
    if not m:
        return Party(user=(uri or "").strip()[:64], name=None)
    name = (m.group("name") or "").strip() or None
    return Party(user=m.group("user") or m.group("host") or "", name=name)


def lib_create(ep: pj.Endpoint) -> None:
    """``libCreate`` logs its banner at level 5 before any log config applies: hide it."""
    import sys

    sys.stdout.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)  # pjlib writes its log to stdout, which JSON output needs clean
        os.dup2(devnull, 2)
        ep.libCreate()
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def create_endpoint(
    bind: str,
    port: int,
    clock_rate: int,
    max_calls: int,
    transport: str = "udp",
    log_level: int = 1,
) -> pj.Endpoint:
    ep = pj.Endpoint()
    lib_create(ep)
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    # The line limit (486 Busy Here) is applied by the phone so busy calls still get a row.
    cfg.uaConfig.maxCalls = CALL_SLOTS
    cfg.uaConfig.userAgent = "Frontdesk"
    cfg.medConfig.clockRate = clock_rate
    cfg.medConfig.sndClockRate = clock_rate
    cfg.medConfig.noVad = True  # record every sample; no silence suppression
    cfg.logConfig.level = max(log_level, 1)
    cfg.logConfig.consoleLevel = log_level
    ep.libInit(cfg)
    tcfg = pj.TransportConfig()
    tcfg.port = port
    tcfg.boundAddress = bind
    kinds = {"udp": pj.PJSIP_TRANSPORT_UDP, "tcp": pj.PJSIP_TRANSPORT_TCP}
    try:
        for name in ("udp", "tcp") if transport == "both" else (transport,):
            ep.transportCreate(kinds[name], tcfg)
    except pj.Error as exc:
        ep.libDestroy()
        raise OSError(f"cannot listen for SIP on {bind}:{port}: {exc.reason}") from None
    _choose_audio_device(ep)
    ep.libStart()
    return ep


def _choose_audio_device(ep: pj.Endpoint) -> None:
    mgr = ep.audDevManager()
    try:
        count = mgr.getDevCount()
    except pj.Error:
        count = 0
    if count == 0:
        log.info("no sound device found: using the null device (calls are still recorded)")
        mgr.setNullDev()
        return
    try:
        mgr.setCaptureDev(mgr.getCaptureDev())
        mgr.setPlaybackDev(mgr.getPlaybackDev())
    except pj.Error as exc:
        log.info("sound device unusable (%s): using the null device", exc.reason)
        mgr.setNullDev()


def register_thread(ep: pj.Endpoint, name: str) -> None:
    """Any thread other than the phone's own must register before calling pjsua2."""
    if not ep.libIsThreadRegistered():
        ep.libRegisterThread(name)
