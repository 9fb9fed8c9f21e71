"""The front-desk softphone: ring, answer within N rings, greet, record, report.

One process, poll mode: ``Phone.run()`` loops on ``libHandleEvents`` and does the
few things the ring policy needs between events. Everything slow (merging the
channel files, hashing, storing the row) happens after a call has ended and its
pjsua2 objects are gone, never inside a pjsua2 callback.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pjsua2 as pj

from domain.calls import CallRecord
from recordings.archive import AGENT, CALLER, Archive
from voice.sip.answer_mode import requested_answer_delay
from voice.sip.backoff import Backoff
from voice.sip.control import ControlServer
from voice.sip.endpoint import (
    MAX_LINES,
    DeviceChoice,
    Endpoint,
    Rejected,
    create_endpoint,
    parse_party,
    rx_packets,
)
from voice.sip.line_state import LineState, line_state
from voice.sip.ring_policy import RingPolicy

log = logging.getLogger("frontdesk.phone")

DEFAULT_GREETING = Path(__file__).resolve().parents[2] / "frontdesk" / "assets" / "greeting_zh.wav"


@dataclass
class PhoneSettings:
    bind: str = "127.0.0.1"
    port: int = 5060
    policy: RingPolicy = field(default_factory=RingPolicy)
    max_lines: int = 2
    greeting: Path | None = None  # None: the shipped default; a missing file: no greeting
    clock_rate: int = 8000
    transport: str = "udp"
    user: str = "frontdesk"
    log_level: int = 1
    control_path: Path | None = None  # Unix socket for the console and `frontdesk line`
    registration: Registration | None = None  # None: direct calls to bind:port only
    media_timeout_s: float = 30.0  # hang up when the caller sends no RTP this long; 0 = never
    honour_answer_mode: bool = False  # RFC 5373 Answer-Mode: Auto / Call-Info answer-after
    devices: DeviceChoice = field(default_factory=DeviceChoice)
    echo_canceller_ms: int = 0  # 0 = off (headset, handset); ~200 for a speakerphone


@dataclass
class Registration:
    """Register the front-desk line with a PBX or registrar (digest auth when a password is set)."""

    registrar: str  # sip:pbx.example.com:5060
    username: str
    domain: str
    password: str | None = field(default=None, repr=False)  # never logged
    expires: int = 300
    retry_s: int = 5  # first wait after a failure; doubles up to retry_max_s (±25 % jitter)
    retry_max_s: int = 300


def _now() -> datetime:
    return datetime.now(UTC)


class _Account(pj.Account):
    def __init__(self, phone: Phone) -> None:
        super().__init__()
        self._phone = phone
        self.registered = False

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:  # noqa: N802 (pjsua2 API)
        self._phone._on_incoming(self, prm.callId, prm.rdata.wholeMsg)

    def onRegState(self, prm: pj.OnRegStateParam) -> None:  # noqa: N802
        ok = 200 <= prm.code < 300 and prm.expiration > 0
        self._phone._on_reg_state(ok, prm.code, prm.reason, prm.expiration)


class _Call(pj.Call):
    def __init__(self, phone: Phone, acc: pj.Account, call_id: int) -> None:
        super().__init__(acc, call_id)
        self._phone = phone
        self.live: LiveCall | None = None

    def onCallState(self, prm: pj.OnCallStateParam) -> None:  # noqa: N802
        if self.live:
            self._phone._on_state(self.live)

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:  # noqa: N802
        if self.live:
            self._phone._on_media(self.live)


@dataclass
class LiveCall:
    record: CallRecord
    call: _Call | None
    ringing_since: float  # monotonic
    auto_answer_at: float | None  # monotonic
    answered: bool = False
    rejected_with: int | None = None
    ended: bool = False
    muted: bool = False
    held: bool = False
    audio: pj.AudioMedia | None = None
    # pjsua2 objects that must stay referenced while the call lives
    caller_rec: pj.AudioMediaRecorder | None = None
    agent_rec: pj.AudioMediaRecorder | None = None
    greeting: pj.AudioMediaPlayer | None = None
    answer_mode: bool = False  # answered early because the caller asked (RFC 5373)
    media_index: int | None = None
    remote_hold: bool = False
    rx_packets: int = -1  # RTP packets received at the last check
    rx_at: float = 0.0  # monotonic time the packet count last moved
    end_cause: str | None = None  # our reason for hanging up, stored as the cause
    record_error: str | None = None  # why the recorders could not be created (retried)


class Phone:
    """Answers calls on one SIP address; hands a ``CallRecord`` to ``on_call_ended``."""

    def __init__(
        self,
        settings: PhoneSettings,
        recordings_root: Path | Archive,
        on_call_ended: Callable[[CallRecord], None],
    ) -> None:
        self.s = settings
        if settings.max_lines > MAX_LINES:
            log.warning("max_lines %d is more than this pjsua build can hold; using %d",
                        settings.max_lines, MAX_LINES)  # fmt: skip
            settings.max_lines = MAX_LINES
        # an Archive: a shared root with this desk's own spool (frontdesk/spool.py)
        self.archive = (recordings_root if isinstance(recordings_root, Archive)
                        else Archive(recordings_root))  # fmt: skip
        self.on_call_ended = on_call_ended
        self.calls: list[LiveCall] = []
        self._stop = False
        self._ep: Endpoint | None = None
        self._rejected: list[Rejected] = []  # INVITEs pjsua refused, stored from the loop
        self._rejected_seen: deque[str] = deque(maxlen=512)  # Call-IDs: retransmissions
        self._next_media_check = 0.0
        self._acc: _Account | None = None
        self._ring: pj.ToneGenerator | None = None
        self._ringing = False
        self._focus: LiveCall | None = None  # the call the agent's headset is connected to
        reg = settings.registration
        self._backoff = Backoff(reg.retry_s, reg.retry_max_s) if reg else Backoff()
        self._reg_next: float | None = None  # monotonic time of the next REGISTER we send
        self._reg_sent: float | None = None  # when it was sent; None once pjsua answered
        self._next_reg_check = 0.0
        self._finisher: queue.Queue[tuple[CallRecord, bool] | None] = queue.Queue()
        self._finisher_thread = threading.Thread(
            target=self._finish_off_loop, name="finisher", daemon=True
        )
        self._finisher_thread.start()
        self.control: ControlServer | None = None
        greeting = settings.greeting or DEFAULT_GREETING
        self._greeting_path = greeting if Path(greeting).exists() else None
        if self._greeting_path is None:
            log.warning(
                "greeting file %s not found: calls are answered without a greeting", greeting
            )

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        self.recover()
        self._ep = create_endpoint(
            self.s.bind,
            self.s.port,
            self.s.clock_rate,
            self.s.max_lines,
            self.s.transport,
            self.s.log_level,
            self.s.devices,
            self.s.echo_canceller_ms,
        )
        self._ep.on_rejected = self._rejected.append  # stored in step(), not in the callback
        acfg = self._account_config()
        self._acc = _Account(self)
        self._acc.create(acfg, True)
        self._ring = pj.ToneGenerator()
        self._ring.createToneGenerator(self.s.clock_rate)
        if self.s.control_path is not None:
            self.control = ControlServer(self.s.control_path, self.command)
        log.info(
            "phone listening on %s:%d/%s; answers at the end of ring %d (%.1fs on / %.1fs off)",
            self.s.bind,
            self.s.port,
            self.s.transport,
            self.s.policy.answer_after_rings,
            self.s.policy.ring_on,
            self.s.policy.ring_off,
        )

    def _account_config(self) -> pj.AccountConfig:
        acfg = pj.AccountConfig()
        # RTP on the same address as SIP: left unset, pjsua binds media to every interface
        # and advertises the first non-loopback one, so callers' audio would be reachable
        # from the network while the phone is "bound to 127.0.0.1".
        acfg.mediaConfig.transportConfig.boundAddress = self.s.bind
        reg = self.s.registration
        if reg is None:
            acfg.idUri = f"sip:{self.s.user}@{self.s.bind}:{self.s.port}"
            return acfg
        acfg.idUri = f"sip:{reg.username}@{reg.domain}"
        acfg.regConfig.registrarUri = reg.registrar
        acfg.regConfig.timeoutSec = reg.expires
        # pjsua's own retry is a fixed interval: off; the phone backs off itself (_registration)
        acfg.regConfig.retryIntervalSec = 0
        acfg.regConfig.randomRetryIntervalSec = 0
        acfg.regConfig.dropCallsOnFail = False  # a registrar outage must not cut live calls
        if reg.password:
            acfg.sipConfig.authCreds.append(
                pj.AuthCredInfo("digest", "*", reg.username, 0, reg.password)
            )
        log.info("registering %s with %s", acfg.idUri, reg.registrar)
        return acfg

    def request_stop(self, *_: object) -> None:
        self._stop = True

    def run(self) -> None:
        """Serve until SIGTERM/SIGINT; then hang up, finish every recording, exit."""
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        self.start()
        try:
            while not self._stop:
                self.step()
            self._hang_up_all()
        finally:
            self.close()

    def step(self, timeout_ms: int = 10) -> None:
        assert self._ep is not None
        self._ep.libHandleEvents(timeout_ms)
        now = time.monotonic()
        for live in list(self.calls):
            if live.ended:
                self._finish(live)
            elif (
                not live.answered and live.auto_answer_at is not None and now >= live.auto_answer_at
            ):
                self.answer(live, by="auto")
        if self._rejected:
            self._store_rejected()
        if now >= self._next_media_check:
            self._next_media_check = now + 0.25
            self._retry_recordings()
            if self.s.media_timeout_s > 0:
                self._check_media(now)
        self._update_ring_tone()
        if self.s.registration is not None and now >= self._next_reg_check:
            self._next_reg_check = now + 0.5
            self._registration(now)
        if self.control is not None:
            self.control.poll()

    def close(self) -> None:
        for live in list(self.calls):
            self._finish(live)
        if self._rejected:
            self._store_rejected()
        self._finisher.put(None)  # every call queued so far is finished and stored first
        self._finisher_thread.join()
        self._ring = None
        self._acc = None
        if self.control is not None:
            self.control.close()
            self.control = None
        if self._ep is not None:
            self._ep.close()
            self._ep = None

    def _hang_up_all(self) -> None:
        for live in self.calls:
            if live.call is not None and not live.ended:
                live.record.notes.append("phone shut down")
                if not live.answered and live.rejected_with is None:
                    live.rejected_with = 603  # stored as rejected, not as a failure
                try:
                    live.call.hangup(pj.CallOpParam())
                except pj.Error:
                    live.ended = True
        deadline = time.monotonic() + 3.0
        while any(not c.ended for c in self.calls) and time.monotonic() < deadline:
            self.step()
        for live in list(self.calls):
            live.ended = True
            self._finish(live)

    # -- agent actions --------------------------------------------------------------------
    def answer(self, live: LiveCall, by: str = "agent") -> bool:
        if live.answered or live.ended or live.call is None:
            return False
        elapsed = time.monotonic() - live.ringing_since
        prm = pj.CallOpParam()
        prm.statusCode = 200
        if live.answer_mode:  # RFC 5373: say that the call was answered automatically
            hdr = pj.SipHeader()
            hdr.hName, hdr.hValue = "Answer-Mode", "Auto"
            prm.txOption.headers.append(hdr)
        try:
            live.call.answer(prm)
        except pj.Error as exc:  # the caller cancelled a moment before
            log.info("call %s: answer failed (%s)", live.record.uuid, exc.reason)
            return False
        live.answered = True
        live.record.answered_at = _now()
        live.record.answered_by = by  # type: ignore[assignment]
        if by == "agent" and self._focus is not live:
            # Picking up a second line puts the first on hold, as on any multi-line phone.
            if self._focus is not None:
                self.set_hold(self._focus, True)
            self._focus_on(live)
        elif self._focus is None:
            self._focus_on(live)
        live.record.rings = self._rings(elapsed)
        log.info("call %s answered by %s at ring %d", live.record.uuid, by, live.record.rings)
        self._publish("answered", live)
        return True

    def hangup(self, live: LiveCall, code: int | None = None) -> bool:
        if live.ended or live.call is None:
            return False
        prm = pj.CallOpParam()
        if code is not None:
            prm.statusCode = code
        try:
            live.call.hangup(prm)
        except pj.Error as exc:
            log.info("call %s: hangup failed (%s)", live.record.uuid, exc.reason)
            return False
        return True

    def set_mute(self, live: LiveCall, muted: bool) -> bool:
        if self._ep is None or not live.answered or live.ended or live.muted == muted:
            return False
        live.muted = muted
        if live is self._focus and live.audio is not None:
            mic = self._ep.audDevManager().getCaptureDevMedia()
            if muted:
                mic.stopTransmit(live.audio)
            else:
                mic.startTransmit(live.audio)
        return True

    def set_hold(self, live: LiveCall, held: bool) -> bool:
        if live.call is None or not live.answered or live.held == held:
            return False
        prm = pj.CallOpParam(True)
        try:
            if held:
                live.call.setHold(prm)
            else:
                prm.opt.flag = pj.PJSUA_CALL_UNHOLD
                live.call.reinvite(prm)
        except pj.Error as exc:
            log.info("call %s: hold=%s failed (%s)", live.record.uuid, held, exc.reason)
            return False
        live.held = held
        if held and live is self._focus:
            self._focus_on(self._next_waiting(live))
        elif not held and live is not self._focus:
            if self._focus is not None:  # resuming one line holds the one in the headset
                self.set_hold(self._focus, True)
            self._focus_on(live)
        return True

    # -- the agent's headset follows one call -------------------------------------------
    # One agent, several lines: the headset (microphone and earpiece) is connected to one
    # answered call at a time. Another line answered meanwhile hears the greeting and then
    # waits; it never hears the agent's conversation with someone else (before, the
    # microphone went to every call, and the earpiece to none).
    def _focus_on(self, live: LiveCall | None) -> None:
        old, self._focus = self._focus, live
        if old is live:
            return
        if old is not None:
            self._connect_agent(old, False)
            self._publish("headset", old)
        if live is not None:
            self._connect_agent(live, True)
            self._publish("headset", live)

    def take(self, live: LiveCall) -> bool:
        """The agent takes a waiting or held line into the headset (the current one holds)."""
        if not live.answered or live.ended or live is self._focus:
            return False
        if live.held:
            return self.set_hold(live, False)
        if self._focus is not None:
            self.set_hold(self._focus, True)
        self._focus_on(live)
        return True

    def _next_waiting(self, after: LiveCall | None) -> LiveCall | None:
        """The longest-waiting answered line that is not on hold (it gets the headset next)."""
        waiting = [
            c for c in self.calls
            if c is not after and c.answered and not c.ended and not c.held
        ]  # fmt: skip
        return min(waiting, key=lambda c: c.record.answered_at or c.record.invited_at, default=None)

    def _connect_agent(self, live: LiveCall, on: bool) -> None:
        """Wire (or unwire) the headset to ``live``; a no-op until its media is up."""
        if self._ep is None or live.audio is None:
            return
        mgr = self._ep.audDevManager()
        mic, ear = mgr.getCaptureDevMedia(), mgr.getPlaybackDevMedia()
        links = [(live.audio, ear)]
        if not live.muted:
            links.append((mic, live.audio))
        if live.agent_rec is not None:
            links.append((mic, live.agent_rec))
        for src, dst in links:
            try:
                if on:
                    src.startTransmit(dst)
                else:
                    src.stopTransmit(dst)
            except pj.Error as exc:  # a port the call has already released
                log.debug("call %s: headset %s: %s", live.record.uuid, on, exc.reason)

    # -- control socket -------------------------------------------------------------------
    def command(self, msg: dict) -> dict:
        cmd = msg["cmd"]
        if cmd == "status":
            return {"ok": True, "calls": [self._describe(c) for c in self.calls if not c.ended]}
        actions = {
            "answer": lambda c: self.answer(c, by="agent"),
            "reject": lambda c: self._reject(c),
            "hangup": lambda c: self.hangup(c),
            "mute": lambda c: self.set_mute(c, True),
            "unmute": lambda c: self.set_mute(c, False),
            "hold": lambda c: self.set_hold(c, True),
            "unhold": lambda c: self.set_hold(c, False),
            "take": lambda c: self.take(c),
        }
        if cmd not in actions:
            return {
                "ok": False,
                "error": f"unknown command {cmd!r}; known: status, subscribe, "
                + ", ".join(actions),
            }
        live = self._pick(msg.get("call"), ringing=cmd in ("answer", "reject"), take=cmd == "take")
        if isinstance(live, str):
            return {"ok": False, "error": live}
        done = actions[cmd](live)
        return (
            {"ok": bool(done), "call": self._describe(live)}
            if done
            else {
                "ok": False,
                "error": f"cannot {cmd} call {live.record.uuid} now",
                "call": self._describe(live),
            }
        )

    def _reject(self, live: LiveCall) -> bool:
        if live.answered:
            return False
        live.rejected_with = 603
        return self.hangup(live, 603)

    def _pick(self, call_uuid: str | None, ringing: bool, take: bool = False) -> LiveCall | str:
        active = [c for c in self.calls if not c.ended and c.rejected_with is None]
        if call_uuid:
            for c in active:
                if c.record.uuid == call_uuid:
                    return c
            return f"no active call {call_uuid}"
        fits = (
            [c for c in active if (not c.answered) == ringing]
            if ringing
            else [c for c in active if c.answered and not (take and c is self._focus)]
        )
        if len(fits) != 1:
            return f'{len(fits)} calls fit; name one with "call": <uuid>'
        return fits[0]

    def _describe(self, live: LiveCall) -> dict:
        r = live.record
        state = "ended" if live.ended else "active" if live.answered else "ringing"
        return {
            "uuid": r.uuid,
            "state": state,
            "caller": r.caller,
            "caller_name": r.caller_name,
            "callee": r.callee,
            "invited_at": r.invited_at.isoformat(),
            "answered_at": r.answered_at.isoformat() if r.answered_at else None,
            "rings": r.rings
            if live.answered or live.ended
            else self.s.policy.rings_at(time.monotonic() - live.ringing_since),
            "answered_by": r.answered_by,
            "muted": live.muted,
            "held": live.held,
            "focused": live is self._focus,
            "line": self.line_state(live).value,
            "outcome": r.outcome if live.ended else None,
        }

    def line_state(self, live: LiveCall) -> LineState:
        return line_state(
            answered=live.answered, ended=live.ended, refused=live.rejected_with is not None,
            held=live.held, on_headset=live is self._focus,
        )  # fmt: skip

    def _publish(self, event: str, live: LiveCall) -> None:
        if self.control is not None:
            self.control.publish({"event": event, "call": self._describe(live)})

    def _rings(self, elapsed: float) -> int:
        n = self.s.policy.rings_at(elapsed)
        cap = self.s.policy.answer_after_rings
        return min(n, cap) if cap else n

    # -- pjsua2 callbacks (keep them short) --------------------------------------------
    def _on_incoming(self, acc: pj.Account, call_id: int, msg: str = "") -> None:
        call = _Call(self, acc, call_id)
        ci = call.getInfo()
        remote, local = parse_party(ci.remoteUri), parse_party(ci.localUri)
        rec = CallRecord(
            uuid=str(uuid.uuid4()),
            sip_call_id=ci.callIdString,
            caller=remote.user,
            caller_name=remote.name,
            callee=local.user,
            invited_at=_now(),
        )
        lines = sum(1 for c in self.calls if not c.ended and c.rejected_with is None)
        busy = lines >= self.s.max_lines
        auto_at = self.s.policy.auto_answer_at()
        asked = requested_answer_delay(msg) if msg else None
        answer_mode = False
        if asked is not None and not busy:
            if self.s.honour_answer_mode:
                answer_mode = auto_at is None or asked < auto_at
                auto_at = asked if answer_mode else auto_at
                log.info("call %s asks to be answered after %gs (RFC 5373)", rec.uuid, asked)
            else:
                log.info("call %s: Answer-Mode/answer-after ignored "
                         "(phone.honour_answer_mode is off)", rec.uuid)  # fmt: skip
        now = time.monotonic()
        live = LiveCall(rec, call, now, None if busy or auto_at is None else now + auto_at)
        live.answer_mode = answer_mode
        call.live = live
        self.calls.append(live)  # strong reference: a collected Call answers 603
        prm = pj.CallOpParam()
        if busy:
            live.rejected_with = 486
            prm.statusCode = 486
            log.info(
                "call %s from %s: all %d lines busy, 486", rec.uuid, rec.caller, self.s.max_lines
            )
        else:
            prm.statusCode = 180
            self.archive.write_meta(
                rec.uuid,
                {
                    "sip_call_id": rec.sip_call_id,
                    "caller": rec.caller,
                    "caller_name": rec.caller_name,
                    "callee": rec.callee,
                    "invited_at": rec.invited_at.isoformat(),
                },
            )
            log.info("call %s from %s ringing", rec.uuid, rec.caller)
            self._publish("ringing", live)
        try:
            call.answer(prm)
        except pj.Error as exc:
            log.warning("call %s: could not send %d (%s)", rec.uuid, prm.statusCode, exc.reason)

    def _on_state(self, live: LiveCall) -> None:
        assert live.call is not None
        ci = live.call.getInfo()
        if ci.state != pj.PJSIP_INV_STATE_DISCONNECTED:
            return
        rec = live.record
        rec.ended_at = _now()
        rec.cause = live.end_cause or f"{ci.lastStatusCode} {ci.lastReason}".strip()
        if live.rejected_with == 486:
            rec.outcome = "busy"
        elif live.rejected_with is not None:
            rec.outcome = "rejected"
            rec.rings = self._rings((rec.ended_at - rec.invited_at).total_seconds())
        elif live.answered:
            rec.outcome = "answered"
            if live.answer_mode and rec.answered_by == "auto":
                rec.cause += "; answered automatically at the caller's request (RFC 5373)"
        elif ci.lastStatusCode in (487, 408, 200) or ci.lastStatusCode < 300:
            rec.outcome = "missed"  # caller gave up while it rang
            rec.rings = self._rings((rec.ended_at - rec.invited_at).total_seconds())
        else:
            rec.outcome = "failed"
        live.ended = True
        self._publish("ended", live)

    def _on_media(self, live: LiveCall) -> None:
        assert live.call is not None and self._ep is not None
        ci = live.call.getInfo()
        for i, mi in enumerate(ci.media):
            if mi.type != pj.PJMEDIA_TYPE_AUDIO:
                continue
            remote_hold = mi.status == pj.PJSUA_CALL_MEDIA_REMOTE_HOLD
            if remote_hold != live.remote_hold or live.media_index != i:
                live.rx_at = time.monotonic()  # the silence clock starts (again) now
            live.remote_hold = remote_hold
            if mi.status != pj.PJSUA_CALL_MEDIA_ACTIVE:
                continue
            live.media_index = i
            am = live.call.getAudioMedia(i)
            live.audio = am
            if live.record.codec is None:
                try:
                    si = live.call.getStreamInfo(i)
                    live.record.codec = f"{si.codecName}/{si.codecClockRate}"
                except pj.Error:
                    pass
            if live.caller_rec is None:
                self._start_recording(live, am)
            elif live is self._focus:
                self._connect_agent(live, True)  # after a re-INVITE; connecting twice is harmless
            break

    def _start_recording(self, live: LiveCall, am: pj.AudioMedia) -> None:
        """Record both channels and play the greeting. Recorders pjsua cannot create (disk,
        open files, its recorder limit) leave the call unrecorded *for now*: the error goes to
        the log and the call's row, and the media check tries again every 0.25 s."""
        assert self._ep is not None
        caller_rec, agent_rec = pj.AudioMediaRecorder(), pj.AudioMediaRecorder()
        try:
            part = self.archive.partial_dir(live.record.uuid)
            caller_rec.createRecorder(str(part / CALLER))
            agent_rec.createRecorder(str(part / AGENT))
        except (pj.Error, OSError) as exc:
            reason = exc.reason if isinstance(exc, pj.Error) else str(exc)
            if live.record_error is None:
                log.error("call %s is NOT being recorded: %s (retrying)", live.record.uuid, reason)
                live.record.notes.append(f"recording could not start: {reason}")
            live.record_error = reason
            return
        if live.record_error is not None:
            log.warning("call %s: recording started late", live.record.uuid)
            live.record.notes.append("recording started late; its start is missing")
            live.record_error = None
        live.caller_rec, live.agent_rec = caller_rec, agent_rec
        am.startTransmit(live.caller_rec)
        if live is self._focus:
            self._connect_agent(live, True)
        if self._greeting_path is not None and live.greeting is None:
            player = pj.AudioMediaPlayer()
            try:
                player.createPlayer(str(self._greeting_path), pj.PJMEDIA_FILE_NO_LOOP)
            except pj.Error as exc:
                log.warning("call %s: no greeting (%s)", live.record.uuid, exc.reason)
                return
            live.greeting = player
            player.startTransmit(am)
            player.startTransmit(live.agent_rec)

    def _retry_recordings(self) -> None:
        for live in self.calls:
            if live.record_error is not None and not live.ended and live.audio is not None:
                self._start_recording(live, live.audio)

    # -- bad input: silent callers, INVITEs pjsua refused ----------------------------------
    def _check_media(self, now: float) -> None:
        """Hang up answered calls whose caller has sent no RTP for ``media_timeout_s``."""
        limit = self.s.media_timeout_s
        for live in self.calls:
            if (
                live.ended
                or not live.answered
                or live.call is None
                or live.media_index is None
                or live.held
                or live.remote_hold
                or live.end_cause
            ):
                continue
            n = rx_packets(live.call, live.media_index)
            if n is None:
                continue
            if n != live.rx_packets:
                live.rx_packets, live.rx_at = n, now
            elif now - live.rx_at >= limit:
                live.end_cause = f"no RTP from the caller for {limit:g} s ({max(n, 0)} packets)"
                log.warning("call %s: %s; hanging up", live.record.uuid, live.end_cause)
                if not self.hangup(live):
                    live.end_cause = None  # try again at the next check

    def _store_rejected(self) -> None:
        """A row for every INVITE pjsua answered itself (486 when all call slots are taken)."""
        batch = self._rejected[:]
        del self._rejected[:]  # the same list: the endpoint's callback appends to it
        for r in batch:
            if r.sip_call_id in self._rejected_seen:
                continue  # a retransmitted INVITE: the call already has its row
            self._rejected_seen.append(r.sip_call_id)
            remote, local = parse_party(r.remote), parse_party(r.local)
            now = _now()
            rec = CallRecord(
                uuid=str(uuid.uuid4()),
                sip_call_id=r.sip_call_id,
                caller=remote.user,
                caller_name=remote.name,
                callee=local.user,
                invited_at=now,
                ended_at=now,
                outcome="busy" if r.code == 486 else "failed",
                cause=f"{r.code} {r.reason} (refused before ringing)",
            )
            log.info("call %s from %s refused: %d %s", rec.uuid, rec.caller, r.code, r.reason)
            self._finisher.put((rec, False))  # stored off the SIP loop, in order

    # -- registration: our own backoff (pjsua's retry is off) ----------------------------------
    def _on_reg_state(self, ok: bool, code: int, reason: str, expires: int) -> None:
        acc = self._acc
        was = acc.registered if acc else False
        self._reg_sent = None
        if ok:
            self._backoff.succeeded()
            self._reg_next = None
            if not was:
                log.info("registration: registered (%d %s, expires %ds)", code, reason, expires)
        elif not self._stop:
            wait = self._backoff.failed()
            self._reg_next = time.monotonic() + wait
            log.warning("registration: not registered (%d %s); attempt %d failed, next in %.1fs",
                        code, reason, self._backoff.failures, wait)  # fmt: skip
        if acc:
            acc.registered = ok

    def _registration(self, now: float) -> None:
        """Send the next REGISTER when its time comes; notice a registration pjsua dropped
        without telling (a transport that died), and a REGISTER that never got an answer."""
        acc = self._acc
        if acc is None:
            return
        if self._reg_sent is not None and now - self._reg_sent > 40:  # > SIP's 32 s timeout
            self._on_reg_state(False, 408, "no answer to REGISTER", 0)
        if self._reg_next is None and self._reg_sent is None and acc.registered:
            try:
                active = acc.getInfo().regIsActive
            except pj.Error:
                active = True
            if not active:
                self._on_reg_state(False, 0, "registration lost", 0)
        if self._reg_next is not None and now >= self._reg_next and self._reg_sent is None:
            self._reg_next = None
            self._reg_sent = now
            try:
                acc.setRegistration(True)
            except pj.Error as exc:  # e.g. busy with the previous one: count it as a failure
                self._on_reg_state(False, 0, exc.reason, 0)

    # -- ring tone on the ring device --------------------------------------------------------
    def _update_ring_tone(self) -> None:
        if self._ring is None or self._ep is None:
            return
        ringing = any(
            not c.answered and not c.ended and c.rejected_with is None for c in self.calls
        )
        if ringing == self._ringing:
            return
        self._ringing = ringing
        speaker = self._ep.ring_media()
        if ringing:
            tone = pj.ToneDesc()
            tone.freq1, tone.freq2 = self.s.policy.tone_hz
            tone.on_msec = int(self.s.policy.ring_on * 1000)
            tone.off_msec = int(self.s.policy.ring_off * 1000)
            tones = pj.ToneDescVector()
            tones.append(tone)
            self._ring.play(tones, True)
            self._ring.startTransmit(speaker)
        else:
            self._ring.stop()
            self._ring.stopTransmit(speaker)

    # -- after the call --------------------------------------------------------------------
    def _finish(self, live: LiveCall) -> None:
        """Drop the call's pjsua2 objects (writes the WAV headers), then finalize."""
        if live not in self.calls:
            return
        if live is self._focus:
            self._focus = None  # its conference port went with the call, and its links too
            self._focus_on(self._next_waiting(live))
        self.calls.remove(live)
        live.greeting = None
        live.audio = None
        live.caller_rec = None
        live.agent_rec = None
        if live.call is not None:
            live.call.live = None
        live.call = None
        self._finisher.put((live.record, live.rejected_with is None))

    def _finish_off_loop(self) -> None:
        """The finisher thread: merge the recording and store the row, in call order. Off
        the SIP loop, because a merge, a SHA-256 and a database commit can take long enough
        to make a due auto-answer late (1 of 631 calls at 20 concurrent was). No pjsua here."""
        while (item := self._finisher.get()) is not None:
            rec, recorded = item
            finalized = False
            if recorded:  # a ringing call wrote meta.json; released once the row is stored
                try:
                    rec.recording = self.archive.finalize(
                        rec.uuid, rec.invited_at, keep_partial=True
                    )
                    self.archive.save_record(rec.uuid, rec.to_dict())
                    finalized = True
                except OSError as exc:  # disk full, permissions: the partial files stay
                    log.error("call %s: recording not finalized, kept for recovery: %s",
                              rec.uuid, exc)  # fmt: skip
                    rec.notes.append(f"recording not finalized: {exc}")
            if self._report(rec) and finalized:
                self.archive.release(rec.uuid)

    def _report(self, rec: CallRecord) -> bool:
        """Store the call's row; False when that failed (the partial folder then stays, and
        the next start stores the call from it)."""
        if rec.notes:  # what went wrong with the recording or the shutdown: kept in the row
            rec.cause = "; ".join([*([rec.cause] if rec.cause else []), *rec.notes])[:255]
        try:
            self.on_call_ended(rec)
        except Exception:  # the phone keeps answering whatever the store does
            log.exception("call %s: storing the call failed; its recording and record "
                          "are kept for the next start", rec.uuid)  # fmt: skip
            return False
        return True

    def recover(self) -> list[CallRecord]:
        """Finish recordings left by a phone that died mid-call; report them as interrupted."""
        out = []
        for call_uuid in self.archive.pending():
            saved = self.archive.read_record(call_uuid)
            if saved is not None:  # the call ended, but its row was never stored
                rec = CallRecord.from_dict(saved)
                invited = rec.invited_at
            else:
                meta = self.archive.read_meta(call_uuid)
                invited = (datetime.fromisoformat(meta["invited_at"]) if "invited_at" in meta
                           else _now())  # fmt: skip
                rec = CallRecord(
                    uuid=call_uuid,
                    sip_call_id=meta.get("sip_call_id", ""),
                    caller=meta.get("caller", ""),
                    caller_name=meta.get("caller_name"),
                    callee=meta.get("callee", ""),
                    invited_at=invited,
                    outcome="interrupted",
                    cause="phone stopped during the call",
                )
            rec.recording = self.archive.finalize(call_uuid, invited, keep_partial=True)
            log.warning("recovered call %s from an earlier %s", call_uuid,
                        "failed store" if saved is not None else "crash")  # fmt: skip
            if self._report(rec):
                self.archive.release(call_uuid)
            out.append(rec)
        return out
