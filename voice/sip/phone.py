"""The front-desk softphone: ring, answer within N rings, greet, record, report.

One process, poll mode: ``Phone.run()`` loops on ``libHandleEvents`` and does the
few things the ring policy needs between events. Everything slow (merging the
channel files, hashing, storing the row) happens after a call has ended and its
pjsua2 objects are gone, never inside a pjsua2 callback.

What is decided is decided elsewhere, by pure functions: a line's state (line_state.py), which
line the headset takes and what take/hold do (headset.py), the outcome of an ended call
(outcome.py), when to answer (ring_policy.py). Registration (registration.py), the control
commands (commands.py), storing ended calls (finisher.py) and the ring tone (ring_tone.py)
have their own modules. What stays here, over 400 lines, is the pjsua2 side of each line
(callbacks, answer/hangup/re-INVITE, recorders, greeting, headset links, silent callers): one
class, because these are one thread's pjsua2 objects and share each line's ``LiveCall``.
"""

from __future__ import annotations

import logging
import signal
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pjsua2 as pj

from domain.calls import AnsweredBy, CallRecord
from recordings.archive import AGENT, CALLER, Archive
from voice.sip import headset
from voice.sip.answer_mode import requested_answer_delay
from voice.sip.commands import call_view, handle
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
from voice.sip.finisher import Finisher
from voice.sip.line_state import LineState, line_state
from voice.sip.outcome import ended_outcome, rang_until_the_end, refused_outcome
from voice.sip.registration import Registrar, Registration, account_config
from voice.sip.ring_policy import RingPolicy
from voice.sip.ring_tone import RingTone

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


def _now() -> datetime:
    return datetime.now(UTC)


class _Account(pj.Account):
    def __init__(self, phone: Phone) -> None:
        super().__init__()
        self._phone = phone

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:  # noqa: N802 (pjsua2 API)
        self._phone._on_incoming(self, prm.callId, prm.rdata.wholeMsg)

    def onRegState(self, prm: pj.OnRegStateParam) -> None:  # noqa: N802
        if self._phone.registrar is not None:
            ok = 200 <= prm.code < 300 and prm.expiration > 0
            self._phone.registrar.on_state(ok, prm.code, prm.reason, prm.expiration)


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
        self.calls: list[LiveCall] = []
        self._stop = False
        self._ep: Endpoint | None = None
        self._rejected: list[Rejected] = []  # INVITEs pjsua refused, stored from the loop
        self._rejected_seen: deque[str] = deque(maxlen=512)  # Call-IDs: retransmissions
        self._next_media_check = 0.0
        self._acc: _Account | None = None
        self._ring: RingTone | None = None
        self._focus: LiveCall | None = None  # the call the agent's headset is connected to
        reg = settings.registration
        self.registrar = Registrar(reg) if reg is not None else None
        self._finisher = Finisher(self.archive, on_call_ended)  # stores each ended call
        self.control: ControlServer | None = None
        greeting = settings.greeting or DEFAULT_GREETING
        self._greeting_path = greeting if Path(greeting).exists() else None
        if self._greeting_path is None:
            log.warning(
                "greeting file %s not found: calls are answered without a greeting", greeting
            )

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        self._finisher.recover()
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
        acfg = account_config(self.s.bind, self.s.port, self.s.user, self.s.registration)
        self._acc = _Account(self)
        self._acc.create(acfg, True)
        self._ring = RingTone(self._ep, self.s.policy, self.s.clock_rate)
        if self.s.control_path is not None:
            self.control = ControlServer(self.s.control_path, lambda msg: handle(self, msg))
        log.info(
            "phone listening on %s:%d/%s; answers at the end of ring %d (%.1fs on / %.1fs off)",
            self.s.bind,
            self.s.port,
            self.s.transport,
            self.s.policy.answer_after_rings,
            self.s.policy.ring_on,
            self.s.policy.ring_off,
        )

    def request_stop(self, *_: object) -> None:
        self._stop = True
        if self.registrar is not None:
            self.registrar.stopping = True

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
        if self._ring is not None:
            self._ring.ring(any(self.line_state(c) is LineState.RINGING for c in self.calls))
        if self.registrar is not None and self._acc is not None:
            self.registrar.poll(self._acc, now)
        if self.control is not None:
            self.control.poll()

    def close(self) -> None:
        for live in list(self.calls):
            self._finish(live)
        if self._rejected:
            self._store_rejected()
        self._finisher.close()  # every call queued so far is finished and stored first
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
                if self.line_state(live) is LineState.RINGING:
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
    def answer(self, live: LiveCall, by: AnsweredBy = "agent") -> bool:
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
        live.record.answered_by = by
        # Picking up a second line puts the first on hold, as on any multi-line phone.
        self._move(live, headset.answer(by, self._focus is None))
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
        move = headset.hold(self.line_state(live), held)
        return move is not None and self._move(live, move)

    def take(self, live: LiveCall) -> bool:
        """The agent takes a waiting or held line into the headset (the current one holds)."""
        move = headset.take(self.line_state(live))
        return move is not None and self._move(live, move)

    def _move(self, live: LiveCall, move: headset.Move) -> bool:
        """Carry out a move of voice/sip/headset.py: the re-INVITE first (no move without
        it), then the headset."""
        if move.sip is not None and not self._reinvite(live, move.sip is headset.Sip.HOLD):
            return False
        if move.headset is headset.Headset.TAKE:
            if self._focus is not None and self._focus is not live:
                self._reinvite(self._focus, True)  # a hold that fails leaves it waiting
            self._focus_on(live)
        elif move.headset is headset.Headset.RELEASE and live is self._focus:
            self._focus_on(self._next_waiting(live))
        return True

    def _reinvite(self, live: LiveCall, held: bool) -> bool:
        if live.call is None:
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
        return True

    # -- the agent's headset follows one call (which one: voice/sip/headset.py) ------------
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

    def _next_waiting(self, after: LiveCall) -> LiveCall | None:
        """The line that gets the headset after ``after`` leaves it."""
        return headset.next_line(
            (c, self.line_state(c), c.record.answered_at or c.record.invited_at)
            for c in self.calls if c is not after
        )  # fmt: skip

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

    # -- what the control socket shows (its commands: voice/sip/commands.py) ----------------
    def reject(self, live: LiveCall) -> bool:
        if live.answered:
            return False
        live.rejected_with = 603
        return self.hangup(live, 603)

    def describe(self, live: LiveCall) -> dict:
        rings = (live.record.rings if live.answered or live.ended
                 else self.s.policy.rings_at(time.monotonic() - live.ringing_since))  # fmt: skip
        return call_view(live, self.line_state(live), rings, live is self._focus)

    def line_state(self, live: LiveCall) -> LineState:
        return line_state(
            answered=live.answered, ended=live.ended, refused=live.rejected_with is not None,
            held=live.held, on_headset=live is self._focus,
        )  # fmt: skip

    def _publish(self, event: str, live: LiveCall) -> None:
        if self.control is not None:
            self.control.publish({"event": event, "call": self.describe(live)})

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
        lines = sum(1 for c in self.calls if self.line_state(c).takes_a_line)
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
        rec.outcome = ended_outcome(rejected_with=live.rejected_with, answered=live.answered,
                                    last_status=ci.lastStatusCode)  # fmt: skip
        if rang_until_the_end(rec.outcome):
            rec.rings = self._rings((rec.ended_at - rec.invited_at).total_seconds())
        if rec.outcome == "answered" and live.answer_mode and rec.answered_by == "auto":
            rec.cause += "; answered automatically at the caller's request (RFC 5373)"
        live.ended = True
        self._publish("ended", live)
        # pjsua frees this call's id as this callback returns and may hand it to the next
        # INVITE at once. A pjsua2 Call deleted after that hangs up (603) whichever call then
        # holds the id and unhooks its callbacks, leaving that line ringing forever; so the
        # Call goes now, inside the callback, as pjsua2 intends. Recorders stay until _finish.
        call, live.call = live.call, None
        call.live = None

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
                outcome=refused_outcome(r.code),
                cause=f"{r.code} {r.reason} (refused before ringing)",
            )
            log.info("call %s from %s refused: %d %s", rec.uuid, rec.caller, r.code, r.reason)
            self._finisher.put(rec, recorded=False)  # stored off the SIP loop, in order

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
        self._finisher.put(live.record, recorded=live.rejected_with is None)
