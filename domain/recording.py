"""What the archive knows about one finished recording (a plain dataclass)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class RecordingInfo:
    """A finalized recording: stereo WAV, channel 0 caller, channel 1 agent.

    ``path`` is relative to the recordings root (``YYYY/MM/DD/<call-uuid>.wav``).
    """

    path: str
    sha256: str
    size: int
    duration_s: float
    channels: int
    sample_rate: int

    def to_dict(self) -> dict:
        return asdict(self)
