"""Draft accuracy as the agents' corrections tell it: a field the agent changed before
confirming was wrong; a change after registration (dispatching elsewhere) is not a correction."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledger import calls, entries
from ledger.db import open_database
from ledger.draft_accuracy import draft_accuracy
from tests.ledger.test_ledger import T0, _call, _draft


@pytest.fixture
def db(db_url):
    return open_database(db_url)


def test_corrections_before_confirming_count_and_later_changes_do_not(db):
    with db() as s:
        ids = [calls.record_call(s, _call(f"c{i}", start=T0 + timedelta(minutes=i))).id
               for i in range(3)]  # fmt: skip
        drafts = [entries.create_draft(s, cid, _draft()) for cid in ids]
        entries.confirm(s, drafts[0].id, by="li")  # as drafted
        entries.confirm(s, drafts[1].id, by="li", category="投诉")  # category was wrong
        entries.confirm(s, drafts[2].id, by="li", room="302")  # the room was wrong
        entries.dispatch(s, drafts[0].id, "li", "环境部")  # after registration: no correction
        s.commit()
        got = {f.field: (f.right, f.total) for f in draft_accuracy(s)}
    assert got["category"] == (2, 3)
    assert got["address"] == (2, 3)
    assert got["urgent"] == (3, 3)
    assert got["department"] == (3, 3)
