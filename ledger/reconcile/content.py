"""What an entry says against what the intake heard in its call (the address, a category
that needs action, urgency): the evidence of CONTENT_MISMATCH. Pure: an entry row and the
cached intake summary in, the differences out."""

from __future__ import annotations

from typing import Any

from ledger.reconcile.rows import EntryRow

# A finding says the agent got urgency wrong, so it needs more than the draft's "check this"
# line (0.75, voice/intake/extract.py): domain.md's urgent list said plainly and the model
# agreeing (the intake then gives 0.9), or the model all but sure on its own. A welfare
# check the model leans to call urgent (an elderly mother not answering, 0.76) is the
# agent's judgement, not a breach.
URGENT_SURE = 0.9


# A category that asks for action registered as one that does not: the work is never
# dispatched. (The other way round, or between two actionable ones, is the agent's judgement
# against a recogniser's guess.)
NEEDS_ACTION = {"报修", "投诉"}
NO_ACTION = {"咨询", "建议"}
URGENCY_MATTERS = {"报修", "求助", None}  # an inquiry about a planned 停水 is not an emergency


def differences(e: EntryRow, heard: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """field → {"entry": …, "transcript": …} for each field the entry gets wrong."""
    building, unit, room, category, urgent = e.building, e.unit, e.room, e.category, e.urgent
    diffs = {}
    written = (building, unit, room)
    said = (heard.get("building"), heard.get("unit"), heard.get("room"))
    # two parts heard at least: one number alone (a phone number's tail, 一张) is no address
    if sum(1 for h in said if h) >= 2 and any(
        h and w and str(h) != str(w) for h, w in zip(said, written, strict=True)
    ):
        diffs["address"] = {"entry": "-".join(w or "?" for w in written),
                            "transcript": "-".join(h or "?" for h in said)}  # fmt: skip
    if heard.get("category") in NEEDS_ACTION and category in NO_ACTION:
        if heard.get("category_conf", 0.0) >= 0.6:
            diffs["category"] = {"entry": category, "transcript": heard["category"]}
    if (heard.get("urgent") and urgent is not None and not urgent  # None: never recorded
            and category in URGENCY_MATTERS
            # what the intake flags for the agent to check is no finding against the agent
            and heard.get("urgent_conf", 1.0) >= URGENT_SURE):  # fmt: skip
        diffs["urgent"] = {"entry": False, "transcript": True}
    return diffs
