"""A speaker's turns: VAD segments of one channel joined while nobody else speaks.

Decoding each VAD segment alone loses the words around it (dev split CER 0.178; each channel
whole 0.158), decoding a channel whole loses the order of a two-party call's turns. A turn is
in between: a channel's consecutive segments, separated by less than ``max_gap_s`` of silence
and by no speech on another channel, decoded as one window; it keeps its own start and end,
so a transcript's turns stay in the order they were said.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from domain.transcript import Speaker, Utterance
from voice.asr.audio import ASR_RATE

Span = tuple[float, float]


@dataclass
class Turn:
    channel: int
    start: float
    end: float
    segments: list[Span] = field(default_factory=list)  # the VAD segments it is made of


def speech_turns(
    segments: Sequence[Sequence[Span]], max_gap_s: float = 3.0, max_s: float = 27.0
) -> list[Turn]:
    """``segments[c]``: channel c's VAD segments in time order → the turns of all channels,
    in time order. A turn is never longer than ``max_s`` (Whisper sees 30 s at a time, with
    the short window's padding; a longer segment is its own turn)."""
    turns: list[Turn] = []
    for ch, segs in enumerate(segments):
        others = [s for c, o in enumerate(segments) if c != ch for s in o]
        cur: Turn | None = None
        for a, b in segs:
            if (
                cur is not None
                and a - cur.end < max_gap_s
                and b - cur.start <= max_s
                # someone else spoke in the pause: the turn has ended
                and not any(oa < a and ob > cur.end for oa, ob in others)
            ):
                cur.end = b
                cur.segments.append((a, b))
                continue
            cur = Turn(ch, a, b, [(a, b)])
            turns.append(cur)
    return sorted(turns, key=lambda t: (t.start, t.channel))


def takes_turns(mine: Sequence[Turn], turns: Sequence[Turn]) -> bool:
    """``mine`` (one channel's turns, of ``turns``) alternate with another channel's: someone
    else spoke between its first and its last turn (a two-party call's caller or agent)."""
    if len(mine) < 2:
        return False
    ch, a, b = mine[0].channel, mine[0].start, mine[-1].end
    return any(t.channel != ch and a < t.start < b for t in turns)


def decode_turn(
    engine, audio: np.ndarray, speaker: Speaker, start: float, end: float,
    segments: Sequence[Span], flush: bool = True,
) -> tuple[Utterance | None, list[Utterance]]:  # fmt: skip
    """``audio`` (16 kHz, a whole channel) from ``start`` to ``end`` decoded as one window →
    (its utterance, the flushed ones). ``flush``: a VAD segment of the turn that none of the
    decoded words falls in (Whisper stopping before a number said last, after a pause) is
    decoded alone, an utterance of its own."""
    u = engine.transcribe(audio[int(start * ASR_RATE) : int(end * ASR_RATE)], start, speaker)
    extra: list[Utterance] = []
    if not flush or len(segments) < 2 or (u is not None and not u.words):
        return u, extra  # one segment was decoded as it is; no word times: coverage unknown
    words = u.words if u is not None else []
    for s, e in segments:
        if not any(w.start < e and w.end > s for w in words):
            v = engine.transcribe(audio[int(s * ASR_RATE) : int(e * ASR_RATE)], s, speaker)
            if v is not None:
                extra.append(v)
    return u, extra
