"""The draft weighs the site's roster (frontdesk/reading.py → frontdesk/roster_draft.py): an
address that cannot exist there is flagged, a caller whose number is on the roster gets the
home and surname the call did not give, marked as from the roster; what was said stays.

Real parts: the shipped intake model, a SQLite ledger, a roster imported from an XLSX sheet
written like a property company's (tests/ledger/roster_sheets.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.transcript import Transcript, Utterance
from frontdesk.reading import draft, read_call
from ledger import calls, entries
from ledger.db import open_database
from ledger.roster import import_roster
from ledger.transcripts import save_transcript
from tests.ledger.roster_sheets import write_roster_xlsx

WANG = "+86 138-1234-5678"  # 王建国 of 3-2-1801, as the SIP From header may carry it
LI = "13987654321"  # his wife 李梅, same home
AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("roster")
    factory = open_database(f"sqlite:///{tmp / 'frontdesk.db'}")
    with factory() as s:
        assert import_roster(s, write_roster_xlsx(tmp / "名册.xlsx")).ok
        s.commit()
    return factory


def said(*caller: str) -> Transcript:
    utts = [Utterance("agent", 0.0, 2.0, "您好，物业客服中心")]
    utts += [Utterance("caller", 2.5 + 3 * i, 5.0 + 3 * i, text) for i, text in enumerate(caller)]
    return Transcript(utts, "whisper", "whisper-base")


def fields(d, name: str) -> list[str]:
    return [e.text for e in d.evidence if e.field == name]


def test_a_known_number_prefills_home_and_surname_marked_from_the_roster(sessions):
    with sessions() as s:
        d = draft(s, said("你好，我家卫生间水管漏水了，快来修一下"), WANG, at=AT)
    assert d.address.code() == "3-2-1801"
    assert d.caller.surname == "王"
    assert fields(d, "address.roster") == ["3-2-1801 (业主 owner): the caller's number"]
    assert fields(d, "caller.roster") == ["王, 3-2-1801 (业主 owner): the caller's number"]
    # left for the agent to check: the caller may be ringing about another home
    assert d.confidence["address"] < 0.6 and d.confidence["caller.surname"] < 0.6
    assert d.category == "报修"  # the rest of the draft is the call's


def test_a_room_said_alone_is_completed_from_the_callers_home(sessions):
    with sessions() as s:
        d = draft(s, said("我姓李，一八零一的，水管漏了"), LI, at=AT)
    assert d.address.code() == "3-2-1801"
    assert d.caller.surname == "李" and fields(d, "caller.roster") == []  # said, and it agrees
    assert fields(d, "address.roster") == ["building/unit completed from 3-2-1801 (家属 family): the caller's number"]


def test_the_address_said_is_kept_and_the_roster_home_shown_beside_it(sessions):
    with sessions() as s:
        d = draft(s, said("我是赵先生，五栋一单元六零二的，厨房下水道堵了"), WANG, at=AT)
    assert d.address.code() == "5-1-602"  # what the caller said, not overwritten
    assert d.caller.surname == "赵"
    assert fields(d, "address.roster") == [
        "the caller said 5-1-602; the caller's number is on the roster at 3-2-1801 (业主 owner)"]
    assert fields(d, "caller.roster") == ["the caller said 赵; the roster has 王 for this number"]
    assert fields(d, "address.invalid") == []


def test_a_room_that_cannot_exist_is_flagged_never_corrected(sessions):
    with sessions() as s:
        d = draft(s, said("我是三栋二单元二八零五的，水管漏了"), "13600009999", at=AT)
        lift = draft(s, said("三栋的电梯坏了，困了人"), WANG, at=AT)
    assert d.address.code() == "3-2-2805"  # kept as said, for the agent to ask again
    assert fields(d, "address.invalid") == ["room 2805 does not exist in building 3 unit 2 (top floor 18)"]
    assert d.confidence["address"] <= 0.3
    assert fields(d, "address.roster") == [] and d.caller.surname is None  # an unknown number
    # a public area of the caller's building: the home is shown, not filled in
    assert (lift.address.building, lift.address.room, lift.address.public_area) == ("3", None, "电梯")
    assert fields(lift, "address.roster") == ["the caller's number is on the roster at 3-2-1801 (业主 owner)"]


def test_a_site_without_a_roster_drafts_as_before(sessions):
    with sessions() as s:
        d = draft(s, said("我是三栋二单元二八零五的，水管漏了"), WANG, at=AT, site="枫林苑")
        plain = draft(s, said("你好，我家卫生间水管漏水了"), WANG, at=AT, site="枫林苑")
    assert d.address.code() == "3-2-2805" and fields(d, "address.invalid") == []
    assert plain.address.code() is None and plain.caller.surname is None
    assert not [e for e in plain.evidence if e.field.endswith("roster")]


def test_the_reconcilers_reading_is_what_the_call_said(sessions):
    """The audit compares what was said with the entry: a home the roster filled in was
    never said, so read_call leaves the roster out while the worker's draft has it."""
    with sessions() as s:
        cid = calls.record_call(s, _call()).id
        save_transcript(s, cid, said("你好，我家卫生间水管漏水了，快来修一下"))
        drafted = draft(s, said("你好，我家卫生间水管漏水了，快来修一下"), WANG, call_id=cid, at=AT)
        e = entries.create_draft(s, cid, drafted)
        assert (e.building, e.unit, e.room, e.caller_name) == ("3", "2", "1801", "王")
        assert read_call(s, cid).address.code() is None
        s.rollback()


def _call():
    from tests.ledger.test_ledger import _call as call

    return call("roster-1", caller="+8613812345678", start=AT)
