"""A live call's recording as the phone writes it: one mono WAV per channel in
``.partial/<call-uuid>/``, its header sizes still 0, PCM appended as audio arrives."""

from __future__ import annotations

import struct
import threading
import time
from pathlib import Path

import numpy as np

from recordings.archive import AGENT, CALLER, PARTIAL


def _header(rate: int) -> bytes:
    # RIFF/data sizes 0: pjmedia writes them only when the recorder is destroyed
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    return b"RIFF" + struct.pack("<I", 0) + b"WAVEfmt " + struct.pack("<I", 16) + fmt + b"data" + (
        struct.pack("<I", 0))  # fmt: skip


class GrowingCall(threading.Thread):
    """Writes ``channels`` (speaker file name → int16 samples) into the partial folder:
    as a thread in 20 ms frames at ``speed`` × real time, or step by step with ``advance``
    (a test that must not depend on how fast a loaded machine is); ``hangup_at`` is set
    (monotonic) when the file is complete."""

    def __init__(self, root: Path, call_uuid: str, channels: dict[str, np.ndarray], rate: int,
                 speed: float = 1.0, frame_ms: int = 20) -> None:  # fmt: skip
        super().__init__(daemon=True)
        self.dir = root / PARTIAL / call_uuid
        self.dir.mkdir(parents=True, exist_ok=True)
        self.channels, self.rate, self.speed, self.frame_ms = channels, rate, speed, frame_ms
        self.hangup_at: float | None = None
        self.stop_early = threading.Event()

    def open(self) -> None:
        self.files = {name: open(self.dir / name, "wb") for name in self.channels}  # noqa: SIM115
        for fh in self.files.values():
            fh.write(_header(self.rate))
            fh.flush()
        self.pos = 0
        self.length = max(len(s) for s in self.channels.values())

    def advance(self, seconds: float) -> bool:
        """Append the next ``seconds`` of every channel; False once all is written."""
        end = min(self.length, self.pos + int(seconds * self.rate))
        for name, fh in self.files.items():
            fh.write(self.channels[name][self.pos : end].astype("<i2").tobytes())
            fh.flush()
        self.pos = end
        return end < self.length

    def close(self) -> None:
        for fh in self.files.values():
            fh.close()
        self.hangup_at = time.monotonic()

    def run(self) -> None:
        """In real time × ``speed``, 20 ms frames (as the phone's recorder writes them)."""
        self.open()
        try:
            t0, i, frame = time.monotonic(), 0, self.frame_ms / 1000
            while not self.stop_early.is_set() and self.advance(frame):
                i += 1
                delay = t0 + i * frame / self.speed - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        finally:
            self.close()


def stereo_call(samples: np.ndarray) -> dict[str, np.ndarray]:
    """A stereo recording (frames × 2, ch 0 caller) as the phone's two channel files."""
    return {CALLER: samples[:, 0].copy(), AGENT: samples[:, 1].copy()}
