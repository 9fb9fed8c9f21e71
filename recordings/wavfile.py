"""Raw PCM WAV helpers: read a (possibly unfinished) mono WAV and write stereo.

pjmedia writes the RIFF sizes only when its recorder is destroyed; after a crash the
header says 0 bytes but the PCM after the header is intact. Reading the data chunk
by file size instead of the header makes such a file readable as it is.
"""

from __future__ import annotations

import os
import struct
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class WavError(ValueError):
    pass


@dataclass(frozen=True)
class PcmData:
    samples: np.ndarray  # int16, mono
    sample_rate: int


def read_mono_pcm16(path: Path) -> PcmData:
    """Read a mono 16-bit PCM WAV, trusting the file size over the header sizes."""
    raw = Path(path).read_bytes()
    if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise WavError(f"{path}: not a RIFF/WAVE file")
    pos, rate, data = 12, None, None
    while pos + 8 <= len(raw):
        cid, size = raw[pos : pos + 4], struct.unpack("<I", raw[pos + 4 : pos + 8])[0]
        body = pos + 8
        if cid == b"fmt ":
            fmt, channels, rate, _, _, bits = struct.unpack("<HHIIHH", raw[body : body + 16])
            if fmt != 1 or channels != 1 or bits != 16:
                raise WavError(
                    f"{path}: expected mono 16-bit PCM, got fmt={fmt} ch={channels} bits={bits}"
                )
        elif cid == b"data":
            end = body + size if 0 < size <= len(raw) - body else len(raw)
            data = raw[body:end]
            break
        pos = body + size + (size & 1)
    if rate is None or data is None:
        raise WavError(f"{path}: no fmt or data chunk")
    usable = len(data) - (len(data) % 2)
    return PcmData(np.frombuffer(data[:usable], dtype="<i2").copy(), rate)


def write_stereo_pcm16(path: Path, left: np.ndarray, right: np.ndarray, rate: int) -> None:
    """Write two int16 channels (padded to equal length) and fsync the file."""
    n = max(len(left), len(right))
    frames = np.zeros((n, 2), dtype="<i2")
    frames[: len(left), 0] = left
    frames[: len(right), 1] = right
    with open(path, "wb") as fh:
        with wave.open(fh, "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(frames.tobytes())
        fh.flush()
        os.fsync(fh.fileno())
