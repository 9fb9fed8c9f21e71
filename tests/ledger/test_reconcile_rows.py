"""The reconciler's named rows (ledger/reconcile/rows.py): each field reads the column of its
name, and a row type whose columns drift from its fields fails at once, not as a wrong finding."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from ledger.models import Call, LedgerEntry
from ledger.reconcile.rows import (
    CallRow,
    EntryRow,
    LooseEntryRow,
    _columns,
    call_columns,
    entry_columns,
    loose_entry_columns,
)


def same(col):
    return col  # no epoch conversion: the columns themselves, to compare


def test_each_field_reads_its_column():
    calls = dict(zip(CallRow._fields, call_columns(same), strict=True))
    assert calls["outcome"] is Call.outcome and calls["direction"] is Call.direction
    assert calls["invited"] is Call.invited_at and calls["stored"] is Call.created_at
    assert calls["recording_s"] is Call.recording_duration_s and calls["callee"] is Call.callee
    entries = dict(zip(EntryRow._fields, entry_columns(same), strict=True))
    assert entries["registered"] is LedgerEntry.registered_at
    assert entries["urgent"] is LedgerEntry.urgent
    loose = dict(zip(LooseEntryRow._fields, loose_entry_columns(same), strict=True))
    assert loose["created"] is LedgerEntry.created_at
    assert loose["public_area"] is LedgerEntry.public_area


def test_columns_out_of_step_with_fields_fail():
    class Two(NamedTuple):
        a: int
        b: int

    with pytest.raises(AssertionError, match="Two"):
        _columns(Two, {"b": 1, "a": 2})


def test_a_loose_entry_as_an_entry_of_its_call():
    e = LooseEntryRow(7, None, None, "4", "2", "301", "报修", True, "13800000001", 100.0,
                      "水管漏水", None, None)  # fmt: skip
    assert e.entry() == EntryRow(7, None, None, "4", "2", "301", "报修", True)
    assert e.at == 100.0 and e.address == "4-2-301"
    assert e._replace(unit=None).address is None
    assert e._replace(registered=90.0).at == 90.0
