"""The ledger on real SQLite files and a real PostgreSQL server: schema, calls, jobs,
entries' lifecycle, reconciler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from domain.calls import CallRecord
from domain.intake import Address, IntakeDraft
from domain.recording import RecordingInfo
from ledger import calls, entries, jobs
from ledger.db import LedgerError, open_database
from ledger.models import Base, Finding
from ledger.reconcile import Rules, reconcile, resolve
from tests.ledger.claimers import claim_concurrently

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(db_url):
    return open_database(db_url)


def _call(uuid="c1", outcome="answered", rings=3, start=T0, talk=30.0, caller="13800138000",
          recording=True) -> CallRecord:  # fmt: skip
    answered = start + timedelta(seconds=11) if outcome == "answered" else None
    end = (answered or start) + timedelta(seconds=talk if answered else 6)
    rec = (
        RecordingInfo(f"2026/11/20/{uuid}.wav", "ab" * 32, 1000, talk, 2, 8000)
        if recording and answered
        else None
    )
    return CallRecord(uuid=uuid, sip_call_id=f"sip-{uuid}", caller=caller, callee="frontdesk",
                      invited_at=start, answered_at=answered, ended_at=end, rings=rings,
                      answered_by="auto" if answered else None, outcome=outcome, recording=rec)  # fmt: skip


def _draft(building="4", unit="2", room="301", category="报修") -> IntakeDraft:
    return IntakeDraft(category=category, address=Address(building, unit, room), urgent=True,
                       department="工程维修部", summary="水管爆了")  # fmt: skip


def test_schema_after_migration_matches_the_models(db):
    with db() as s:
        ctx = MigrationContext.configure(s.connection())
        assert compare_metadata(ctx, Base.metadata) == []


def test_a_file_that_is_not_a_ledger_is_refused_and_left_alone(tmp_path):
    bad = tmp_path / "frontdesk.db"
    bad.write_bytes(b"this is not a database at all" * 100)
    before = bad.read_bytes()
    with pytest.raises(LedgerError, match="cannot open the ledger"):
        open_database(f"sqlite:///{bad}")
    assert bad.read_bytes() == before


def test_record_call_is_idempotent_and_keeps_aware_utc_times(db):
    with db() as s:
        a = calls.record_call(s, _call())
        b = calls.record_call(s, _call(rings=2))
        s.commit()
        assert a.id == b.id
    with db() as s:
        [c] = calls.list_calls(s)
        assert c.rings == 2 and c.invited_at == T0 and c.invited_at.tzinfo is not None
        d = calls.call_to_dict(c)
        assert d["recording"]["sample_rate"] == 8000 and d["answered_by"] == "auto"


def test_two_workers_never_claim_the_same_job(db):
    with db() as s:
        ids = [calls.record_call(s, _call(uuid=f"c{i}")).id for i in range(20)]
        for i in ids:
            jobs.enqueue(s, "transcribe", i)
        s.commit()
    claimed = claim_concurrently(db, 4)
    assert sorted(claimed) == sorted(ids)


def test_failed_job_keeps_its_reason_and_backs_off_then_gives_up(db):
    with db() as s:
        cid = calls.record_call(s, _call()).id
        jobs.enqueue(s, "transcribe", cid)
        s.commit()
        job = jobs.claim(s, "transcribe", "w")
        jobs.fail(s, job, "unreadable audio: corrupt")
        s.commit()
        assert job.status == "queued" and job.error == "unreadable audio: corrupt"
        assert job.run_after > datetime.now(UTC)
        assert jobs.claim(s, "transcribe", "w") is None  # backing off
        jobs.fail(s, job, "model missing", retry=False)
        s.commit()
        assert job.status == "failed"
        again = jobs.requeue(s, cid, "transcribe")
        assert again.status == "queued" and again.attempts == 0


def test_lifecycle_with_audit_trail_and_illegal_moves_refused(db):
    with db() as s:
        cid = calls.record_call(s, _call()).id
        e = entries.create_draft(s, cid, _draft())
        again = entries.create_draft(s, cid, _draft(room="302"))
        assert again.id == e.id and e.room == "302"  # intake re-run updates the draft
        entries.confirm(s, e.id, by="li", room="301")
        with pytest.raises(entries.EntryError, match="cannot go to returned"):
            entries.transition(s, e.id, "returned", by="li")
        for to in ("dispatched", "in_progress", "returned"):
            entries.transition(s, e.id, to, by="li")
        with pytest.raises(entries.EntryError, match="callback result"):
            entries.record_callback(s, e.id, by="li", result="ok")
        # the console and the CLI share this rule: not satisfied reopens the entry
        entries.record_callback(s, e.id, by="li", result="not_satisfied")
        assert e.status == "dispatched"
        s.commit()
        fields = [(c.field, c.new) for c in e.changes]
        assert ("room", "301") in fields and ("status", "registered") in fields
        assert fields.count(("status", "dispatched")) == 2
        assert e.work_order_no and e.callback_result == "不满意"
        assert entries.create_draft(s, cid, _draft(room="999")).room == "301"  # agent's work kept


def test_unlogged_call_flagged_after_grace_until_confirmed(db):
    with db() as s:
        cid = calls.record_call(s, _call()).id
        s.commit()
        end = T0 + timedelta(seconds=41)
        assert not [f for f in reconcile(s, now=end + timedelta(seconds=30)) if f.status == "open"]
        [f] = [f for f in reconcile(s, now=end + timedelta(seconds=61)) if f.status == "open"]
        assert (f.kind, f.call_id) == ("UNLOGGED_CALL", cid)
        again = reconcile(s, now=end + timedelta(seconds=120))
        assert s.query(Finding).count() == 1 and again[0].id == f.id  # idempotent
        e = entries.create_draft(s, cid, _draft())
        entries.confirm(s, e.id, by="li", at=end + timedelta(seconds=50))
        out = reconcile(s, now=end + timedelta(seconds=200))
        assert [x.status for x in out if x.kind == "UNLOGGED_CALL"] == ["resolved"]


def test_every_structural_finding_kind(db, tmp_path):
    now = T0 + timedelta(hours=5)
    with db() as s:
        slow = calls.record_call(s, _call("slow", rings=4)).id
        missed = calls.record_call(
            s, _call("missed", outcome="missed", rings=2, caller="1390000")
        ).id
        dup = calls.record_call(s, _call("dup")).id
        late = calls.record_call(s, _call("late")).id
        short = calls.record_call(s, _call("short", talk=30.0))
        short.recording_duration_s = 10.0
        for cid in (dup, late, slow):
            entries.create_draft(s, cid, _draft())
        s.add(entries.LedgerEntry(call_id=dup, source="来电", status="registered",
                                  registered_at=T0 + timedelta(seconds=45), created_at=T0))  # fmt: skip
        s.flush()
        for e in entries.list_entries(s):
            if e.status == "draft":
                entries.confirm(s, e.id, by="li", at=T0 + timedelta(minutes=10))
        orphan = entries.LedgerEntry(
            source="来电", status="registered", caller_phone="1", created_at=T0
        )
        s.add(orphan)
        repair = entries.create_draft(s, slow, _draft())
        s.flush()
        found = reconcile(s, now=now, rules=Rules(content=False))
        kinds = {(f.kind, f.call_id) for f in found if f.status == "open"}
        assert ("SLOW_ANSWER", slow) in kinds
        assert ("MISSED_NO_CALLBACK", missed) in kinds
        assert ("DUPLICATE_ENTRY", dup) in kinds
        assert ("LATE_REGISTRATION", late) in kinds
        assert ("DURATION_MISMATCH", short.id) in kinds
        assert any(f.kind == "ORPHAN_ENTRY" and f.entry_id == orphan.id for f in found)
        # intake run again on a registered call changes nothing: no second draft
        assert repair.status == "registered" and len(entries.list_for_call(s, slow)) == 1
        # recordings checked on disk: missing and tampered
        root = tmp_path / "rec"
        (root / "2026/11/20").mkdir(parents=True)
        (root / "2026/11/20/slow.wav").write_bytes(b"not what was recorded")
        found = reconcile(s, now=now, rules=Rules(content=False, recordings_root=root))
        kinds = {(f.kind, f.call_id) for f in found if f.status == "open"}
        assert ("RECORDING_TAMPERED", slow) in kinds and ("RECORDING_MISSING", dup) in kinds


def test_supervisor_resolution_needs_a_note_and_is_kept_until_evidence_changes(db):
    with db() as s:
        calls.record_call(s, _call("slow", rings=4, recording=False))
        [f] = _slow(reconcile(s, now=T0 + timedelta(hours=1), rules=Rules(content=False)))
        with pytest.raises(ValueError, match="note"):
            resolve(s, f.id, "boss", "  ")
        resolve(s, f.id, "boss", "headset was broken; replaced")
        [f2] = _slow(reconcile(s, now=T0 + timedelta(hours=2), rules=Rules(content=False)))
        assert f2.status == "resolved" and f2.note.startswith("headset")
        c = calls.list_calls(s)[0]
        c.rings = 5  # a later change reopens it
        [f3] = _slow(reconcile(s, now=T0 + timedelta(hours=3), rules=Rules(content=False)))
        assert f3.status == "open"


def _slow(found: list[Finding]) -> list[Finding]:
    """The SLOW_ANSWER findings (the unrecorded call is also unlogged, its recording missing)."""
    return [f for f in found if f.kind == "SLOW_ANSWER"]


def test_callback_overdue_for_a_repair_not_called_back_in_two_hours(db):
    with db() as s:
        cid = calls.record_call(s, _call()).id
        e = entries.create_draft(s, cid, _draft())
        entries.confirm(s, e.id, by="li", at=T0 + timedelta(seconds=50))
        for to in ("dispatched", "returned"):
            entries.transition(s, e.id, to, by="li", at=T0 + timedelta(minutes=30))
        found = reconcile(s, now=T0 + timedelta(hours=3), rules=Rules(content=False))
        assert ("CALLBACK_OVERDUE", e.id) in {
            (f.kind, f.entry_id) for f in found if f.status == "open"
        }


def test_content_mismatch_when_the_entry_contradicts_the_transcript(db):
    from domain.transcript import Transcript, Utterance
    from frontdesk.reading import read_call
    from ledger.transcripts import save_transcript

    t = Transcript([Utterance("caller", 0.5, 6.0, "你好，我是四栋二单元三零一的，我家水管爆了，快派人来修一下")],
                   "whisper", "whisper-base")  # fmt: skip
    with db() as s:
        right = calls.record_call(s, _call("right")).id
        wrong = calls.record_call(s, _call("wrong")).id
        for cid in (right, wrong):
            save_transcript(s, cid, t)
            e = entries.create_draft(s, cid, _draft())
            fix = {"building": "5", "urgent": False} if cid == wrong else {}
            entries.confirm(s, e.id, by="li", at=T0 + timedelta(seconds=50), **fix)
        rules = Rules(reader=read_call)  # the worker's reading of a call, handed in
        found = [
            f
            for f in reconcile(s, now=T0 + timedelta(minutes=5), rules=rules)
            if f.kind == "CONTENT_MISMATCH"
        ]
        assert [f.call_id for f in found] == [wrong]
        assert set(found[0].evidence) >= {"address", "urgent"}
        assert found[0].evidence["address"] == {"entry": "5-2-301", "transcript": "4-2-301"}


def test_a_partial_address_heard_is_compared_part_by_part(db):
    """The recogniser missed the unit: building 4, room 301 heard. An entry for 4-2-401
    contradicts the room and is flagged; one for 4-2-301 agrees with every part heard."""
    from domain.transcript import Transcript, Utterance
    from frontdesk.reading import read_call
    from ledger.transcripts import save_transcript

    t = Transcript([Utterance("caller", 0.5, 6.0, "你好，我是四栋三零一的，我家水管爆了，快派人来修一下")],
                   "whisper", "whisper-base")  # fmt: skip
    with db() as s:
        right = calls.record_call(s, _call("right")).id
        wrong = calls.record_call(s, _call("wrong")).id
        for cid in (right, wrong):
            save_transcript(s, cid, t)
            e = entries.create_draft(s, cid, _draft())
            fix = {"room": "401"} if cid == wrong else {}
            entries.confirm(s, e.id, by="li", at=T0 + timedelta(seconds=50), **fix)
        found = [
            f
            for f in reconcile(s, now=T0 + timedelta(minutes=5), rules=Rules(reader=read_call))
            if f.kind == "CONTENT_MISMATCH"
        ]
        assert [f.call_id for f in found] == [wrong]
        assert found[0].evidence["address"] == {"entry": "4-2-401", "transcript": "4-?-301"}


def test_urgency_not_recorded_is_no_contradiction(db, tmp_path):
    """A sheet without a 紧急 column says nothing about urgency: its entries keep 'not
    recorded' through import and export, and a burst pipe heard in the call is no
    CONTENT_MISMATCH. A sheet that says 否 for the same call does contradict it."""
    from domain.transcript import Transcript, Utterance
    from frontdesk.reading import read_call
    from ledger.table_io import export_entries, import_entries
    from ledger.transcripts import save_transcript

    t = Transcript([Utterance("caller", 0.5, 6.0, "你好，我是四栋二单元三零一的，我家水管爆了，快派人来修一下")],
                   "whisper", "whisper-base")  # fmt: skip
    head = "登记时间,电话,楼栋,单元,房号,类别,内容"
    row = f"{(T0 + timedelta(seconds=60)).isoformat()},13800138000,4,2,301,报修,水管爆了"
    silent, says_no = tmp_path / "silent.csv", tmp_path / "no.csv"
    silent.write_text(f"{head}\n{row}\n", encoding="utf-8")
    says_no.write_text(f"{head},紧急\n{row},否\n", encoding="utf-8")
    for sheet, expect in ((silent, []), (says_no, ["urgent"])):
        with db() as s:
            for e in s.query(entries.LedgerEntry):
                s.delete(e)
            s.query(Finding).delete()
            cid = calls.record_call(s, _call("pipe")).id
            save_transcript(s, cid, t)
            assert import_entries(s, sheet).imported == 1
            [e] = entries.list_entries(s)
            assert e.urgent is (None if sheet is silent else False)
            found = [f for f in reconcile(s, now=T0 + timedelta(hours=1),
                                          rules=Rules(reader=read_call)) if f.status == "open"]  # fmt: skip
            mismatch = [f for f in found if f.kind == "CONTENT_MISMATCH"]
            assert [k for f in mismatch for k in f.evidence if k == "urgent"] == expect
            assert not [f for f in found if f.kind in ("UNLOGGED_CALL", "ORPHAN_ENTRY")]
            out = tmp_path / "out.csv"
            export_entries(s, out)
            cell = out.read_text(encoding="utf-8-sig").splitlines()[1].split(",")[10]
            assert cell == ("" if sheet is silent else "否")
            s.commit()


def test_statuses_and_outcomes_are_closed_sets_read_back_as_their_types(db):
    """The columns hold one of the domain's words: a drifted spelling is refused on write
    (nothing half-stored), and an entry's status comes back as an EntryStatus."""
    from sqlalchemy.exc import StatementError

    from domain.status import EntryStatus
    from ledger.models import Call, LedgerEntry

    with db() as s:
        call = calls.record_call(s, _call())
        entry = entries.create_draft(s, call.id, _draft())
        s.commit()
        entry_id, call_id = entry.id, call.id
        s.expire_all()
        assert s.get(LedgerEntry, entry_id).status is EntryStatus.DRAFT
        entry.status = "not_satisfied"
        with pytest.raises(StatementError, match="not_satisfied"):
            s.commit()
        s.rollback()
        call.outcome = "hung_up"
        with pytest.raises(StatementError, match="hung_up"):
            s.commit()
        s.rollback()
    with db() as s:
        assert s.get(LedgerEntry, entry_id).status is EntryStatus.DRAFT
        assert s.get(Call, call_id).outcome == "answered"
