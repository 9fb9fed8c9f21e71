"""Spoken phone numbers masked in a copy of a call's recording, for training packs.

The transcript says where: masking.py finds each number in an utterance's words (even split
over several words), and the words' times give its span, on the speaker's channel (caller 0,
agent 1). In the copy, each span — padded by PAD each side — becomes a soft 1 kHz tone;
every other sample is copied unchanged, and so is the WAV's header. A number found in the
text whose words carry no times gets its whole utterance masked instead of being left.

The copy is streamed block by block (recordings can be long); both SHA-256s are computed on
the way, so the caller can check the original against the ledger.
"""

from __future__ import annotations

import hashlib
import math
import struct
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from frontdesk.console.masking import has_phone, mask_text, phone_word_runs

PAD = 0.1  # seconds each side: word times are the recogniser's guess, a few tens of ms off
TONE_HZ = 1000.0
TONE_LEVEL = 3277  # −20 dBFS: audible as a bleep, not startling on headphones
FADE = 0.01  # seconds of fade in/out, so the tone starts and stops without a click
CHANNELS = {"caller": 0, "agent": 1}  # as the phone records: caller left, agent right
_BLOCK_FRAMES = 1 << 16


@dataclass
class Span:
    """A stretch of audio to mask. channel None means every channel (speaker unknown);
    start/end are seconds from the start of the recording, end exclusive."""

    channel: int | None
    start: float
    end: float
    source: str  # "word times" | "utterance (its words have no times)"
    text: str  # the masked text that was spoken there, e.g. 要39****5678


@dataclass
class Masked:
    recording_sha256: str  # of the stored recording, as read
    audio_sha256: str  # of the exported copy
    spans: list[Span]  # as applied: padded, on whole samples, clipped to the recording

    def manifest(self) -> list[dict[str, Any]]:
        return [asdict(s) for s in self.spans]


def _timed(w: dict[str, Any]) -> bool:
    s, e = w.get("start"), w.get("end")
    return isinstance(s, int | float) and isinstance(e, int | float) and e >= s


def spoken_number_spans(transcript: dict[str, Any]) -> list[Span]:
    """Where phone numbers are spoken in a transcript (Transcript.to_dict() form), unpadded."""
    spans = []
    for u in transcript.get("utterances", []):
        channel = CHANNELS.get(u.get("speaker", ""))
        words = u.get("words") or []
        whole = Span(channel, float(u["start"]), float(u["end"]),
                     "utterance (its words have no times)", mask_text(u.get("text")))  # fmt: skip
        runs = phone_word_runs(words) if words else []
        for i, j in runs:
            run = words[i:j]
            if all(_timed(w) for w in run):
                text = mask_text("".join(w["w"] for w in run))
                spans.append(Span(channel, float(run[0]["start"]), float(run[-1]["end"]),
                                  "word times", text))  # fmt: skip
            else:
                spans.append(whole)
        if not runs and has_phone(u.get("text")):
            spans.append(whole)
    return spans


def _read_header(f: IO[bytes], name: str) -> tuple[bytes, int, int, int]:
    """The bytes before the samples, channels, sample rate and the data chunk's size."""
    head = f.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise ValueError(f"{name}: not a RIFF/WAVE file")
    fmt = None
    while True:
        hdr = f.read(8)
        if len(hdr) < 8:
            raise ValueError(f"{name}: no data chunk")
        head += hdr
        cid, size = struct.unpack("<4sI", hdr)
        if cid == b"data":
            break
        body = f.read(size + (size & 1))
        head += body
        if cid == b"fmt ":
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == 0xFFFE and len(body) >= 26:  # WAVE_FORMAT_EXTENSIBLE: subformat's tag
                tag = struct.unpack("<H", body[24:26])[0]
            fmt = (tag, channels, rate, bits)
    if fmt is None:
        raise ValueError(f"{name}: no fmt chunk before the samples")
    tag, channels, rate, bits = fmt
    if tag != 1 or bits != 16 or not channels or not rate:
        raise ValueError(
            f"{name}: format {tag}, {bits}-bit, {channels} channel(s): "
            "only 16-bit PCM WAV can have spoken numbers masked"
        )
    return head, channels, rate, size


def tone(k: np.ndarray, n: int, rate: int) -> np.ndarray:
    """Samples k (0-based within a masked stretch of n samples) of the faded 1 kHz tone."""
    ramp = max(1.0, FADE * rate)
    env = np.minimum(1.0, np.minimum(k + 1, n - k) / ramp)
    return np.round(TONE_LEVEL * env * np.sin(2 * math.pi * TONE_HZ * k / rate)).astype("<i2")


def mask_wav(src: Path, dst: IO[bytes], spans: list[Span], pad: float = PAD) -> Masked:
    """Copy the WAV at ``src`` to ``dst`` with each span (padded by ``pad``) replaced by the
    tone on its channel. Raises ValueError for a file that is not 16-bit PCM WAV."""
    h_in, h_out = hashlib.sha256(), hashlib.sha256()
    with open(src, "rb") as f:
        head, channels, rate, size = _read_header(f, src.name)
        frame = 2 * channels
        total = f.seek(0, 2)
        f.seek(len(head))
        size = min(size, total - len(head))  # a size the writer never fixed up: to the end
        nframes = size // frame
        cuts = []
        for s in spans:
            a = max(0, math.floor((s.start - pad) * rate))
            b = min(nframes, math.ceil((s.end + pad) * rate))
            if b <= a:
                continue
            ch = None if s.channel is None else min(s.channel, channels - 1)  # mono: all on 0
            cuts.append((a, b, ch, Span(ch, a / rate, b / rate, s.source, s.text)))
        h_in.update(head)
        h_out.update(head)
        dst.write(head)
        pos, left = 0, size
        while left > 0:
            block = f.read(min(_BLOCK_FRAMES * frame, left))
            if not block:
                break
            left -= len(block)
            h_in.update(block)
            n = len(block) // frame
            hits = [c for c in cuts if c[0] < pos + n and c[1] > pos]
            if hits:
                arr = np.frombuffer(block, dtype="<i2", count=n * channels).reshape(n, channels)
                arr = arr.copy()
                for a, b, ch, _ in hits:
                    lo, hi = max(a, pos), min(b, pos + n)
                    t = tone(np.arange(lo - a, hi - a), b - a, rate)
                    if ch is None:
                        arr[lo - pos : hi - pos, :] = t[:, None]
                    else:
                        arr[lo - pos : hi - pos, ch] = t
                block = arr.tobytes() + block[n * frame :]
            h_out.update(block)
            dst.write(block)
            pos += n
        while rest := f.read(1 << 20):  # chunks after the samples (LIST, …): as they are
            h_in.update(rest)
            h_out.update(rest)
            dst.write(rest)
    return Masked(h_in.hexdigest(), h_out.hexdigest(), [c[3] for c in cuts])
