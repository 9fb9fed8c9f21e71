"""The refine pass: after the fast draft, each speaker's turn decoded as one window replaces
the transcript and re-drafts the entry, unless an agent has confirmed or edited it; refine jobs come after
every due transcribe job and wait while a live call is followed. The recordings are real WAV
files from the committed fixtures and the engine the real Whisper base model, except in the
ordering tests, which need no decoding (there the two passes are recorded, not run)."""

from __future__ import annotations

import json

from sqlalchemy import select

from domain.calls import CallRecord
from frontdesk.config import AsrConfig
from frontdesk.worker import REFINE, TRANSCRIBE, AsrSettings, Worker
from ledger import calls, entries, jobs
from ledger.db import open_database
from ledger.models import Transcript as TranscriptRow
from ledger.transcripts import load_transcript
from tests.conftest import SPEECH
from tests.worker.test_worker import T0, _store_call


def _worker(tmp_path, models_dir, refine=True, **kw):
    sessions = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    asr = AsrSettings(model="whisper-base", models_dir=models_dir, refine=refine,
                      initial_prompt=AsrConfig().initial_prompt)  # fmt: skip
    return sessions, Worker(sessions, tmp_path / "rec", asr, **kw)


def _transcribe_jobs(w):
    """The due transcribe jobs only, as the loop runs them (the refine jobs stay queued)."""
    while (job_id := w._claim(TRANSCRIBE)) is not None:
        w.run_job(job_id)


def _kinds(sessions, cid):
    with sessions() as s:
        return [(j.kind, j.status) for j in jobs.jobs_for_call(s, cid)]


def test_a_call_gets_a_refined_transcript_and_its_draft_follows(tmp_path, models_dir):
    sessions, w = _worker(tmp_path, models_dir)
    cid = _store_call(sessions, tmp_path / "rec", "refined")
    _transcribe_jobs(w)  # the fast draft, and the refine job queued
    with sessions() as s:
        first = load_transcript(s, cid)
        first_updated = s.scalar(select(entries.LedgerEntry.updated_at))
    assert _kinds(sessions, cid) == [(TRANSCRIBE, "done"), (REFINE, "queued")]

    assert w.run(once=True) == 1
    assert _kinds(sessions, cid) == [(TRANSCRIBE, "done"), (REFINE, "done")]
    with sessions() as s:
        row = s.scalar(select(TranscriptRow).where(TranscriptRow.call_id == cid))
        refined = load_transcript(s, cid)
        [e] = entries.list_entries(s)
        call = s.get(calls.Call, cid)
        # one turn: one utterance for the caller (the agent's channel is silent, nothing invented)
        assert [u.speaker for u in refined.utterances] == ["caller"]
        assert "水管" in refined.text("caller")
        # the draft pass is kept beside it, with its engine and model
        kept = row.data["first_pass"]
        assert (kept["engine"], kept["model"]) == (first.engine, first.model) == ("whisper", "whisper-base")
        assert [u["text"] for u in kept["utterances"]] == [u.text for u in first.utterances]
        assert row.text == refined.text()
        assert e.status == "draft" and e.updated_at > first_updated
    # the entry is the refined transcript's draft
    d = w.draft(refined, "13800138000", cid, at=call.ended_at)
    assert (e.category, e.address_code(), e.summary, e.urgent) == (
        d.category, d.address.code(), d.summary, d.urgent
    )  # fmt: skip
    assert (e.category, e.address_code()) == ("报修", "4-2-301")


def test_a_two_party_call_keeps_its_turns_in_order_when_refined(tmp_path, models_dir):
    """The committed two-party call (agent and caller take turns, 55 s): the refined transcript
    has an utterance per turn, alternating speakers in time order, as trainers replay it."""
    sessions, w = _worker(tmp_path, models_dir)
    ref = json.loads((SPEECH / "call_two_party.json").read_text(encoding="utf-8"))
    cid = _store_call(sessions, tmp_path / "rec", "two-party", (SPEECH / "call_two_party.wav").read_bytes())
    _transcribe_jobs(w)
    assert w.run(once=True) == 1
    with sessions() as s:
        row = s.scalar(select(TranscriptRow).where(TranscriptRow.call_id == cid))
        refined = load_transcript(s, cid)
    assert "first_pass" in row.data
    said = [(u.speaker, u.start, u.text) for u in refined.utterances]
    assert [u.speaker for u in refined.utterances] == [r["speaker"] for r in ref], said
    assert [u.start for u in refined.utterances] == sorted(u.start for u in refined.utterances)
    for u, r in zip(refined.utterances, ref, strict=True):
        assert r["start"] - 0.5 <= u.start < u.end <= r["end"] + 0.5, said


def test_a_confirmed_or_edited_entry_and_its_transcript_are_left_alone(tmp_path, models_dir):
    sessions, w = _worker(tmp_path, models_dir)
    confirmed = _store_call(sessions, tmp_path / "rec", "confirmed")
    edited = _store_call(sessions, tmp_path / "rec", "edited")
    _transcribe_jobs(w)
    with sessions() as s:
        by_call = {e.call_id: e.id for e in entries.list_entries(s)}
        entries.confirm(s, by_call[confirmed], by="agent-1", summary="厨房水管爆了，已登记")
        entries.update(s, by_call[edited], by="agent-2", room="302")  # still a draft, but theirs
        s.commit()
        before = {c: (load_transcript(s, c).to_dict(), entries.entry_to_dict(s.get(
            entries.LedgerEntry, by_call[c]))) for c in (confirmed, edited)}  # fmt: skip

    assert w.run(once=True) == 2
    with sessions() as s:
        for cid in (confirmed, edited):
            assert _kinds(sessions, cid)[-1] == (REFINE, "done")
            row = s.scalar(select(TranscriptRow).where(TranscriptRow.call_id == cid))
            assert "first_pass" not in row.data
            after = (load_transcript(s, cid).to_dict(),
                     entries.entry_to_dict(s.get(entries.LedgerEntry, by_call[cid])))  # fmt: skip
            assert after == before[cid]
        assert s.get(entries.LedgerEntry, by_call[edited]).room == "302"


# -- the order of jobs (no decoding: process_call and refine_call recorded, not run) -------
class Recording(Worker):
    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.order: list[tuple[str, int]] = []

    def process_call(self, call_id: int) -> None:
        self.order.append((TRANSCRIBE, call_id))

    def refine_call(self, call_id: int) -> None:
        self.order.append((REFINE, call_id))


def _calls(sessions, n):
    ids = []
    with sessions() as s:
        for i in range(n):
            rec = CallRecord(uuid=f"c{i}", sip_call_id=f"c{i}", caller="13800138000", callee="fd",
                             invited_at=T0, answered_at=T0, ended_at=T0, outcome="answered", rings=1)  # fmt: skip
            ids.append(calls.record_call(s, rec).id)
        s.commit()
    return ids


def test_transcribe_jobs_come_before_older_refine_jobs(tmp_path):
    sessions = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    w = Recording(sessions, tmp_path / "rec",
                  AsrSettings(model="none", models_dir=tmp_path / "models", refine=True))  # fmt: skip
    a, b, c = _calls(sessions, 3)
    with sessions() as s:
        jobs.enqueue(s, REFINE, a)  # the oldest job
        jobs.enqueue(s, TRANSCRIBE, b)
        jobs.enqueue(s, REFINE, b)
        jobs.enqueue(s, TRANSCRIBE, c)
        s.commit()
    assert w.run(once=True) == 4
    assert w.order == [(TRANSCRIBE, b), (TRANSCRIBE, c), (REFINE, a), (REFINE, b)]


def test_refine_jobs_wait_while_a_live_call_is_followed_and_when_switched_off(tmp_path):
    sessions = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    asr = AsrSettings(model="none", models_dir=tmp_path / "models", refine=True)
    w = Recording(sessions, tmp_path / "rec", asr, follow_live=True)
    [a] = _calls(sessions, 1)
    with sessions() as s:
        jobs.enqueue(s, REFINE, a)
        s.commit()
    (w.archive.partial_root / "live-call").mkdir(parents=True)  # a call in progress here
    assert w.run(once=True) == 0 and w.order == []
    assert _kinds(sessions, a) == [(REFINE, "queued")]
    (w.archive.partial_root / "live-call").rmdir()  # hung up
    assert w.run(once=True) == 1 and w.order == [(REFINE, a)]

    off = Recording(sessions, tmp_path / "rec", AsrSettings(model="none", models_dir=tmp_path / "m"))
    with sessions() as s:
        jobs.requeue(s, a, REFINE)
        s.commit()
    assert off.run(once=True) == 0 and off.order == []
