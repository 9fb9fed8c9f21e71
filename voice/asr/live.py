"""Transcribing a call while it is still being recorded.

The phone writes each channel to ``.partial/<call-uuid>/{caller,agent}.wav`` as the call
goes on. ``LiveFollower.poll`` re-reads what has been written, runs VAD over it and
transcribes every segment that VAD has closed (speech followed by enough silence that
it cannot grow or merge any more). At hangup the worker hands these to
``transcribe_file(reuse=…)``, so only the last utterance is left to do. VAD is causal,
so a closed segment has the same bounds in the finished recording.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from recordings.wavfile import WavError, read_mono_pcm16
from voice.asr.audio import ASR_RATE, to_asr_rate
from voice.asr.transcript import Speaker, Utterance
from voice.asr.vad import VadOptions, speech_segments

log = logging.getLogger("frontdesk.live")

CHANNEL_FILES: tuple[tuple[str, Speaker], ...] = (("caller.wav", "caller"), ("agent.wav", "agent"))


@dataclass
class Segment:
    speaker: Speaker
    start: float
    end: float
    utterance: Utterance | None  # None: speech the engine found no words in


@dataclass
class _Call:
    done: list[Segment] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)


class LiveFollower:
    def __init__(self, engine, opts: VadOptions) -> None:
        self.engine = engine  # a callable returning the loaded engine (loaded once, lazily)
        self.opts = opts
        self.calls: dict[str, _Call] = {}
        # a segment is final once this much audio follows it (padding + merge gap)
        self.settle_s = opts.padding_ms / 1000 + opts.merge_gap_s + 0.2

    def poll(self, partial_root: Path) -> int:
        """Transcribe newly closed segments of every live call; how many were done."""
        done = 0
        live = (
            {p.name for p in partial_root.iterdir() if p.is_dir()}
            if partial_root.is_dir()
            else set()
        )
        for gone in set(self.calls) - live:
            if not self.calls[gone].done:
                del self.calls[gone]
        for call_uuid in sorted(live):
            state = self.calls.setdefault(call_uuid, _Call())
            for name, speaker in CHANNEL_FILES:
                done += self._follow(partial_root / call_uuid / name, speaker, state)
        return done

    def _follow(self, path: Path, speaker: Speaker, state: _Call) -> int:
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return 0
        if state.sizes.get(path.name) == size:
            return 0  # nothing new written
        state.sizes[path.name] = size
        try:
            pcm = read_mono_pcm16(path)
        except WavError:
            return 0  # header not written yet
        audio = to_asr_rate(pcm.samples.astype("float32") / 32768.0, pcm.sample_rate)
        horizon = len(audio) / ASR_RATE - self.settle_s
        n = 0
        for start, end in speech_segments(audio, self.opts):
            if end > horizon or any(
                s.speaker == speaker and abs(s.start - start) < 0.05 for s in state.done
            ):
                continue
            piece = audio[int(start * ASR_RATE) : int(end * ASR_RATE)]
            u = self.engine().transcribe(piece, start, speaker)
            state.done.append(Segment(speaker, start, end, u))
            n += 1
        return n

    def take(self, call_uuid: str) -> list[Segment]:
        """The segments already transcribed for a call that has ended (and forget it)."""
        state = self.calls.pop(call_uuid, None)
        return state.done if state else []
