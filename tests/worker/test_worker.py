"""The worker's job loop on a real ledger: failures are rows with reasons, re-runs are
idempotent, a missing model leaves calls queued. Recordings are real WAV files made
from the committed fixtures; the engine is the real Whisper base model."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import numpy as np
import soundfile as sf

from domain.calls import CallRecord
from frontdesk.worker import AsrSettings, Worker
from ledger import calls, entries, jobs
from ledger.db import open_database
from ledger.transcripts import load_transcript
from recordings.archive import Archive
from tests.conftest import SPEECH

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def _store_call(sessions, root, uuid, wav_bytes=None):
    """A finished call whose recording is the burst-pipe fixture (caller) + silence (agent)."""
    a = Archive(root)
    dest = a.final_path(uuid, T0)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if wav_bytes is None:
        caller, rate = sf.read(str(SPEECH / "burst_pipe_8k.wav"), dtype="int16")
        sf.write(
            str(dest), np.stack([caller, np.zeros_like(caller)], axis=1), rate, subtype="PCM_16"
        )
    else:
        dest.write_bytes(wav_bytes)
    info = a.describe(dest) if wav_bytes is None else None
    rec = CallRecord(uuid=uuid, sip_call_id=uuid, caller="13800138000", callee="fd", invited_at=T0,
                     answered_at=T0, ended_at=T0, outcome="answered", rings=3, recording=info)  # fmt: skip
    with sessions() as s:
        c = calls.record_call(s, rec)
        if info is None:
            c.recording_path = str(dest.relative_to(root))
        jobs.enqueue(s, "transcribe", c.id)
        s.commit()
        return c.id


def _worker(tmp_path, models_dir, model="whisper-base"):
    sessions = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    from frontdesk.config import AsrConfig

    w = Worker(sessions, tmp_path / "rec", AsrSettings(model=model, models_dir=models_dir,
                                                       initial_prompt=AsrConfig().initial_prompt))  # fmt: skip
    return sessions, w


def test_job_makes_transcript_and_one_draft_and_rerun_is_idempotent(tmp_path, models_dir):
    sessions, w = _worker(tmp_path, models_dir)
    cid = _store_call(sessions, tmp_path / "rec", "good")
    assert w.run(once=True) == 1
    w.process_call(cid)  # `frontdesk transcribe --call` does this again
    with sessions() as s:
        [e] = entries.list_entries(s)
        assert (e.call_id, e.status, e.category, e.address_code()) == (
            cid,
            "draft",
            "报修",
            "4-2-301",
        )
        assert "水管" in load_transcript(s, cid).text("caller")
        assert [j.status for j in jobs.jobs_for_call(s, cid)] == ["done"]


def test_corrupt_recording_fails_with_its_reason_and_is_not_retried(tmp_path, models_dir):
    sessions, w = _worker(tmp_path, models_dir)
    cid = _store_call(sessions, tmp_path / "rec", "bad", wav_bytes=b"RIFF....WAVEjunk")
    w.run(once=True)
    with sessions() as s:
        [job] = jobs.jobs_for_call(s, cid)
        assert job.status == "failed" and "unreadable audio" in job.error
        assert entries.list_entries(s) == []
    assert (tmp_path / "rec").rglob("bad.wav"), "the recording is kept, never deleted"


def test_tampered_recording_is_refused(tmp_path, models_dir):
    sessions, w = _worker(tmp_path, models_dir)
    cid = _store_call(sessions, tmp_path / "rec", "tampered")
    wav = next((tmp_path / "rec").rglob("tampered.wav"))
    data = bytearray(wav.read_bytes())
    data[-100] ^= 0xFF
    wav.write_bytes(bytes(data))
    w.run(once=True)
    with sessions() as s:
        [job] = jobs.jobs_for_call(s, cid)
        assert job.status == "failed" and "SHA-256" in job.error


def test_missing_model_keeps_the_call_queued_with_the_install_hint(tmp_path):
    sessions, w = _worker(tmp_path, tmp_path / "no-models")
    cid = _store_call(sessions, tmp_path / "rec", "nomodel")
    w.run(once=True)
    with sessions() as s:
        [job] = jobs.jobs_for_call(s, cid)
        assert job.status == "queued" and "frontdesk models install whisper-base" in job.error


def test_missing_recording_fails_stating_so(tmp_path, models_dir):
    sessions, w = _worker(tmp_path, models_dir)
    cid = _store_call(sessions, tmp_path / "rec", "gone")
    shutil.rmtree(tmp_path / "rec")
    w.run(once=True)
    with sessions() as s:
        [job] = jobs.jobs_for_call(s, cid)
        assert job.status == "failed" and "missing" in job.error


def test_the_same_problem_from_the_same_flat_again_becomes_a_complaint(tmp_path, models_dir):
    sessions, w = _worker(tmp_path, models_dir)
    first = _store_call(sessions, tmp_path / "rec", "first")
    w.run(once=True)
    second = _store_call(sessions, tmp_path / "rec", "second")
    w.run(once=True)
    with sessions() as s:
        by_call = {e.call_id: e for e in entries.list_entries(s)}
        assert by_call[first].category == "报修"
        assert by_call[second].category == "投诉"
        assert any("repeat of entry" in ev["text"] for ev in by_call[second].evidence)
