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
