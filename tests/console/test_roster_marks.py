"""The desk's draft form says which fields came from the site's roster and flags an address
that cannot exist there (a real console process, real Chromium, a roster imported from XLSX)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.console.conftest import ledger, login
from tests.ledger.roster_sheets import write_roster_xlsx


def _drafts(data_dir, tmp_path) -> tuple[int, int, int]:
    from datetime import UTC, datetime

    from domain.transcript import Transcript, Utterance
    from frontdesk.reading import draft
    from ledger import calls, entries
    from ledger.roster import import_roster
    from tests.ledger.test_ledger import _call

    at = datetime.now(UTC)
    out = []
    with ledger(data_dir)() as s:
        assert import_roster(s, write_roster_xlsx(tmp_path / "名册.xlsx")).ok
        for uuid, number, text in (("known", "13812345678", "你好，我家卫生间水管漏水了，快来修一下"),
                                   ("nowhere", "13600009999", "我是三栋二单元二八零五的，水管漏了"),
                                   ("unsure", "", "厨房水管漏了，我手机是要三九，有999，00000")):  # fmt: skip
            cid = calls.record_call(s, _call(uuid, caller=number, start=at)).id
            t = Transcript([Utterance("caller", 0.5, 4.0, text)], "whisper", "whisper-base")
            out.append(entries.create_draft(s, cid, draft(s, t, number, call_id=cid, at=at)).id)
        s.commit()
    return out[0], out[1], out[2]


def test_roster_prefill_and_impossible_room_are_marked_on_the_form(console, page, tmp_path):
    known, nowhere, unsure = _drafts(console.data_dir, tmp_path)
    login(page, console, "agent1")
    page.goto(f"{console.url}/desk?entry={known}")
    expect(page.locator("input[name=room]")).to_have_value("1801")
    expect(page.locator("input[name=caller_name]")).to_have_value("王")
    expect(page.locator("small.roster[data-field=address]")).to_contain_text("住户名册 from the roster: 3-2-1801")
    expect(page.locator(".f-caller_name small.roster")).to_contain_text("王, 3-2-1801")
    assert "low" in (page.locator(".f-room").get_attribute("class") or "")  # check this
    page.goto(f"{console.url}/desk?entry={nowhere}")
    expect(page.locator("input[name=room]")).to_have_value("2805")  # kept as said
    expect(page.locator("small.flag[data-field=address]")).to_contain_text(
        "room 2805 does not exist in building 3 unit 2 (top floor 18)")
    expect(page.locator("small.roster")).to_have_count(0)
    # a number after 手机 that is no mobile: not filled in, flagged for the agent to ask
    page.goto(f"{console.url}/desk?entry={unsure}")
    expect(page.locator("input[name=caller_phone]")).to_have_value("")
    expect(page.locator(".f-caller_phone small.flag")).to_contain_text("手机号没听清")
    expect(page.locator(".f-caller_phone small.flag")).to_contain_text("999,00000")
    assert "low" in (page.locator(".f-caller_phone").get_attribute("class") or "")
