"""The archive against real files: finalize, crash recovery of header-less WAVs."""

import struct
import wave
from datetime import UTC, datetime

import numpy as np
import soundfile as sf

from recordings.archive import AGENT, CALLER, Archive, sha256_file

T0 = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)


def _write_mono(path, samples, rate=8000):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())


def test_finalize_merges_channels_into_stereo_with_hash(tmp_path):
    a = Archive(tmp_path)
    part = a.partial_dir("c1")
    caller = (np.arange(800) % 200 - 100).astype(np.int16) * 50
    agent = np.full(400, 1234, np.int16)
    _write_mono(part / CALLER, caller)
    _write_mono(part / AGENT, agent)
    info = a.finalize("c1", T0)
    assert info.path == "2026/11/22/c1.wav"
    assert (info.channels, info.sample_rate, info.duration_s) == (2, 8000, 0.1)
    data, _ = sf.read(str(tmp_path / info.path), dtype="int16")
    assert np.array_equal(data[:, 0], caller)
    assert np.array_equal(data[:400, 1], agent) and not data[400:, 1].any()
    assert info.sha256 == sha256_file(tmp_path / info.path)
    assert a.pending() == []


def test_recording_cut_by_a_crash_is_recovered_whole(tmp_path):
    """pjmedia writes the RIFF sizes only when its recorder is destroyed; after kill -9
    the header says 0 bytes. The PCM after the header must survive."""
    a = Archive(tmp_path)
    part = a.partial_dir("c2")
    samples = (np.sin(np.arange(8000) / 5) * 8000).astype(np.int16)
    _write_mono(part / CALLER, samples)
    raw = bytearray((part / CALLER).read_bytes())
    raw[4:8] = struct.pack("<I", 0)
    raw[40:44] = struct.pack("<I", 0)
    (part / CALLER).write_bytes(bytes(raw))
    a.write_meta("c2", {"caller": "1001", "invited_at": T0.isoformat()})
    assert a.pending() == ["c2"]
    assert a.read_meta("c2")["caller"] == "1001"
    info = a.finalize("c2", T0)
    data, _ = sf.read(str(tmp_path / info.path), dtype="int16")
    assert np.array_equal(data[:, 0], samples)
    assert a.pending() == []


def test_unreadable_channel_is_kept_aside_not_lost(tmp_path):
    a = Archive(tmp_path)
    part = a.partial_dir("c3")
    (part / CALLER).write_bytes(b"garbage that is not a wav file")
    _write_mono(part / AGENT, np.ones(160, np.int16))
    info = a.finalize("c3", T0)
    assert info is not None and info.channels == 2
    assert (part / "caller.bad").exists(), "the unreadable file must be kept for inspection"


def test_call_without_audio_leaves_no_partial(tmp_path):
    a = Archive(tmp_path)
    a.write_meta("c4", {"caller": "1"})
    assert a.finalize("c4", T0) is None
    assert a.pending() == []


def test_resolve_refuses_paths_outside_the_archive(tmp_path):
    import pytest

    with pytest.raises(ValueError):
        Archive(tmp_path / "rec").resolve("../../etc/passwd")


def test_a_root_that_hangs_counts_as_away(tmp_path, monkeypatch):
    """A hard NFS mount whose server is down blocks every stat; there is no NFS server
    here, so the look at the root is made to block (a stand-in, said so)."""
    import threading
    import time

    a = Archive(tmp_path / "nas", tmp_path / "spool")
    release = threading.Event()
    monkeypatch.setattr(a, "_probe_root", lambda: release.wait() or True)
    t = time.monotonic()
    assert a.root_reachable(timeout_s=0.2) is False
    assert a.root_reachable(timeout_s=5) is False  # still stuck: no second thread, no wait
    assert time.monotonic() - t < 2
    release.set()
    a._probe.join(2)
    monkeypatch.undo()
    (tmp_path / "nas").mkdir()
    assert a.root_reachable() is True
