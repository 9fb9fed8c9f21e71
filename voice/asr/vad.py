"""Speech segments with webrtcvad, so silence never reaches an engine.

The classic smoothing: a segment opens when enough of the last ``padding_ms`` of frames
are voiced and closes when nearly all are unvoiced; the padding is kept on both sides, and
``preroll_ms``/``hangover_ms`` more, so first and last syllables are not clipped. Nothing
is dropped for being short: a caller's last "对" or a digit said alone after a pause is
speech like any other (the engines drop what holds no words), and speech still open when
the audio ends is a segment to its end (the flush at hangup).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import webrtcvad

from voice.asr.audio import ASR_RATE, to_pcm16


@dataclass(frozen=True)
class VadOptions:
    aggressiveness: int = 2  # 0 (keeps most) … 3 (drops most)
    frame_ms: int = 30  # 10, 20 or 30
    padding_ms: int = 300
    # Share of voiced frames that opens a segment, and of unvoiced frames that closes it.
    # Opening at 0.8 missed digits said one at a time (a 250 ms digit, a 200 ms pause);
    # closing at 0.9 keeps such pauses inside the number.
    ratio: float = 0.6
    close_ratio: float = 0.9
    preroll_ms: int = 150  # kept before the opening window
    hangover_ms: int = 300  # kept after the closing window: the last syllable's decay
    min_speech_ms: int = 0  # shorter segments are dropped (0: none; see the docstring)
    max_segment_s: float = 25.0  # Whisper sees at most 30 s at a time
    merge_gap_s: float = 0.8  # pauses between clauses stay inside one utterance
    # segments of one speaker this close, with nobody else speaking between, are one turn,
    # decoded as one window (voice.asr.turns); 0: each segment alone
    turn_gap_s: float = 3.0

    def __post_init__(self) -> None:
        if self.frame_ms not in (10, 20, 30):
            raise ValueError(f"VAD frame must be 10, 20 or 30 ms, not {self.frame_ms}")
        if not 0 <= self.aggressiveness <= 3:
            raise ValueError(f"VAD aggressiveness must be 0-3, not {self.aggressiveness}")


def speech_segments(
    audio: np.ndarray, opts: VadOptions = VadOptions()
) -> list[tuple[float, float]]:
    """(start_s, end_s) of speech in 16 kHz mono float audio."""
    vad = webrtcvad.Vad(opts.aggressiveness)
    n = ASR_RATE * opts.frame_ms // 1000
    pcm = to_pcm16(audio)
    frames = len(audio) // n
    pad = max(1, opts.padding_ms // opts.frame_ms)
    window: deque[bool] = deque(maxlen=pad)
    segments: list[tuple[int, int]] = []
    start: int | None = None
    for i in range(frames):
        voiced = vad.is_speech(pcm[i * n * 2 : (i + 1) * n * 2], ASR_RATE)
        window.append(voiced)
        if start is None:
            if len(window) == pad and sum(window) >= opts.ratio * pad:
                start = max(0, i - pad + 1)
                window.clear()
        elif len(window) == pad and pad - sum(window) >= opts.close_ratio * pad:
            segments.append((start, i + 1))
            start = None
            window.clear()
    if start is not None:
        segments.append((start, frames))
    merged: list[tuple[int, int]] = []
    gap = opts.merge_gap_s * 1000 / opts.frame_ms
    for a, b in segments:
        if (
            merged
            and a - merged[-1][1] <= gap
            and (b - merged[-1][0]) * opts.frame_ms / 1000 <= opts.max_segment_s
        ):
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    out = []
    step = opts.frame_ms / 1000
    pre, post = opts.preroll_ms // opts.frame_ms, opts.hangover_ms // opts.frame_ms
    for k, (a, b) in enumerate(merged):
        if (b - a) * opts.frame_ms < opts.min_speech_ms:
            continue
        # widen into the silence around, never into the neighbouring segment
        a = max(a - pre, merged[k - 1][1] if k else 0)
        b = min(b + post, merged[k + 1][0] if k + 1 < len(merged) else frames)
        s, e = a * step, b * step
        while e - s > opts.max_segment_s:  # split overlong speech into engine-sized pieces
            out.append((round(s, 3), round(s + opts.max_segment_s, 3)))
            s += opts.max_segment_s
        out.append((round(s, 3), round(e, 3)))
    return out
