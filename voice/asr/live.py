"""Transcribing a call while it is still being recorded.

The phone writes each channel to ``.partial/<call-uuid>/{caller,agent}.wav`` as the call
goes on. ``LiveFollower.poll`` follows every live call:

- Whisper (and any segment engine): it re-reads what has been written, runs VAD over it
  and transcribes every speaker's turn (``voice.asr.turns``) that has ended: VAD has closed
  its last segment, and the other speaker has spoken since or its speaker has been silent
  for ``turn_gap_s``. VAD is causal, so an ended turn has the same bounds in the finished
  recording and ``transcribe_file(live=…)`` skips it.
- Vosk: new PCM is fed straight into one KaldiRecognizer per channel as the file grows;
  each endpoint Vosk detects is an utterance, and everything before the last endpoint is
  done (``done_until``): at hangup only the audio after it is left.

One follower per call. Several workers may run; each live call is followed by the one
that holds ``.partial/<call-uuid>.lock`` (``flock``; the kernel releases it when its holder
dies, and another worker takes the call over). What the owner has transcribed is kept in
``.partial/<call-uuid>.live.json`` (rewritten atomically after each step), so whichever
worker takes the job after hangup reuses it, and a worker taking over a call carries on
from it. Both files sit beside the call's folder, not in it: the archive's crash recovery
looks only at folders.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import struct
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from domain.transcript import Speaker, Transcript, Utterance
from recordings.wavfile import WavError, read_mono_pcm16
from voice.asr.audio import ASR_RATE, to_asr_rate
from voice.asr.turns import decode_turn, speech_turns
from voice.asr.vad import VadOptions, speech_segments

log = logging.getLogger("frontdesk.live")

CHANNEL_FILES: tuple[tuple[str, Speaker], ...] = (("caller.wav", "caller"), ("agent.wav", "agent"))
STALE_S = 3600  # a sidecar of a call gone for an hour without its job being done is dropped


@dataclass
class Segment:
    speaker: Speaker
    start: float
    end: float
    utterance: Utterance | None  # None: speech the engine found no words in


@dataclass
class LiveResult:
    """What was transcribed while the call was live."""

    segments: list[Segment] = field(default_factory=list)
    # per speaker: all audio before this time is transcribed (Vosk streaming)
    done_until: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> LiveResult:
        d = json.loads(text)
        segs = []
        for s in d.get("segments", []):
            u = s.get("utterance")
            utt = Transcript.from_dict({"utterances": [u]}).utterances[0] if u else None
            segs.append(Segment(s["speaker"], s["start"], s["end"], utt))
        return cls(segs, {k: float(v) for k, v in d.get("done_until", {}).items()})


@dataclass
class _Stream:
    """One channel fed into a Vosk recognizer as the file grows."""

    rec: object
    rate: int
    data_at: int  # byte offset of the PCM in the file
    fed: int = 0  # bytes of PCM fed so far (from the start of the file)
    t0: float = 0.0  # where in the recording this recognizer started (its times are relative)


class _Resampled:
    """A growing channel at 16 kHz, resampling only what was appended.

    Re-resampling the whole file on every poll cost 0.7 s per channel for a 10-minute call
    here. Output more than ``MARGIN`` input samples from the end (well over resample_poly's
    filter half-length) no longer changes, so it is kept and only the rest is redone; the
    result equals resampling the whole file (checked in tests/asr/test_live_resample.py).
    """

    MARGIN = 64

    def __init__(self) -> None:
        self.done_in = 0  # input samples whose output is final
        self.out = np.zeros(0, np.float32)

    def update(self, samples: np.ndarray, rate: int) -> np.ndarray:
        x = samples.astype(np.float32) / 32768.0
        if ASR_RATE % rate:  # 44.1 kHz and such: outputs do not align, redo it all
            return to_asr_rate(x, rate)
        k = ASR_RATE // rate
        start = max(0, self.done_in - self.MARGIN)
        fresh = to_asr_rate(x[start:], rate)[(self.done_in - start) * k :]
        audio = np.concatenate([self.out, fresh])
        final_in = max(self.done_in, len(x) - self.MARGIN)
        self.out = audio[: len(self.out) + (final_in - self.done_in) * k]
        self.done_in = final_in
        return audio


@dataclass
class _Call:
    lock_fd: int
    result: LiveResult
    sizes: dict[str, int] = field(default_factory=dict)
    streams: dict[str, _Stream] = field(default_factory=dict)
    audio: dict[str, _Resampled] = field(default_factory=dict)
    # per channel file: its audio at 16 kHz so far and the VAD segments in it
    channels: dict[str, tuple[np.ndarray, list[tuple[float, float]]]] = field(default_factory=dict)


def sidecar(partial_root: Path, call_uuid: str) -> Path:
    return partial_root / f"{call_uuid}.live.json"


def load_live(partial_root: Path, call_uuid: str) -> LiveResult:
    """What any worker transcribed of this call while it was live (empty if nothing)."""
    try:
        return LiveResult.from_json(sidecar(partial_root, call_uuid).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return LiveResult()
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring unreadable %s: %s", sidecar(partial_root, call_uuid), exc)
        return LiveResult()


def discard_live(partial_root: Path, call_uuid: str) -> None:
    """The call's transcript is stored: its live state is no longer needed."""
    sidecar(partial_root, call_uuid).unlink(missing_ok=True)


class LiveFollower:
    def __init__(self, engine, opts: VadOptions) -> None:
        self.engine = engine  # a callable returning the loaded engine (loaded once, lazily)
        self.opts = opts
        self.calls: dict[str, _Call] = {}  # the live calls this follower owns
        # a segment is final once this much audio follows it (padding + merge gap + hangover)
        self.settle_s = (opts.padding_ms + opts.hangover_ms) / 1000 + opts.merge_gap_s + 0.2

    def poll(self, partial_root: Path) -> int:
        """Transcribe new audio of every live call this follower owns (taking ownership of
        calls nobody follows); how many utterances were done."""
        live = (
            {p.name for p in partial_root.iterdir() if p.is_dir()}
            if partial_root.is_dir()
            else set()
        )
        for gone in set(self.calls) - live:
            self._release(partial_root, gone)
        done = 0
        for call_uuid in sorted(live):
            state = self.calls.get(call_uuid) or self._acquire(partial_root, call_uuid)
            if state is None:
                continue  # another worker follows it
            n = 0
            if getattr(self.engine(), "name", "") == "vosk":
                for name, speaker in CHANNEL_FILES:
                    n += self._stream_file(partial_root / call_uuid / name, speaker, state)
            else:
                n = self._follow_turns(partial_root / call_uuid, state)
            if n:
                self._save(partial_root, call_uuid, state.result)
            done += n
        self._sweep(partial_root, live)
        return done

    def close(self, partial_root: Path) -> None:
        for call_uuid in list(self.calls):
            self._release(partial_root, call_uuid)

    # -- ownership --------------------------------------------------------------------
    def _acquire(self, partial_root: Path, call_uuid: str) -> _Call | None:
        try:
            fd = os.open(partial_root / f"{call_uuid}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        except FileNotFoundError:
            return None  # the .partial folder went away
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        # a worker that died while following this call left what it had done
        state = _Call(fd, load_live(partial_root, call_uuid))
        if not state.result.segments:
            log.info("%s: following the live call", call_uuid)
        else:
            log.info("%s: taking over a live call (%d utterances already done)",
                     call_uuid, len(state.result.segments))  # fmt: skip
        self.calls[call_uuid] = state
        return state

    def _release(self, partial_root: Path, call_uuid: str) -> None:
        state = self.calls.pop(call_uuid)
        # the call ended; its result is on disk already (saved after every step), where
        # whichever worker takes the job finds it
        (partial_root / f"{call_uuid}.lock").unlink(missing_ok=True)
        os.close(state.lock_fd)

    def _save(self, partial_root: Path, call_uuid: str, result: LiveResult) -> None:
        if not result.segments and not result.done_until:
            return
        f = sidecar(partial_root, call_uuid)
        tmp = f.with_name(f"{f.name}.{os.getpid()}.tmp")
        tmp.write_text(result.to_json(), encoding="utf-8")
        os.replace(tmp, f)

    def _sweep(self, partial_root: Path, live: set[str]) -> None:
        """Drop lock files of ended calls and sidecars whose job never came."""
        if not partial_root.is_dir():
            return
        now = time.time()
        for p in partial_root.iterdir():
            if not p.is_file():
                continue
            uid = p.name.split(".", 1)[0]
            if uid in live or uid in self.calls:
                continue
            try:
                if p.suffix == ".lock" or now - p.stat().st_mtime > STALE_S:
                    p.unlink(missing_ok=True)
            except OSError:
                pass

    # -- transcription ----------------------------------------------------------------
    def _stream_file(self, path: Path, speaker: Speaker, state: _Call) -> int:
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return 0
        if state.sizes.get(path.name) == size:
            return 0  # nothing new written
        state.sizes[path.name] = size
        return self._stream(self.engine(), path, speaker, state)

    def _follow_turns(self, call_dir: Path, state: _Call) -> int:
        """Re-read what both channels have written, run VAD over it and transcribe every
        turn that has ended: audio follows it on both channels, and either the other
        speaker has spoken since or its speaker has been silent ``turn_gap_s``."""
        changed = False
        for name, _ in CHANNEL_FILES:
            path = call_dir / name
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue
            if state.sizes.get(name) == size:
                continue  # nothing new written
            try:
                pcm = read_mono_pcm16(path)
            except WavError:
                continue  # header not written yet
            state.sizes[name] = size
            audio = state.audio.setdefault(name, _Resampled()).update(pcm.samples, pcm.sample_rate)
            state.channels[name] = (audio, speech_segments(audio, self.opts))
            changed = True
        if not changed:
            return 0
        names = [(name, who) for name, who in CHANNEL_FILES if name in state.channels]
        segs = [state.channels[name][1] for name, _ in names]
        # what is final: audio up to here is written on every channel
        horizon = min(len(state.channels[name][0]) for name, _ in names) / ASR_RATE - self.settle_s
        n = 0
        for turn in speech_turns(segs, self.opts.turn_gap_s):
            name, speaker = names[turn.channel]
            if turn.end > horizon or any(
                s.speaker == speaker and abs(s.start - turn.start) < 0.05 for s in state.result.segments
            ):
                continue
            answered = any(b > turn.end and a < horizon
                           for k, o in enumerate(segs) if k != turn.channel for a, b in o)  # fmt: skip
            if not answered and turn.end + self.opts.turn_gap_s > horizon:
                continue  # the speaker may go on after this pause
            u, extra = decode_turn(self.engine(), state.channels[name][0], speaker,
                                   turn.start, turn.end, turn.segments)  # fmt: skip
            state.result.segments.append(Segment(speaker, turn.start, turn.end, u))
            state.result.segments.extend(Segment(speaker, v.start, v.end, v) for v in extra)
            n += 1
        return n

    def _stream(self, engine, path: Path, speaker: Speaker, state: _Call) -> int:
        """Feed what was appended to the channel file into its recognizer."""
        st = state.streams.get(path.name)
        if st is None:
            try:
                rate, data_at = _pcm_start(path)
            except WavError:
                return 0  # header not written yet
            # taking over: a fresh recognizer starts where the previous owner's last ended
            t0 = state.result.done_until.get(speaker, 0.0)
            st = _Stream(engine.recognizer(rate), rate, data_at, int(t0 * rate) * 2, t0)
            state.streams[path.name] = st
        with open(path, "rb") as fh:
            fh.seek(st.data_at + st.fed)
            new = fh.read()
        new = new[: len(new) - len(new) % 2]
        if not new:
            return 0
        n = 0
        step = st.rate // 5 * 2  # 200 ms per call
        for i in range(0, len(new), step):
            chunk = new[i : i + step]
            st.fed += len(chunk)
            if st.rec.AcceptWaveform(chunk):  # Vosk found an endpoint: an utterance is final
                end = st.fed / 2 / st.rate
                u = engine.utterance([json.loads(st.rec.Result())], st.t0, speaker, end)
                start = u.start if u else state.result.done_until.get(speaker, st.t0)
                state.result.segments.append(Segment(speaker, start, end, u))
                state.result.done_until[speaker] = round(end, 3)
                n += 1
        return n


def _pcm_start(path: Path) -> tuple[int, int]:
    """(sample rate, byte offset of the PCM) of a mono 16-bit WAV still being written."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise WavError(f"{path}: not a RIFF/WAVE file (yet)")
    pos, rate = 12, None
    while pos + 8 <= len(head):
        cid, size = head[pos : pos + 4], struct.unpack("<I", head[pos + 4 : pos + 8])[0]
        if cid == b"fmt ":
            fmt, channels, rate, _, _, bits = struct.unpack("<HHIIHH", head[pos + 8 : pos + 24])
            if fmt != 1 or channels != 1 or bits != 16:
                raise WavError(f"{path}: expected mono 16-bit PCM")
        elif cid == b"data":
            if rate is None:
                break
            return rate, pos + 8
        pos += 8 + size + (size & 1)
    raise WavError(f"{path}: no fmt or data chunk (yet)")
