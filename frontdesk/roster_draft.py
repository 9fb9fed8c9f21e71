"""The site's roster applied to a draft: an address that cannot exist there is flagged, and a
caller whose number is on the roster gets the home and surname the call did not give.

Nothing the caller said is overwritten or corrected: a said address that differs from the
roster's stays, with the roster's beside it for the agent; a number on the roster for two
homes fills no address. Whatever comes from the roster is marked so (evidence ``address.roster``
/ ``caller.roster``) and left below the console's "check this" confidence: the caller may be
calling about another home, or from a family member's phone.
"""

from __future__ import annotations

from domain.intake import Address, Evidence, IntakeDraft
from domain.roster import Layout, RosterHome
from voice.intake.names import COMPOUND

FROM_ROSTER = 0.5  # below the console's 0.6: the agent is asked to check it
INVALID = 0.3
RELATION_WORDS = {"owner": "业主 owner", "tenant": "租户 tenant", "family": "家属 family",
                  "resident": "住户 resident"}  # fmt: skip
PARTS = ("building", "unit", "room")


def surname_of(name: str | None) -> str | None:
    """王建国 → 王, 欧阳娜娜 → 欧阳; None for an empty or non-Chinese name."""
    name = (name or "").strip()
    if not name or not "\u4e00" <= name[0] <= "\u9fff":
        return None
    return name[:2] if name[:2] in COMPOUND else name[0]


def _who(home: RosterHome) -> str:
    rel = RELATION_WORDS.get(home.relation or "")
    return f"{home.code()} ({rel})" if rel else home.code()


def apply_roster(d: IntakeDraft, layout: Layout | None, residents: list[RosterHome]) -> IntakeDraft:
    """``d`` with the roster's flags and pre-fills (changed in place and returned)."""
    if residents:
        _address(d, residents)
        _surname(d, residents)
    if layout is not None:
        problem = layout.problem(d.address)
        if problem:
            d.evidence.append(Evidence("address.invalid", problem))
            d.confidence["address"] = min(d.confidence.get("address", 0.5), INVALID)
    return d


def _address(d: IntakeDraft, residents: list[RosterHome]) -> None:
    homes: dict[tuple, RosterHome] = {}
    for r in residents:
        homes.setdefault((r.building, r.unit, r.room), r)
    said = tuple(getattr(d.address, p) for p in PARTS)
    if d.address.public_area:  # a lift, the garage: the caller's home is context, not the place
        where = "、".join(_who(h) for h in homes.values())
        d.evidence.append(Evidence("address.roster", f"the caller's number is on the roster at {where}"))
        return
    if not any(said):
        if len(homes) == 1:
            [home] = homes.values()
            d.address = Address(home.building, home.unit, home.room)
            d.confidence["address"] = FROM_ROSTER
            d.evidence.append(Evidence("address.roster", f"{_who(home)}: the caller's number"))
        else:
            where = "、".join(_who(h) for h in homes.values())
            d.evidence.append(Evidence("address.roster", f"the caller's number is on the roster "
                                       f"for {len(homes)} homes: {where}; none filled in"))  # fmt: skip
        return
    agree = [h for key, h in homes.items() if all(s is None or s == k for s, k in zip(said, key, strict=True))]
    if len(agree) == 1:
        home = agree[0]
        missing = [p for p, s in zip(PARTS, said, strict=True) if s is None and getattr(home, p)]
        for p in missing:
            setattr(d.address, p, getattr(home, p))
        if missing:  # the caller gave the room, the roster knows the building
            d.confidence["address"] = min(d.confidence.get("address", FROM_ROSTER), FROM_ROSTER)
            d.evidence.append(Evidence("address.roster", f"{'/'.join(missing)} completed from "
                                       f"{_who(home)}: the caller's number"))  # fmt: skip
        return
    if not agree:
        said_code = "-".join(s or "?" for s in said)
        where = "、".join(_who(h) for h in homes.values())
        d.evidence.append(Evidence("address.roster", f"the caller said {said_code}; the caller's "
                                   f"number is on the roster at {where}"))  # fmt: skip


def _surname(d: IntakeDraft, residents: list[RosterHome]) -> None:
    names = {s: r for r in residents if (s := surname_of(r.name))}
    if not names:
        return
    if d.caller.surname is None:
        if len(names) == 1:
            [(sn, r)] = names.items()
            d.caller.surname = sn
            d.confidence["caller.surname"] = FROM_ROSTER
            d.evidence.append(Evidence("caller.roster", f"{sn}, {_who(r)}: the caller's number"))
    elif d.caller.surname not in names:
        d.evidence.append(Evidence("caller.roster", f"the caller said {d.caller.surname}; the roster "
                                   f"has {'、'.join(names)} for this number"))  # fmt: skip
