"""The recordings archive: where a call records while live, and where it ends up.

Layout under the root:
  .partial/<call-uuid>/caller.wav, agent.wav, meta.json   while the call is live
  YYYY/MM/DD/<call-uuid>.wav                              finalized: stereo, ch0 caller, ch1 agent

Finalizing writes the stereo file to a temporary name, fsyncs it and renames it in
place, so a reader sees either nothing or the whole file. The partial folder is
removed only after the final file is on disk; a crash at any point leaves something
``recover()`` can finish.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from domain.recording import RecordingInfo
from recordings.wavfile import WavError, read_mono_pcm16, write_stereo_pcm16

PARTIAL = ".partial"
CALLER, AGENT, META = "caller.wav", "agent.wav", "meta.json"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Archive:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    # -- live calls -------------------------------------------------------------------
    def partial_dir(self, call_uuid: str) -> Path:
        d = self.root / PARTIAL / call_uuid
        d.mkdir(parents=True, exist_ok=True)
        return d

    def write_meta(self, call_uuid: str, meta: dict) -> None:
        """Store what recovery needs to rebuild the call's row after a crash."""
        d = self.partial_dir(call_uuid)
        tmp = d / (META + ".tmp")
        tmp.write_text(json.dumps(meta, ensure_ascii=False, default=str), encoding="utf-8")
        os.replace(tmp, d / META)

    # -- finalizing -------------------------------------------------------------------
    def final_path(self, call_uuid: str, started_at: datetime) -> Path:
        day = started_at.astimezone(UTC)
        return self.root / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}" / f"{call_uuid}.wav"

    def finalize(self, call_uuid: str, started_at: datetime) -> RecordingInfo | None:
        """Merge the call's channel files into the final stereo WAV.

        Returns None when the call recorded nothing (no channel file). A channel file
        that cannot be read is kept aside (renamed ``*.bad``) and the other channel
        still makes a recording.
        """
        part = self.root / PARTIAL / call_uuid
        channels: list[np.ndarray | None] = []
        rate = None
        for name in (CALLER, AGENT):
            f = part / name
            if not f.exists():
                channels.append(None)
                continue
            try:
                pcm = read_mono_pcm16(f)
            except WavError:
                os.replace(f, f.with_suffix(".bad"))
                channels.append(None)
                continue
            rate = rate or pcm.sample_rate
            channels.append(pcm.samples)
        if rate is None:  # nothing was recorded (missed or rejected call)
            if part.exists() and not any(p.suffix == ".bad" for p in part.iterdir()):
                shutil.rmtree(part, ignore_errors=True)
            return None
        left, right = (c if c is not None else np.zeros(0, np.int16) for c in channels)
        dest = self.final_path(call_uuid, started_at)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_suffix(".wav.tmp")
        write_stereo_pcm16(tmp, left, right, rate)
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
        info = self.describe(dest)
        if not any(p.suffix == ".bad" for p in part.iterdir()):
            shutil.rmtree(part, ignore_errors=True)
        return info

    def describe(self, path: Path) -> RecordingInfo:
        import soundfile as sf

        meta = sf.info(str(path))
        return RecordingInfo(
            path=str(path.relative_to(self.root)),
            sha256=sha256_file(path),
            size=path.stat().st_size,
            duration_s=round(meta.frames / meta.samplerate, 3),
            channels=meta.channels,
            sample_rate=meta.samplerate,
        )

    # -- crash recovery ---------------------------------------------------------------
    def pending(self) -> list[str]:
        """Call uuids whose recording was never finalized (the phone died mid-call)."""
        base = self.root / PARTIAL
        return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.exists() else []

    def read_meta(self, call_uuid: str) -> dict:
        f = self.root / PARTIAL / call_uuid / META
        try:
            return json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def resolve(self, relative: str) -> Path:
        """Absolute path of a stored recording; refuses paths that leave the archive."""
        p = (self.root / relative).resolve()
        if self.root.resolve() not in p.parents:
            raise ValueError(f"recording path {relative!r} is outside the archive")
        return p


def _fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
