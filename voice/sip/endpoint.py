"""pjsua2 set-up, with every pitfall from the field notes handled here and only here.

- poll mode: no pjsip worker threads; the phone's loop calls ``handle_events``
- the null sound device when the machine has none (servers, CI)
- the bridge clock at 8 kHz, bit-faithful for G.711 recordings
- objects that pjsua2 needs alive (calls, recorders, players) are held by their owner
  and dropped before ``libDestroy`` (``close``)
- INVITEs pjsua refuses before our code sees them (no free call slot, no acceptable
  codec) are reported through ``Endpoint.on_rejected`` so they still get a row
- stream statistics (``rx_packets``) for the media inactivity timeout; pjsua has none
- sound devices chosen by name, with the null device as the fallback (``choose_devices``)
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pjsua2 as pj

from voice.sip.devices import DeviceChoice, list_devices, plan_devices
from voice.sip.sipmsg import header

log = logging.getLogger("frontdesk.sip")

# Call slots compiled into our pjsua2 build (PJSUA_MAX_CALLS in scripts/pjsua2/config_site.h;
# the PyPI wheel had 4). The configured line limit is enforced below it.
CALL_SLOTS = 64
MAX_LINES = CALL_SLOTS
# pjsua gets exactly ``max_lines`` call slots. An INVITE over the limit is answered 486 by
# pjsua itself, before any RTP socket is opened, and reported to ``on_rejected`` so it still
# gets its row. Letting such INVITEs take a slot instead costs two RTP/RTCP sockets each; the
# sockets' ioqueue keys are reused only 500 ms after closing, and when they run out pjlib
# *aborts the process*: with the PyPI wheel's 64 keys an INVITE flood at ~100/s did exactly
# that. Our build has 1024 keys and an epoll ioqueue.
# INVITE + CANCEL pairs (calls that get a slot and end at once) at 100/s aborted the PyPI
# build after 30-60 calls; ours survives 300 at 150/s against 32 lines (test_bad_input.py).

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


@contextmanager
def silenced(*fds: int) -> Iterator[None]:
    """Send what C code writes to ``fds`` (1 = stdout, 2 = stderr) to /dev/null meanwhile."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(fd) for fd in fds]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for fd in fds:
            os.dup2(devnull, fd)
        yield
    finally:
        for fd, copy in zip(fds, saved, strict=True):
            os.dup2(copy, fd)
        for fd in (*saved, devnull):
            os.close(fd)


def lib_create(ep: pj.Endpoint) -> None:
    """``libCreate`` logs its banner at level 5 before any log config applies: hide it
    (pjlib writes its log to stdout, which JSON output needs clean)."""
    with silenced(1, 2):
        ep.libCreate()


def lib_init(ep: pj.Endpoint, cfg: pj.EpConfig) -> None:
    """``libInit`` enumerates ALSA devices; ALSA plugins with no server behind them (JACK)
    print a screenful of connection errors on stderr while doing so: hide them."""
    with silenced(2):
        ep.libInit(cfg)


@dataclass(frozen=True)
class Rejected:
    """An INVITE pjsua answered by itself (e.g. 486 when every call slot is taken)."""

    sip_call_id: str
    remote: str  # From
    local: str  # To
    code: int
    reason: str


class Endpoint(pj.Endpoint):
    """The pjsua2 endpoint; ``on_rejected`` hears of INVITEs that never became a Call."""

    def __init__(self) -> None:
        super().__init__()
        self.on_rejected: Callable[[Rejected], None] | None = None
        self.ring_port: pj.ExtraAudioDevice | None = None  # a separate ring device, if any

    def ring_media(self) -> pj.AudioMedia:
        """Where the ring tone goes: the ring device, else the agent's playback device."""
        if self.ring_port is not None:
            return self.ring_port
        return self.audDevManager().getPlaybackDevMedia()

    def close(self) -> None:
        """Drop the pjsua2 objects we hold, then destroy the library (nothing may outlive it)."""
        if self.ring_port is not None:
            self.ring_port.close()
            self.ring_port = None
        self.libDestroy()

    def onRejectedIncomingCall(self, prm: pj.OnRejectedIncomingCallParam) -> None:  # noqa: N802
        if self.on_rejected is not None:
            msg = prm.rdata.wholeMsg  # prm.callId is pjsua's slot number, not the SIP Call-ID
            self.on_rejected(
                Rejected(
                    header(msg, "call-id") or "",
                    prm.remoteInfo or header(msg, "from") or "",
                    prm.localInfo or header(msg, "to") or "",
                    prm.statusCode,
                    prm.reason,
                )
            )


def rx_packets(call: pj.Call, media_index: int) -> int | None:
    """RTP packets received so far on a call's audio stream; None when it has no stream."""
    try:
        return int(call.getStreamStat(media_index).rtcp.rxStat.pkt)
    except pj.Error:
        return None


# The jitter buffer discards nothing (PJMEDIA_JB_DISCARD_NONE). The default, PROGRESSIVE, drops 10 ms G.711 frames whenever
# the jitter buffer runs above its burst level, which is what a late clock thread (a busy
# machine, concurrent calls) causes: each drop shifts the rest of the recording by 80 samples,
# so every 1 s chunk still matched the source while the whole call did not.
JB_PREFETCH_MS = 160


def create_endpoint(
    bind: str,
    port: int,
    clock_rate: int,
    max_calls: int,
    transport: str = "udp",
    log_level: int = 1,
    devices: DeviceChoice | None = None,
    echo_tail_ms: int = 0,
) -> Endpoint:
    ep = Endpoint()
    lib_create(ep)
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.uaConfig.maxCalls = max(1, min(max_calls, CALL_SLOTS))  # see CALL_SLOTS above
    cfg.uaConfig.userAgent = "Frontdesk"
    cfg.medConfig.clockRate = clock_rate
    cfg.medConfig.sndClockRate = clock_rate
    cfg.medConfig.noVad = True  # record every sample; no silence suppression
    # Echo cancellation on the microphone: off for a headset or handset, which do not echo;
    # Speex AEC then only distorts the agent (their channel correlated 0.70 with what they
    # said, 0.998 without). A speakerphone wants it: ``echo_canceller_ms = 200``.
    cfg.medConfig.ecTailLen = echo_tail_ms
    # The jitter buffer decides whether a recording is faithful (see JB_PREFETCH_MS): no
    # discarding, and a fixed 160 ms cushion so a late RTP or clock thread never empties it
    # (an empty buffer inserts frames). Measured with 4 concurrent SIPp calls (load ~2 on
    # 2 cores): whole-call correlation below 0.99 in 4 of 8 calls with pjsua's defaults
    # (0.80-0.96), in 4 of 8 with only discarding off (0.54-0.98), 1.0 in 28 of 28 like this.
    cfg.medConfig.jbDiscardAlgo = pj.PJMEDIA_JB_DISCARD_NONE
    cfg.medConfig.jbInit = cfg.medConfig.jbMinPre = JB_PREFETCH_MS
    cfg.medConfig.jbMaxPre = JB_PREFETCH_MS + 80
    cfg.medConfig.jbMax = 1000
    cfg.logConfig.level = max(log_level, 1)
    cfg.logConfig.consoleLevel = log_level
    lib_init(ep, cfg)
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
    _choose_audio_device(ep, devices or DeviceChoice())
    ep.libStart()
    return ep


def _choose_audio_device(ep: Endpoint, choice: DeviceChoice) -> None:
    mgr = ep.audDevManager()
    plan = plan_devices(list_devices(ep), choice)
    if plan.message:  # one line; a warning only when a configured device is missing
        configured = choice.headset or choice.handset or choice.ring_device
        log.log(logging.WARNING if configured else logging.INFO, "%s", plan.message)
    if plan.capture is None or plan.playback is None:
        mgr.setNullDev()
        return
    try:
        mgr.setCaptureDev(plan.capture)
        mgr.setPlaybackDev(plan.playback)
    except pj.Error as exc:
        log.warning("sound device unusable (%s): using the null device", exc.reason)
        mgr.setNullDev()
        return
    if plan.ring is not None:
        ring = pj.ExtraAudioDevice(plan.ring, -1)
        try:
            ring.open()
            ep.ring_port = ring
        except pj.Error as exc:
            log.warning("ring device unusable (%s): ringing on the agent's device", exc.reason)


def register_thread(ep: pj.Endpoint, name: str) -> None:
    """Any thread other than the phone's own must register before calling pjsua2."""
    if not ep.libIsThreadRegistered():
        ep.libRegisterThread(name)
