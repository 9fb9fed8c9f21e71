"""A repeat complaint drafted with the ledger's history is re-read by the reconciler with the
same history (frontdesk/reading.py), so the audit does not call it a CONTENT_MISMATCH."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.transcript import Transcript, Utterance
from frontdesk.reading import draft, read_call
from ledger import calls, entries
from ledger.db import open_database
from ledger.reconcile import Rules, reconcile
from ledger.transcripts import save_transcript
from tests.ledger.test_ledger import T0, _call
from voice.intake.extract import extract

# no words of repetition: only the ledger knows this was reported before
SAID = "你好，三号楼二单元的楼道灯坏了，麻烦派人来修一下"


@pytest.fixture
def db(db_url):
    return open_database(db_url)


def test_repeat_complaint_drafted_with_history_raises_no_content_mismatch(db):
    t = Transcript([Utterance("caller", 0.5, 5.0, SAID)], "whisper", "whisper-base")
    assert extract(t).category == "报修"  # without history the words alone say repair
    with db() as s:
        first = calls.record_call(s, _call("first", start=T0 - timedelta(days=3))).id
        save_transcript(s, first, Transcript([Utterance("caller", 0.5, 4.0, SAID)], "w", "m"))
        e1 = entries.create_draft(
            s, first, draft(s, t, "13800138000", first, T0 - timedelta(days=3))
        )
        e1.created_at = T0 - timedelta(days=3)  # the entry of three days ago
        entries.confirm(s, e1.id, by="li", at=T0 - timedelta(days=3) + timedelta(seconds=50))
        s.commit()

        again = calls.record_call(s, _call("again")).id
        save_transcript(s, again, t)
        d = draft(s, t, "13800138000", again, T0)  # what the worker drafts
        assert d.category == "投诉"
        assert any(f"repeat of entry {e1.id}" in ev.text for ev in d.evidence)
        e2 = entries.create_draft(s, again, d)
        entries.confirm(s, e2.id, by="li", at=T0 + timedelta(seconds=90))
        s.commit()

        assert read_call(s, again).category == "投诉"  # the reconciler reads it the same way
        found = reconcile(s, now=T0 + timedelta(hours=1), rules=Rules(reader=read_call))
        mismatches = [f for f in found if f.kind == "CONTENT_MISMATCH" and f.status == "open"]
        assert mismatches == []


def test_the_reconcilers_reading_of_many_calls_at_once_equals_one_by_one(db, tmp_path):
    """frontdesk.reading.reader_for(...).many drafts the stale calls together (extract_many):
    the same drafts as read_call one by one, the repeat read with its history; the audit that
    uses it finds no CONTENT_MISMATCH either."""
    import dataclasses

    from frontdesk.reading import read_calls, reader_for

    t = Transcript([Utterance("caller", 0.5, 5.0, SAID)], "whisper", "whisper-base")
    with db() as s:
        first = calls.record_call(s, _call("first", start=T0 - timedelta(days=3))).id
        save_transcript(s, first, Transcript([Utterance("caller", 0.5, 4.0, SAID)], "w", "m"))
        e1 = entries.create_draft(s, first, draft(s, t, "13800138000", first, T0 - timedelta(days=3)))
        e1.created_at = T0 - timedelta(days=3)
        entries.confirm(s, e1.id, by="li", at=T0 - timedelta(days=3) + timedelta(seconds=50))
        again = calls.record_call(s, _call("again")).id
        save_transcript(s, again, t)
        e2 = entries.create_draft(s, again, draft(s, t, "13800138000", again, T0))
        entries.confirm(s, e2.id, by="li", at=T0 + timedelta(seconds=90))
        silent = calls.record_call(s, _call("silent", start=T0 + timedelta(minutes=5))).id
        s.commit()

        ids = [first, again, silent]
        many = read_calls(s, ids)
        assert list(many) == ids and many[silent] is None
        for call_id in ids:
            one = read_call(s, call_id)
            assert (many[call_id] and dataclasses.asdict(many[call_id])) == (one and dataclasses.asdict(one))
        assert many[again].category == "投诉"  # with the history of the first call
        read, asked = reader_for(tmp_path / "no-models"), []
        many_at_once = read.many
        read.many = lambda session, call_ids: asked.append(sorted(call_ids)) or many_at_once(session, call_ids)
        found = reconcile(s, now=T0 + timedelta(hours=1), rules=Rules(reader=read))
        assert asked and {first, again} <= set(asked[0])  # the stale calls read together
        assert [f for f in found if f.kind == "CONTENT_MISMATCH" and f.status == "open"] == []
