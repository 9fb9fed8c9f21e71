"""Urgency as evidence against an entry: the draft asks the agent to check an urgency the
intake is unsure of (below 0.75); a CONTENT_MISMATCH needs more, the urgent list said and the
model agreeing (0.9) or the model all but sure. Drafts from the real intake and model."""

from __future__ import annotations

from ledger.reconcile.content import differences
from ledger.reconcile.intake_cache import intake_summary
from ledger.reconcile.rows import EntryRow
from voice.intake.extract import extract


def _registered_not_urgent(category: str) -> EntryRow:
    return EntryRow(1, 1, 0.0, "7", "1", "701", category, False)


def test_a_burst_pipe_registered_not_urgent_is_a_mismatch():
    heard = intake_summary(extract("你好，我是七栋一单元七零一的，我家水管爆了，水哗哗往外冒，快派人来"))
    assert heard["urgent"] and heard["urgent_conf"] >= 0.9
    assert "urgent" in differences(_registered_not_urgent("报修"), heard)


def test_an_urgency_the_agent_may_judge_either_way_is_no_finding():
    heard = intake_summary(extract("我妈妈一个人住七栋一单元七零一，电话一直没人接，能不能上去敲个门看看"))
    # the draft may lean urgent and ask the agent to check; the agent's 否 is no breach
    if heard["urgent"]:
        assert heard["urgent_conf"] < 0.9
    assert "urgent" not in differences(_registered_not_urgent("求助"), heard)
