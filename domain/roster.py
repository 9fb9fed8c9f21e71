"""A community's roster (业主名册) as the draft needs it: who lives where, reachable on which
numbers, and the layout it implies (buildings, units, top floors, rooms per floor).

Plain values: the ledger stores and loads them, the application applies them to a draft.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from domain.intake import Address

MOBILE = re.compile(r"1[3-9]\d{9}")


@dataclass(frozen=True)
class RosterHome:
    """One line of the roster: a home and a person living there."""

    building: str
    unit: str | None
    room: str | None
    name: str | None = None
    relation: str | None = None  # owner | tenant | family
    phones: tuple[str, ...] = ()

    def address(self) -> Address:
        return Address(self.building, self.unit, self.room)

    def code(self) -> str:
        return "-".join(p for p in (self.building, self.unit, self.room) if p)


def phone_key(number: str | None) -> str | None:
    """What two spellings of one number share: a mobile's 11 digits (+86, 0086 and a trunk 0
    dropped), else a landline's last 8 digits (with or without its area code)."""
    digits = re.sub(r"\D", "", number or "")
    for prefix in ("0086", "86", "0"):
        rest = digits[len(prefix) :]
        if digits.startswith(prefix) and MOBILE.fullmatch(rest):
            return rest
    if MOBILE.fullmatch(digits):
        return digits
    if len(digits) < 7:
        return None  # an extension or a short code: never matched to a resident
    return digits[-8:]


def room_floor(room: str | None) -> tuple[int, str] | None:
    """(floor, place on the floor) of a room number such as 1801 or 301; None otherwise."""
    if room and room.isdigit() and len(room) >= 3:
        return int(room[:-2]), room[-2:]
    return None


@dataclass
class UnitShape:
    top_floor: int = 0  # highest floor of any room listed; 0: no numbered room
    places: set[str] = field(default_factory=set)  # "01", "02": the rooms of each floor
    rooms: set[str] = field(default_factory=set)


@dataclass
class Layout:
    """Buildings → units → shape, as the roster lists them (unit "" where a building has none).

    Only what cannot exist is a problem: a floor above the top, a place on the floor no
    listed floor has, a building or unit the roster never names. A room the roster merely
    lacks (unsold, vacant) on a plausible floor is not."""

    buildings: dict[str, dict[str, UnitShape]] = field(default_factory=dict)

    @classmethod
    def of(cls, homes: Iterable[RosterHome]) -> Layout:
        out = cls()
        for h in homes:
            shape = out.buildings.setdefault(h.building, {}).setdefault(h.unit or "", UnitShape())
            if h.room:
                shape.rooms.add(h.room)
            fp = room_floor(h.room)
            if fp:
                shape.top_floor = max(shape.top_floor, fp[0])
                shape.places.add(fp[1])
        return out

    def problem(self, a: Address) -> str | None:
        """Why the address cannot exist in this community, or None."""
        if not self.buildings or not a.building:
            return None
        units = self.buildings.get(a.building)
        if units is None:
            return f"building {a.building} does not exist here (buildings {_span(self.buildings)})"
        where = f"building {a.building}"
        if a.unit:
            if a.unit not in units:
                named = [u for u in units if u]
                has = f"units {_span(named)}" if named else "no units"
                return f"building {a.building} has no unit {a.unit} ({has})"
            shapes = [units[a.unit]]
            where += f" unit {a.unit}"
        else:
            shapes = list(units.values())
        fp = room_floor(a.room)
        if fp is None or a.room in set().union(*(s.rooms for s in shapes)):
            return None
        floor, place = fp
        top = max(s.top_floor for s in shapes)
        if top and not 1 <= floor <= top:
            return f"room {a.room} does not exist in {where} (top floor {top})"
        places = set().union(*(s.places for s in shapes))
        if places and place not in places:
            return (f"room {a.room} does not exist in {where} "
                    f"(rooms {_span(places)} on each floor)")  # fmt: skip
        return None


def _span(names: Iterable[str]) -> str:
    """1–12 for numbered names in a run, else the names themselves (a few)."""
    names = sorted(set(names), key=lambda n: (len(n), n))
    if names and all(n.isdigit() for n in names):
        nums = [int(n) for n in names]
        if nums == list(range(nums[0], nums[-1] + 1)) and len(nums) > 2:
            return f"{names[0]}–{names[-1]}"
    return ", ".join(names[:12]) + (" …" if len(names) > 12 else "")
