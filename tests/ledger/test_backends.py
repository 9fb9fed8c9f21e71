"""What differs between SQLite and PostgreSQL, on both (a real private PostgreSQL server):
job claims under contention, spreadsheet round trips with Chinese text and aware times,
column widths reported per row rather than failing at commit."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from domain.calls import CallRecord
from ledger import calls, jobs
from ledger.db import open_database
from ledger.models import LedgerEntry
from ledger.table_io import export_entries, import_entries
from tests.ledger.claimers import claim_concurrently

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
CST = datetime(2026, 1, 1, tzinfo=UTC).astimezone().tzinfo  # any fixed zone will do

SHEET = """登记时间,来源,电话,姓名,楼栋,单元,房号,类别,内容,派单部门,状态,回访时间
2026-10-03 09:12,来电,13800138000,王先生,4,2,301,报修,厨房水管漏水，地板泡了,工程维修部,已关闭,2026-10-03 11:00
2026/10/04 14:30,来访,,李女士,6,1,502,投诉,楼上装修太吵,安管部,已登记,
2026-10-05 08:00,来电,13900000000,,,,,咨询,物业费怎么交,客服中心,已关闭,
"""


def _queue(sessions, n: int) -> list[int]:
    with sessions() as s:
        ids = []
        for i in range(n):
            rec = CallRecord(uuid=f"c{i}", sip_call_id=f"s{i}", caller="138", callee="fd",
                             invited_at=T0 + timedelta(seconds=i), outcome="answered")  # fmt: skip
            ids.append(calls.record_call(s, rec).id)
        for i in ids:
            jobs.enqueue(s, "transcribe", i)
        s.commit()
    return ids


def test_many_concurrent_claimers_take_each_job_exactly_once(db_url):
    sessions = open_database(db_url)
    ids = _queue(sessions, 60)
    claimed = claim_concurrently(sessions, 6, timeout=120)
    assert len(claimed) == len(set(claimed)) and sorted(claimed) == sorted(ids)


def test_postgres_claim_skips_a_job_locked_by_an_open_transaction(db_url, backend):
    """FOR UPDATE SKIP LOCKED: a worker whose claim is not yet committed does not block
    another; the other gets the next job at once."""
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time: a second claimer waits by design")
    sessions = open_database(db_url)
    ids = _queue(sessions, 3)
    with sessions() as a, sessions() as b:
        first = jobs.claim(a, "transcribe", "a")  # transaction left open: the row stays locked
        t = time.monotonic()
        second = jobs.claim(b, "transcribe", "b")
        assert time.monotonic() - t < 2.0
        assert (first.call_id, second.call_id) == (ids[0], ids[1])
        b.commit()
        a.rollback()  # a's worker died before committing: its job is free again
    with sessions() as c:
        again = jobs.claim(c, "transcribe", "c")
        assert again.call_id == ids[0]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_spreadsheet_round_trip_keeps_text_and_times(db_url, new_db_url, tmp_path, suffix):
    src = tmp_path / "october.csv"
    src.write_text(SHEET, encoding="utf-8")
    sessions = open_database(db_url)
    with sessions() as s:
        report = import_entries(s, src, tz=CST)
        s.commit()
        assert (report.imported, report.errors) == (3, [])
        again = import_entries(s, src, tz=CST)
        assert (again.imported, again.unchanged) == (0, 3)
        out = tmp_path / f"out{suffix}"
        assert export_entries(s, out, tz=CST) == 3
        before = _snapshot(s)
    other = open_database(new_db_url())
    with other() as s:
        assert import_entries(s, out, tz=CST).imported == 3
        s.commit()
        assert _snapshot(s) == before
        wang = s.query(LedgerEntry).filter_by(caller_name="王先生").one()
        assert wang.created_at == datetime(2026, 10, 3, 9, 12, tzinfo=CST)
        assert wang.created_at.tzinfo is not None and wang.content == "厨房水管漏水，地板泡了"


def _snapshot(s) -> list[tuple]:
    return [
        (e.created_at, e.source, e.caller_phone, e.caller_name, e.address_code(), e.category,
         e.content, e.status, e.callback_at)
        for e in s.query(LedgerEntry).order_by(LedgerEntry.created_at)
    ]  # fmt: skip


def test_a_value_wider_than_its_column_is_a_row_error_and_nothing_is_written(db_url, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(SHEET + "2026-10-06 10:00,来电,1,张,1,1,101,报修,灯坏了,工程维修部,已登记,\n"
                   .replace("张", "张" * 70), encoding="utf-8")  # fmt: skip
    sessions = open_database(db_url)
    with sessions() as s:
        report = import_entries(s, bad, tz=CST)
        s.commit()
        assert report.imported == 0 and s.query(LedgerEntry).count() == 0
        [err] = report.errors
        assert err["row"] == 5 and "姓名" in err["error"] and "at most 64" in err["error"]
