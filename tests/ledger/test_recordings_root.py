"""A shared recordings root (a NAS) that a desk cannot always reach, on SQLite and on a real
PostgreSQL server: calls finished meanwhile wait in the desk's spool, their rows name the
spooled file, and when the root returns each file goes up with its hash checked and its row
pointed at the relative path in one UPDATE. Nothing is lost at any step.

The root "goes away" by being renamed (as an unmounted share's path is no longer there) or
by being replaced with an empty directory (an empty mount point): the tests run as root in
CI, and a directory made read-only does not stop root from writing into it."""

from __future__ import annotations

import wave
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from domain.calls import CallRecord
from frontdesk.config import load_config
from frontdesk.spool import SpoolMover
from frontdesk.worker import AsrSettings, NotHereYet, Worker
from ledger import calls, jobs
from ledger.db import open_database
from ledger.models import Call
from recordings.archive import AGENT, CALLER, Archive, is_spooled, sha256_file

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _record_call(archive: Archive, sessions, uuid: str, seconds: float = 0.5) -> Call:
    """What the phone does for a finished call: finalize its channels, store its row."""
    part = archive.partial_dir(uuid)
    n = int(8000 * seconds)
    for name, freq in ((CALLER, 7), (AGENT, 3)):
        with wave.open(str(part / name), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes((np.sin(np.arange(n) / freq) * 8000).astype("<i2").tobytes())
    info = archive.finalize(uuid, T0)
    rec = CallRecord(uuid=uuid, sip_call_id=uuid, caller="13800138000", callee="8001",
                     invited_at=T0, answered_at=T0 + timedelta(seconds=3),
                     ended_at=T0 + timedelta(seconds=9), rings=1, answered_by="auto",
                     outcome="answered", recording=info)  # fmt: skip
    with sessions() as s:
        call = calls.record_call(s, rec)
        jobs.enqueue(s, "transcribe", call.id)
        s.commit()
        return call


def _row(sessions, uuid: str) -> Call:
    with sessions() as s:
        return s.query(Call).filter_by(uuid=uuid).one()


def _worker(sessions, root, spool, tmp_path) -> Worker:
    return Worker(sessions, root, AsrSettings(model="none", models_dir=tmp_path / "no-models"),
                  worker_id=f"w:{spool.name}", spool=spool)  # fmt: skip


def test_unreachable_root_spools_then_moves_up_with_hashes_checked(db_url, tmp_path):
    sessions = open_database(db_url)
    root, nas_away = tmp_path / "nas", tmp_path / "nas-unmounted"
    root.mkdir()
    desk = Archive(root, tmp_path / "desk1-spool")
    first = _record_call(desk, sessions, "on-the-root")
    assert first.recording_path == "2026/11/20/on-the-root.wav"
    assert (root / first.recording_path).exists()

    root.rename(nas_away)  # the share is gone
    assert not desk.root_reachable()
    spooled = _record_call(desk, sessions, "while-away")
    path = spooled.recording_path
    assert is_spooled(path) and path.startswith(str(tmp_path / "desk1-spool"))
    assert sha256_file(desk.resolve(path)) == spooled.recording_sha256
    mover = SpoolMover(desk, sessions)
    r = mover.move_up()
    assert (r.root_reachable, r.moved, r.waiting) == (False, [], ["while-away"])

    # this desk's worker reads the spooled file; another desk's puts the job back for later
    here = _worker(sessions, root, tmp_path / "desk1-spool", tmp_path)
    assert here.archive.resolve(path).exists()
    there = _worker(sessions, root, tmp_path / "desk2-spool", tmp_path)
    with sessions() as s:
        job = jobs.claim(s, "transcribe", there.worker_id)
        s.commit()
        assert job.call_id == first.id  # oldest first: its file is on the root
        job = jobs.claim(s, "transcribe", there.worker_id)
        s.commit()
    assert job.call_id == spooled.id
    with pytest.raises(NotHereYet):
        there.process_call(spooled.id)
    there.run_job(job.id)
    with sessions() as s:
        j = s.get(jobs.Job, job.id)
        assert (j.status, j.attempts) == ("queued", 0) and "spool" in j.error
        assert j.run_after > datetime.now(UTC)

    nas_away.rename(root)  # the share is back
    r = mover.move_up()
    assert (r.root_reachable, r.moved, r.waiting) == (True, ["while-away"], [])
    row = _row(sessions, "while-away")
    assert row.recording_path == "2026/11/20/while-away.wav"
    assert sha256_file(root / row.recording_path) == row.recording_sha256
    assert desk.spooled() == [] and not desk.resolve(path).exists()
    assert there.archive.resolve(row.recording_path).exists()  # any desk reads it now
    assert mover.move_up().moved == []  # nothing left to do


def test_an_empty_mount_point_is_not_the_root(db_url, tmp_path):
    """Unmounted, the share's path is an empty directory we may be able to write to: the
    root's marker is missing, so recordings stay in the spool instead of being hidden under
    the mount point when the share comes back."""
    sessions = open_database(db_url)
    root = tmp_path / "nas"
    root.mkdir()
    desk = Archive(root, tmp_path / "spool")
    _record_call(desk, sessions, "before")
    root.rename(tmp_path / "nas-real")
    root.mkdir()  # the bare mount point
    assert not desk.root_reachable()
    call = _record_call(desk, sessions, "unmounted")
    assert is_spooled(call.recording_path)
    assert list(root.iterdir()) == []
    root.rmdir()
    (tmp_path / "nas-real").rename(root)
    assert SpoolMover(desk, sessions).move_up().moved == ["unmounted"]


def test_a_move_interrupted_at_any_step_is_finished_by_the_next_pass(db_url, tmp_path):
    sessions = open_database(db_url)
    root = tmp_path / "nas"
    root.mkdir()
    desk = Archive(root, tmp_path / "spool")
    desk.root_reachable()  # the root seen once, then gone
    root.rename(tmp_path / "away")
    a = _record_call(desk, sessions, "copied-not-updated")
    b = _record_call(desk, sessions, "updated-not-deleted")
    (tmp_path / "away").rename(root)
    # a: the copy reached the root, the row was never updated (the process died)
    dest_a = root / "2026/11/20/copied-not-updated.wav"
    dest_a.parent.mkdir(parents=True)
    dest_a.write_bytes(desk.resolve(a.recording_path).read_bytes())
    # b: moved and the row updated, the spooled file never deleted
    rel_b = "2026/11/20/updated-not-deleted.wav"
    (root / rel_b).write_bytes(desk.resolve(b.recording_path).read_bytes())
    with sessions() as s:
        s.query(Call).filter_by(uuid=b.uuid).update({"recording_path": rel_b})
        s.commit()
    r = SpoolMover(desk, sessions).move_up()
    assert sorted(r.moved) == ["copied-not-updated", "updated-not-deleted"]
    for uuid in ("copied-not-updated", "updated-not-deleted"):
        row = _row(sessions, uuid)
        assert row.recording_path == f"2026/11/20/{uuid}.wav"
        assert sha256_file(root / row.recording_path) == row.recording_sha256
    assert desk.spooled() == []


def test_a_spooled_file_that_does_not_match_its_hash_stays_and_its_row_too(db_url, tmp_path):
    sessions = open_database(db_url)
    root = tmp_path / "nas"
    desk = Archive(root, tmp_path / "spool")  # the root was never there
    call = _record_call(desk, sessions, "damaged")
    spooled = desk.resolve(call.recording_path)
    data = bytearray(spooled.read_bytes())
    data[-10] ^= 0xFF
    spooled.write_bytes(bytes(data))
    root.mkdir()
    r = SpoolMover(desk, sessions).move_up()
    assert (r.moved, r.waiting) == ([], ["damaged"])
    assert _row(sessions, "damaged").recording_path == call.recording_path
    assert spooled.exists() and not (root / "2026/11/20/damaged.wav").exists()


def test_config_one_desk_unchanged_and_a_shared_root_with_its_spool(tmp_path):
    one = load_config(tmp_path / "a")
    assert one.recordings_dir == one.spool_dir == tmp_path / "a" / "recordings"
    assert not one.archive().shared
    d = tmp_path / "b"
    d.mkdir()
    (d / "frontdesk.toml").write_text(f'[recordings]\nroot = "{tmp_path / "nas"}"\n')
    shared = load_config(d)
    assert shared.recordings_dir == tmp_path / "nas" and shared.spool_dir == d / "spool"
    a = shared.archive()
    assert a.shared and a.partial_root == d / "spool" / ".partial"


def test_the_central_reconciler_waits_for_a_spooled_recording(db_url, tmp_path):
    """The central reconciler cannot see a desk's spool: a recording still there is not
    "missing" (it is checked once moved up); a file gone from the root is."""
    from ledger.reconcile import Rules, reconcile

    sessions = open_database(db_url)
    root = tmp_path / "nas"
    desk = Archive(root, tmp_path / "spool")
    spooled = _record_call(desk, sessions, "waiting")  # the root was never there
    root.mkdir()
    gone = _record_call(desk, sessions, "gone")
    (root / gone.recording_path).unlink()
    desk.resolve(spooled.recording_path).rename(tmp_path / "elsewhere.wav")  # another PC's disk

    def missing() -> set[int]:
        with sessions() as s:
            found = reconcile(s, rules=Rules(recordings_root=root, content=False))
            s.commit()
            return {f.call_id for f in found if f.kind == "RECORDING_MISSING"}

    assert missing() == {gone.id}
    (tmp_path / "elsewhere.wav").rename(desk.resolve(spooled.recording_path))
    assert SpoolMover(desk, sessions).move_up().moved == ["waiting"]
    assert missing() == {gone.id}
