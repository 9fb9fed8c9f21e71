"""Unlinked phone entries are matched one to one to recorded calls on number, time,
address and the transcript's content (real intake on real transcripts, both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.calls import CallRecord
from domain.recording import RecordingInfo
from domain.transcript import Transcript, Utterance
from frontdesk.reading import read_call
from ledger import calls
from ledger.db import open_database
from ledger.matching import CallCandidate, LooseEntry, assign
from ledger.models import LedgerEntry
from ledger.reconcile import Rules, reconcile
from ledger.transcripts import save_transcript

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
RULES = Rules(reader=read_call)  # the worker's reading of a transcript, as the application hands it in
PIPE = "你好，我是四栋二单元三零一的，我家水管爆了，水流了一地，快派人来修一下"
NOISE = "我要投诉，六栋一单元五零二楼上装修太吵了，天天早上七点就开始"


def _call(s, uuid: str, caller: str, start: datetime, said: str) -> int:
    answered = start + timedelta(seconds=8)
    rec = CallRecord(uuid=uuid, sip_call_id=uuid, caller=caller, callee="fd", invited_at=start,
                     answered_at=answered, ended_at=answered + timedelta(seconds=40), rings=2,
                     answered_by="agent", outcome="answered",
                     recording=RecordingInfo(f"x/{uuid}.wav", "ab" * 32, 100, 40.0, 2, 8000))  # fmt: skip
    cid = calls.record_call(s, rec).id
    save_transcript(s, cid, Transcript([Utterance("caller", 0.5, 6.0, said)], "whisper", "base"))
    return cid


def _entry(s, phone: str, at: datetime, room="301", building="4", unit="2",
           content="水管爆了，水流了一地，请派人维修") -> LedgerEntry:  # fmt: skip
    e = LedgerEntry(source="来电", status="registered", caller_phone=phone, building=building,
                    unit=unit, room=room, category="报修", urgent=True, content=content,
                    summary=content[:10], created_at=at, registered_at=at)  # fmt: skip
    s.add(e)
    s.flush()
    return e


def _open(found) -> set[tuple]:
    return {(f.kind, f.call_id, f.entry_id) for f in found if f.status == "open"}


@pytest.fixture
def db(db_url):
    return open_database(db_url)


def test_entry_from_another_phone_matches_by_address_content_and_time(db):
    """The resident called from a mobile; the agent wrote the home number. Address, wording
    and time tie the entry to the call: no unlogged call, no orphan entry."""
    with db() as s:
        cid = _call(s, "pipe", "13900000001", T0, PIPE)
        e = _entry(s, "02088886666", T0 + timedelta(seconds=80))
        found = _open(reconcile(s, now=T0 + timedelta(hours=1), rules=RULES))
        assert ("UNLOGGED_CALL", cid, None) not in found
        assert not any(k == "ORPHAN_ENTRY" for k, _, _ in found)
        # and the match is real: an address contradicting the transcript is then flagged
        e.room = "302"
        found = _open(reconcile(s, now=T0 + timedelta(hours=1), rules=RULES))
        assert ("UNLOGGED_CALL", cid, None) in found and ("ORPHAN_ENTRY", None, e.id) in found


def test_another_phone_with_unrelated_content_is_not_matched(db):
    with db() as s:
        cid = _call(s, "noise", "13900000002", T0, NOISE)
        e = _entry(s, "13700000000", T0 + timedelta(seconds=60), building="6", unit="1",
                   room="502", content="询问物业费缴纳方式")  # fmt: skip
        found = _open(reconcile(s, now=T0 + timedelta(hours=1), rules=RULES))
        assert ("UNLOGGED_CALL", cid, None) in found and ("ORPHAN_ENTRY", None, e.id) in found


def test_two_entries_never_claim_the_same_call(db):
    """Two hand-written entries fit one call (same number, same address and content): one
    is matched, the other is the same call registered twice (重复登记), not an entry
    without a call; with two calls each gets one."""
    with db() as s:
        cid = _call(s, "one", "13900000003", T0, PIPE)
        a = _entry(s, "13900000003", T0 + timedelta(seconds=60))
        b = _entry(s, "13900000003", T0 + timedelta(seconds=300))
        found = _open(reconcile(s, now=T0 + timedelta(hours=1), rules=RULES))
        assert ("UNLOGGED_CALL", cid, None) not in found
        assert {(k, c, e) for k, c, e in found if k in ("DUPLICATE_ENTRY", "ORPHAN_ENTRY")} == {
            ("DUPLICATE_ENTRY", cid, b.id)}  # fmt: skip
        assert a.id != b.id
        second = _call(s, "two", "13900000003", T0 + timedelta(minutes=5), PIPE)
        found = _open(reconcile(s, now=T0 + timedelta(hours=1), rules=RULES))
        assert not any(k in ("ORPHAN_ENTRY", "UNLOGGED_CALL") for k, _, _ in found)
        assert not any(c == second for _, c, _ in found)  # b is the second call's entry


def test_assignment_is_one_to_one_and_prefers_the_better_pair():
    calls_ = [
        CallCandidate(1, "111", 1000.0, "4-2-301", PIPE),
        CallCandidate(2, "222", 1030.0, "6-1-502", NOISE),
    ]
    entries = [
        LooseEntry(10, "999", 1060.0, "4-2-301", "水管爆了 请派人维修"),  # other phone, pipe
        LooseEntry(11, "222", 1065.0, "6-1-502", "楼上装修太吵"),  # the noise caller
        LooseEntry(12, "111", 1070.0, "4-2-301", "水管爆了"),  # the pipe caller: wins call 1
    ]
    pairs = assign(entries, calls_, window_s=1800)
    assert pairs == {11: 2, 12: 1}
    assert len(set(pairs.values())) == len(pairs)


def test_a_late_registration_is_one_finding_about_the_pair(db):
    """Registered 31 and 40 minutes after hangup (past the near window): each entry is
    still its call's, and the lateness is one LATE_REGISTRATION; no unlogged call and no
    orphan entry. A late entry from the same number that contradicts the call (another
    address), or says something else entirely, is not taken for it."""
    with db() as s:
        a = _call(s, "a", "13900000011", T0, PIPE)
        b = _call(s, "b", "13900000012", T0 + timedelta(hours=1), NOISE)
        c = _call(s, "c", "13900000013", T0 + timedelta(hours=2), PIPE)
        d = _call(s, "d", "13900000014", T0 + timedelta(hours=3), NOISE)
        end = timedelta(seconds=48)
        ea = _entry(s, "13900000011", T0 + end + timedelta(minutes=31))
        eb = _entry(s, "13900000012", T0 + timedelta(hours=1) + end + timedelta(minutes=40),
                    building="6", unit="1", room="502", content="楼上装修太吵，早上七点开始")  # fmt: skip
        ec = _entry(s, "13900000013", T0 + timedelta(hours=2) + end + timedelta(minutes=50),
                    room="1101")  # another flat: not this call's entry  # fmt: skip
        ed = _entry(s, "13900000014", T0 + timedelta(hours=3) + end + timedelta(hours=3),
                    building=None, unit=None, room=None, content="询问物业费缴纳方式")  # fmt: skip
        found = _open(reconcile(s, now=T0 + timedelta(hours=8), rules=RULES))
        late = {(cid, eid) for k, cid, eid in found if k == "LATE_REGISTRATION"}
        assert late == {(a, ea.id), (b, eb.id)}
        unlogged = {cid for k, cid, _ in found if k == "UNLOGGED_CALL"}
        orphans = {eid for k, _, eid in found if k == "ORPHAN_ENTRY"}
        assert unlogged == {c, d} and orphans == {ec.id, ed.id}


def test_withheld_caller_id_matches_by_the_number_spoken_and_a_desk_callback_is_a_call(db):
    """The caller withheld the number but gave it in the call: the entry with that number
    is the call's. An entry written after the desk's answered callback to a resident has
    that call behind it: no orphan. An entry for a number nobody called stays an orphan."""
    said = "我要办装修手续，要交押金吗，我的电话是幺五八 七七幺九 九六四六"
    with db() as s:
        anon = _call(s, "anon", "anonymous", T0, said)
        e1 = _entry(s, "15877199646", T0 + timedelta(seconds=70), building=None, unit=None,
                    room=None, content="咨询装修申报")  # fmt: skip
        out_at = T0 + timedelta(hours=2)
        calls.record_call(s, CallRecord(
            uuid="cb", sip_call_id="cb", caller="8001", callee="913900000021", invited_at=out_at,
            answered_at=out_at + timedelta(seconds=9), ended_at=out_at + timedelta(seconds=70),
            outcome="answered")).direction = "out"  # the desk calling out  # fmt: skip
        e2 = _entry(s, "13900000021", out_at + timedelta(seconds=120), building=None, unit=None,
                    room=None, content="业主回电反映楼道灯不亮")  # fmt: skip
        e3 = _entry(s, "13900000099", out_at + timedelta(seconds=120), building=None, unit=None,
                    room=None, content="业主反映楼道灯不亮")  # fmt: skip
        found = _open(reconcile(s, now=T0 + timedelta(hours=6), rules=RULES))
        assert ("UNLOGGED_CALL", anon, None) not in found
        orphans = {eid for k, _, eid in found if k == "ORPHAN_ENTRY"}
        assert orphans == {e3.id} and e1.id and e2.id
