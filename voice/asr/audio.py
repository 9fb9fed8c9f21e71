"""Reading audio for transcription: any file soundfile reads, any rate, mono or stereo."""

from __future__ import annotations

from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf

ASR_RATE = 16000
MAX_SECONDS = 4 * 3600  # a front-desk call is minutes; hours of audio is a mistake


class AudioError(ValueError):
    """The audio cannot be transcribed; the message names the file and the reason."""


def load_audio(path: str | Path, max_seconds: float = MAX_SECONDS) -> tuple[np.ndarray, int]:
    """Frames × channels float32 in [-1, 1] and the sample rate."""
    p = Path(path)
    if not p.exists():
        raise AudioError(f"{p}: no such file")
    if p.is_dir():
        raise AudioError(f"{p}: is a folder, not an audio file")
    if p.stat().st_size == 0:
        raise AudioError(f"{p}: the file is empty")
    try:
        info = sf.info(str(p))
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise AudioError(f"{p}: not a readable audio file ({_reason(exc)})") from None
    if info.frames <= 0:
        raise AudioError(f"{p}: holds no audio frames")
    if info.frames / info.samplerate > max_seconds:
        raise AudioError(
            f"{p}: {info.frames / info.samplerate / 3600:.1f} h of audio is over the "
            f"{max_seconds / 3600:.0f} h limit"
        )
    try:
        data, rate = sf.read(str(p), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise AudioError(f"{p}: the audio data is corrupt or truncated ({_reason(exc)})") from None
    if len(data) == 0:
        raise AudioError(f"{p}: holds no audio frames")
    if not np.isfinite(data).all():
        raise AudioError(f"{p}: holds invalid samples (NaN or infinity)")
    return data, rate


def to_asr_rate(channel: np.ndarray, rate: int) -> np.ndarray:
    """One channel at 16 kHz float32 (polyphase resampling: no aliasing from 44.1/48 kHz)."""
    if rate == ASR_RATE:
        return channel.astype(np.float32, copy=False)
    from scipy.signal import resample_poly

    g = gcd(rate, ASR_RATE)
    return resample_poly(channel, ASR_RATE // g, rate // g).astype(np.float32)


def to_pcm16(x: np.ndarray) -> bytes:
    return (np.clip(x, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def _reason(exc: Exception) -> str:
    return str(exc).split(":")[-1].strip() or type(exc).__name__
