"""The recordings archive: where a call records while live, and where it ends up.

Layout under the root:
  .partial/<call-uuid>/caller.wav, agent.wav, meta.json   while the call is live
  YYYY/MM/DD/<call-uuid>.wav                              finalized: stereo, ch0 caller, ch1 agent

Finalizing writes the stereo file to a temporary name, fsyncs it and renames it in
place, so a reader sees either nothing or the whole file.

A company's desks share one root (a NAS mount) and each records its live calls in a local
spool (``.partial`` lives there). A call finished while the root cannot be reached (not
mounted, not writable) is finalized into the spool instead,
``<spool>/.spooled/YYYY/MM/DD/<call-uuid>.wav``, and its row names that absolute path until
the desk moves the file up (frontdesk/spool.py). With no spool of its own (one desk) the
spool is the root, as it always was. The phone keeps the partial
folder (with the call's record, ``record.json``) until the call's row is committed and
only then releases it: a crash or a database failure at any point leaves something
``recover()`` can finish, and no recording is left without a row.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from domain.recording import RecordingInfo
from recordings.wavfile import WavError, read_mono_pcm16, write_stereo_pcm16

PARTIAL = ".partial"
SPOOLED = ".spooled"  # finished recordings waiting in a desk's spool for the root to return
MARKER = ".frontdesk-recordings"  # in a root we have written to: its absence means unmounted
CALLER, AGENT, META = "caller.wav", "agent.wav", "meta.json"
RECORD = "record.json"  # the finished call's record, until its row is committed


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Archive:
    def __init__(self, root: str | Path, spool: str | Path | None = None) -> None:
        self.root = Path(root)
        self.spool = Path(spool) if spool is not None else self.root
        self.partial_root = self.spool / PARTIAL
        self._probe: threading.Thread | None = None

    @property
    def shared(self) -> bool:
        """True when live calls are spooled locally apart from the (shared) root."""
        return self.spool != self.root

    def root_reachable(self, timeout_s: float = 3.0) -> bool:
        """Whether finished recordings can go to the root now. A shared root must be a
        directory we can write to; once it held our marker, a root without it is an
        empty mount point (the NAS unmounted), even when we could write there. A hard NFS
        mount whose server is down blocks every look at it: the look runs in its own thread,
        and one not back within ``timeout_s`` (or still stuck from before) means away."""
        if not self.shared:
            return True
        if self._probe is not None and self._probe.is_alive():
            return False
        answer: list[bool] = []
        self._probe = threading.Thread(target=lambda: answer.append(self._probe_root()),
                                       name="root-probe", daemon=True)  # fmt: skip
        self._probe.start()
        self._probe.join(timeout_s)
        return bool(answer and answer[0])

    def _probe_root(self) -> bool:
        seen = self.spool / (MARKER + ".seen")
        try:
            if not self.root.is_dir():
                return False
            marker = self.root / MARKER
            if not marker.exists():
                if seen.exists():
                    return False
                marker.write_text("recordings root of Frontdesk\n", encoding="utf-8")
            probe = self.root / f".probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
            if not seen.exists():
                self.spool.mkdir(parents=True, exist_ok=True)
                seen.write_text(str(self.root), encoding="utf-8")
            return True
        except OSError:
            return False

    # -- live calls -------------------------------------------------------------------
    def partial_dir(self, call_uuid: str) -> Path:
        d = self.partial_root / call_uuid
        d.mkdir(parents=True, exist_ok=True)
        return d

    def write_meta(self, call_uuid: str, meta: dict) -> None:
        """Store what recovery needs to rebuild the call's row after a crash."""
        d = self.partial_dir(call_uuid)
        tmp = d / (META + ".tmp")
        tmp.write_text(json.dumps(meta, ensure_ascii=False, default=str), encoding="utf-8")
        os.replace(tmp, d / META)

    # -- finalizing -------------------------------------------------------------------
    def final_path(self, call_uuid: str, started_at: datetime, base: Path | None = None) -> Path:
        day = started_at.astimezone(UTC)
        base = self.root if base is None else base
        return base / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}" / f"{call_uuid}.wav"

    def spooled_path(self, call_uuid: str, started_at: datetime) -> Path:
        return self.final_path(call_uuid, started_at, self.spool / SPOOLED)

    def spooled(self) -> list[Path]:
        """Finished recordings waiting in this desk's spool for the root, oldest day first."""
        base = self.spool / SPOOLED
        return sorted(base.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/*.wav"))

    def relative_for(self, spooled: Path) -> str:
        """Where a spooled recording goes under the root (``YYYY/MM/DD/<uuid>.wav``)."""
        return str(spooled.relative_to(self.spool / SPOOLED))

    def finalize(
        self, call_uuid: str, started_at: datetime, keep_partial: bool = False
    ) -> RecordingInfo | None:
        """Merge the call's channel files into the final stereo WAV.

        Returns None when the call recorded nothing (no channel file). A channel file
        that cannot be read is kept aside (renamed ``*.bad``) and the other channel
        still makes a recording. With ``keep_partial`` the partial folder stays until
        ``release``: finalizing again gives the same file.
        """
        part = self.partial_root / call_uuid
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
            if not keep_partial:
                self.release(call_uuid)
            return None
        left, right = (c if c is not None else np.zeros(0, np.int16) for c in channels)
        dest = None
        if self.root_reachable():
            try:
                dest = self._write_final(self.final_path(call_uuid, started_at), left, right, rate)
            except OSError:  # the root went away between the check and the write
                dest = None
        if dest is None:  # kept on this desk until the root returns (frontdesk/spool.py)
            dest = self._write_final(self.spooled_path(call_uuid, started_at), left, right, rate)
        info = self.describe(dest)
        if not keep_partial:
            self.release(call_uuid)
        return info

    @staticmethod
    def _write_final(dest: Path, left: np.ndarray, right: np.ndarray, rate: int) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_suffix(".wav.tmp")
        write_stereo_pcm16(tmp, left, right, rate)
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
        return dest

    def save_record(self, call_uuid: str, record: dict) -> None:
        """Keep the finished call's record beside its channel files until its row is
        stored, so recovery stores the call as it was, not as interrupted."""
        d = self.partial_root / call_uuid
        if not d.is_dir():
            return
        tmp = d / (RECORD + ".tmp")
        # no fsync: lost in a power cut, recovery falls back to meta.json (interrupted)
        tmp.write_text(json.dumps(record, ensure_ascii=False, default=str), encoding="utf-8")
        os.replace(tmp, d / RECORD)

    def read_record(self, call_uuid: str) -> dict | None:
        try:
            return json.loads((self.partial_root / call_uuid / RECORD).read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def release(self, call_uuid: str) -> None:
        """The call's row is stored: its partial folder goes (unless a channel file was
        unreadable, kept aside as *.bad for a person to look at)."""
        part = self.partial_root / call_uuid
        if part.exists() and not any(p.suffix == ".bad" for p in part.iterdir()):
            shutil.rmtree(part, ignore_errors=True)

    def describe(self, path: Path) -> RecordingInfo:
        import soundfile as sf

        meta = sf.info(str(path))
        return RecordingInfo(
            path=self.stored_path(path),
            sha256=sha256_file(path),
            size=path.stat().st_size,
            duration_s=round(meta.frames / meta.samplerate, 3),
            channels=meta.channels,
            sample_rate=meta.samplerate,
        )

    # -- crash recovery ---------------------------------------------------------------
    def pending(self) -> list[str]:
        """Call uuids whose recording was never finalized (the phone died mid-call)."""
        base = self.partial_root
        return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.exists() else []

    def read_meta(self, call_uuid: str) -> dict:
        f = self.partial_root / call_uuid / META
        try:
            return json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def stored_path(self, path: Path) -> str:
        """What a row stores: the path relative to the root; a recording waiting in the
        spool is named absolutely (only this desk can read it until it is moved up)."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def resolve(self, stored: str) -> Path:
        """Absolute path of a stored recording. A relative path is under the root and may
        not leave it; an absolute one (a spooled recording, or a row written before paths
        were relative) is used as it is."""
        if os.path.isabs(stored):
            return Path(stored)
        p = (self.root / stored).resolve()
        if self.root.resolve() not in p.parents:
            raise ValueError(f"recording path {stored!r} is outside the archive")
        return p


def is_spooled(stored: str) -> bool:
    """A row's path naming a recording still in some desk's spool."""
    return os.path.isabs(stored) and f"/{SPOOLED}/" in stored


def _fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
