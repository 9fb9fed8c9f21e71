"""A site's community roster (业主名册) from the property company's own sheet, and the lookups
the draft needs: the layout it implies, and who is on the roster under a caller's number.

The sheet is read by the ledger's reader (``table_io``: XLSX or CSV in UTF-8 or GBK, a title
above the header) with the roster's header words, Chinese or English. Every row is checked
first; one bad row stores nothing and the report names each bad row. A good file replaces
the site's roster in one transaction (readers see the old roster or the new, never half).
Names and numbers are residents' data: errors name the row and the column, not the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from domain.roster import MOBILE, Layout, RosterHome, phone_key
from domain.sites import DEFAULT_SITE
from ledger import sheet_words as words
from ledger.models import Roster, RosterPhone, RosterResident
from ledger.sheets import TableError, _read_sheets
from ledger.types import utcnow

# header (as written; sheet_words.header_key compares them) → roster field
HEADERS: dict[str, str] = {
    "楼栋": "building", "栋": "building", "楼号": "building", "栋号": "building", "幢": "building",
    "楼幢": "building", "幢号": "building", "楼栋号": "building", "楼宇": "building",
    "座": "building", "building": "building", "bldg": "building", "block": "building",
    "单元": "unit", "单元号": "unit", "unit": "unit",
    "房号": "room", "房间": "room", "房间号": "room", "室": "room", "室号": "room", "户号": "room",
    "门牌号": "room", "房号(室)": "room", "room": "room", "room no": "room", "room no.": "room",
    "flat": "room", "apartment": "room",
    "地址": "address", "房屋地址": "address", "房屋": "address", "房产": "address",
    "房屋编号": "address", "房屋坐落": "address", "住址": "address", "address": "address",
    "业主姓名": "name", "姓名": "name", "业主": "name", "住户姓名": "name", "户主": "name",
    "户主姓名": "name", "客户姓名": "name", "联系人": "name", "业主名称": "name",
    "name": "name", "owner": "name", "owner name": "name", "resident": "name",
    "resident name": "name",
    "电话": "phone", "联系电话": "phone", "手机": "phone", "手机号": "phone", "手机号码": "phone",
    "电话号码": "phone", "联系方式": "phone", "业主电话": "phone", "phone": "phone",
    "mobile": "phone", "tel": "phone", "telephone": "phone", "phone number": "phone",
    "备用电话": "phone2", "其他电话": "phone2", "其它电话": "phone2", "电话2": "phone2",
    "联系电话2": "phone2", "第二联系电话": "phone2", "紧急联系电话": "phone2",
    "固定电话": "phone2", "座机": "phone2", "phone 2": "phone2", "phone2": "phone2",
    "other phone": "phone2", "alternate phone": "phone2", "landline": "phone2",
    "身份": "relation", "住户身份": "relation", "住户类型": "relation", "业主/租户": "relation",
    "与业主关系": "relation", "关系": "relation", "relation": "relation", "role": "relation",
    "resident type": "relation",
}  # fmt: skip
LABEL = {"building": "楼栋 (building)", "unit": "单元 (unit)", "room": "房号 (room)",
         "name": "业主姓名 (name)", "address": "地址 (address)"}  # fmt: skip
RELATION: dict[str, str] = {
    "业主": "owner", "产权人": "owner", "房主": "owner", "户主": "owner", "owner": "owner",
    "租户": "tenant", "租客": "tenant", "承租人": "tenant", "tenant": "tenant", "renter": "tenant",
    "家属": "family", "家庭成员": "family", "亲属": "family", "同住人": "family",
    "family": "family", "住户": "resident", "resident": "resident",
}  # fmt: skip
NO_NUMBER = {"无", "暂无", "-", "—", "/", "空", "none", "n/a", "na"}
_SEPARATORS = re.compile(r"[/,，;；、|\n]|或|\bor\b")
_NOTE = re.compile(r"[（(][^）)]*[）)]|[\u4e00-\u9fff]+")  # (本人), 妻, 手机: words beside a number
LIMITS = {"building": 16, "unit": 16, "room": 16, "name": 64}
CHUNK = 500


def field_of(header: Any) -> str | None:
    if header is None:
        return None
    key = words.header_key(header)
    return HEADERS.get(key) or HEADERS.get(re.sub(r"\s+", " ", key))


@dataclass
class RosterReport:
    file: str
    site: str
    rows: int = 0
    residents: int = 0
    homes: int = 0
    phones: int = 0
    buildings: int = 0
    carried: int = 0  # rows whose building (unit, room) is the row above's: merged cells
    errors: list[dict[str, Any]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    ignored_sheets: list[str] = field(default_factory=list)  # sheets without roster columns

    @property
    def ok(self) -> bool:
        return not self.errors


def phones_in(value: Any) -> list[str]:
    """The numbers in one cell, as digits: 138 1234 5678, 138-1234-5678, two in one cell
    (13812345678/13987654321, 、 ; or a space between two mobiles), 0571-88123456, a note
    beside a number (13812345678(本人)). A cell that holds no number is an error."""
    if value is None:
        return []
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).translate(words._FULLWIDTH).strip()
    if text.lower() in NO_NUMBER or not text:
        return []
    if not re.search(r"\d", text):  # 见备注, 打物业办公室: words where a number should be
        raise ValueError("is not a phone number")
    out: list[str] = []
    for piece in _SEPARATORS.split(text):
        piece = _NOTE.sub(" ", piece).strip()
        if not piece or piece.lower() in NO_NUMBER:
            continue
        tokens = [re.sub(r"[\-.()]", "", t) for t in piece.split()]
        if len(tokens) > 1 and all(re.fullmatch(r"\+?\d{7,}", t) for t in tokens):
            out += [n for t in tokens for n in phones_in(t)]  # 0571-88123456 13812345678
            continue
        bare = "".join(tokens)
        if not re.fullmatch(r"\+?\d+", bare):
            raise ValueError("is not a phone number")
        digits = bare.lstrip("+")
        for prefix in ("0086", "86"):
            if digits.startswith(prefix) and MOBILE.fullmatch(digits[len(prefix) :]):
                digits = digits[len(prefix) :]
        chunks = [digits[i : i + 11] for i in range(0, len(digits), 11)]
        if len(digits) > 11 and len(digits) % 11 == 0 and all(MOBILE.fullmatch(c) for c in chunks):
            out += chunks  # two mobiles with only a space between them
        elif _number(digits):
            out.append(digits)
        else:
            raise ValueError(f"has a number of {len(digits)} digits (a mobile has 11)")
    return list(dict.fromkeys(out))


def _number(digits: str) -> bool:
    """A mobile (11 digits), a landline with its area code (0571 88123456) or without it
    (88123456), a 400/800 line; a typo (a mobile a digit short or long) is not."""
    if MOBILE.fullmatch(digits):
        return True
    if digits.startswith("0"):
        return 10 <= len(digits) <= 12
    if digits.startswith(("400", "800")):
        return len(digits) == 10
    return 7 <= len(digits) <= 8 and not digits.startswith("1")


def _row(header: list[str], fields: list[str | None], row: list[Any], above: dict[str, Any] | None
         ) -> tuple[dict[str, Any], bool]:  # fmt: skip
    """One sheet row as a home and a resident; True when parts were carried from above."""
    if len(row) > len(header) and any(v not in (None, "") for v in row[len(header) :]):
        raise ValueError("more cells than headers")
    out: dict[str, Any] = {"phones": []}
    for h, f, value in zip(header, fields, row, strict=False):
        if f is None or value is None or (isinstance(value, str) and not value.strip()):
            continue
        if f in ("phone", "phone2"):
            try:
                out["phones"] += phones_in(value)
            except ValueError as exc:
                raise ValueError(f"{h} {exc}") from None  # never the number itself
        elif f in ("building", "unit", "room"):
            out[f] = words.address_part(f, value)
        elif f == "address":
            parts = words.split_address(value)
            if parts is None:
                raise ValueError(f"{h} {str(value).strip()!r} is not building-unit-room (3-2-1801)")
            for name, part in zip(("building", "unit", "room"), parts, strict=True):
                out.setdefault(name, part)
        elif f == "relation":
            key = str(value).strip().lower()
            if key not in RELATION:
                raise ValueError(f"{h} {str(value).strip()!r} is not 业主, 租户 or 家属 "
                                 "(owner, tenant, family)")  # fmt: skip
            out["relation"] = RELATION[key]
        else:
            out[f] = str(value).strip()
    if out.get("room") and not out.get("building") and not out.get("unit"):
        parts = words.split_address(out["room"])  # 房号 written as 3-2-1801
        if parts:
            out["building"], out["unit"], out["room"] = parts
    # a merged cell (楼栋 over its rooms, 房号 over a family) is blank below its first row:
    # a blank part is the row above's while every part before it is the row above's too
    carried = False
    if above is not None:
        for part in ("building", "unit", "room"):
            if out.get(part):
                if out[part] != above.get(part):
                    break
                continue
            if above.get(part) is None:
                break
            out[part], carried = above[part], True
    for part in ("building", "room"):
        if not out.get(part):
            raise ValueError(f"{LABEL[part]} is missing")
    for f, limit in LIMITS.items():
        if out.get(f) and len(out[f]) > limit:
            raise ValueError(f"{LABEL[f]} is {len(out[f])} characters long; at most {limit}")
    out["phones"] = list(dict.fromkeys(out["phones"]))
    return out, carried


def _building_title(title: str) -> str | None:
    """The building a sheet's title names (3栋, 3号楼, 12幢), or None (Sheet1, 说明)."""
    part = words.address_part("building", title)
    return part if part != title.strip() and part.isalnum() and len(part) <= 4 else None


def read_roster(
    path: Path, site: str = DEFAULT_SITE,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> tuple[RosterReport, list[dict[str, Any]]]:  # fmt: skip
    """Every row checked: the report (with every bad row) and the rows as homes."""
    tick = progress or (lambda stage, done, total: None)
    path = Path(path)
    if not path.is_file():
        raise TableError(f"{path}: no such file")
    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise TableError(f"{path}: give a .xlsx or .csv roster")
    sheets = _read_sheets(path, field_of)
    report = RosterReport(path.name, site)
    homes: list[dict[str, Any]] = []
    used = 0
    total = sum(len(rows) for _, _, rows in sheets)
    for title, header, rows in sheets:
        fields = [field_of(h) for h in header]
        if not ({"building", "address", "room"} & set(fields)):
            report.ignored_sheets.append(title)  # 说明, 统计: no homes on it
            continue
        report.rows += len(rows)
        report.ignored_columns += [h for h, f in zip(header, fields, strict=True)
                                   if h and f is None and h not in report.ignored_columns]  # fmt: skip
        where = {"sheet": title} if len(sheets) > 1 else {}
        above: dict[str, Any] | None = None  # the last good row: a merged cell's value
        if "building" not in fields and "address" not in fields and _building_title(title):
            above = {"building": _building_title(title)}  # one sheet per building, titled 3栋
        for n, row in rows:
            try:
                home, carried = _row(header, fields, row, above)
                home["row"] = n
                homes.append(home)
                report.carried += carried
                above = home
            except ValueError as exc:
                report.errors.append({**where, "row": n, "error": str(exc)})
            used += 1
            if used % CHUNK == 0 or used == total:
                tick("checking rows", used, total)
    if len(report.ignored_sheets) == len(sheets):
        raise TableError(f"{path}: no roster columns found (expected e.g. 楼栋, 单元, 房号, "
                         "业主姓名, 电话 or building, unit, room, name, phone)")  # fmt: skip
    if not homes and not report.errors:  # an empty roster would wipe the site's
        report.errors.append({"row": 0, "error": "no residents under the header"})
    report.residents = len(homes)
    report.homes = len({(h["building"], h.get("unit"), h["room"]) for h in homes})
    report.buildings = len({h["building"] for h in homes})
    report.phones = sum(len(h["phones"]) for h in homes)
    return report, homes


def import_roster(
    session: Session, path: Path, site: str = DEFAULT_SITE, by: str = "import",
    progress: Callable[[str, int, int | None], None] | None = None,
) -> RosterReport:  # fmt: skip
    """Check every row, then replace the site's roster with the file's (the caller commits);
    with any bad row nothing is written."""
    tick = progress or (lambda stage, done, total: None)
    report, homes = read_roster(path, site, progress)
    if not report.ok:
        return report
    session.execute(delete(Roster).where(Roster.site == site))  # residents, phones cascade
    session.flush()
    roster = Roster(site=site, file=Path(path).name[:255], imported_at=utcnow(), imported_by=by)
    session.add(roster)
    session.flush()
    add_people = insert(RosterResident).returning(RosterResident.id, sort_by_parameter_order=True)
    for start in range(0, len(homes), CHUNK):  # Core bulk inserts: the ORM's units of work
        part = homes[start : start + CHUNK]  # take minutes on a 15,000-home roster
        ids = session.scalars(add_people, [
            {"roster_id": roster.id, "building": h["building"], "unit": h.get("unit"),
             "room": h["room"], "name": h.get("name"), "relation": h.get("relation"),
             "row": h["row"]} for h in part]).all()  # fmt: skip
        phones = [{"roster_id": roster.id, "resident_id": rid, "phone": number,
                   "key": phone_key(number) or number[-8:]}
                  for rid, h in zip(ids, part, strict=True) for number in h["phones"]]  # fmt: skip
        if phones:
            session.execute(insert(RosterPhone), phones)
        tick("storing residents", start + len(part), len(homes))
    return report


def _roster_id(session: Session, site: str) -> int | None:
    return session.scalar(select(Roster.id).where(Roster.site == site))


# layouts already built, by database, roster and import time: a draft per call would
# otherwise read every home of a 15,000-home roster again
_layouts: dict[tuple[str, int, Any], Layout] = {}


def roster_layout(session: Session, site: str = DEFAULT_SITE) -> Layout | None:
    """The layout the site's roster implies; None when the site has no roster."""
    found = session.execute(select(Roster.id, Roster.imported_at).where(Roster.site == site)).first()
    if found is None:
        return None
    key = (str(session.get_bind().url), found[0], found[1])
    if key not in _layouts:
        q = select(RosterResident.building, RosterResident.unit, RosterResident.room).where(
            RosterResident.roster_id == found[0]
        )
        if len(_layouts) >= 32:
            _layouts.clear()
        _layouts[key] = Layout.of(RosterHome(b, u, r) for b, u, r in session.execute(q.distinct()))
    return _layouts[key]


def residents_for(session: Session, number: str | None, site: str = DEFAULT_SITE) -> list[RosterHome]:
    """Everyone on the site's roster reachable on this number (any spelling of it)."""
    key = phone_key(number)
    rid = _roster_id(session, site) if key else None
    if rid is None:
        return []
    ids = select(RosterPhone.resident_id).where(RosterPhone.roster_id == rid, RosterPhone.key == key)
    people = session.scalars(
        select(RosterResident).where(RosterResident.id.in_(ids)).order_by(RosterResident.row)
    ).all()
    return [RosterHome(p.building, p.unit, p.room, p.name, p.relation) for p in people]


def roster_summary(session: Session, site: str | None = None) -> list[dict[str, Any]]:
    """Per site: the file, when, and how many residents, homes, buildings and numbers."""
    q = select(Roster).order_by(Roster.site)
    if site is not None:
        q = q.where(Roster.site == site)
    out = []
    for r in session.scalars(q):
        res = select(RosterResident).where(RosterResident.roster_id == r.id).subquery()
        homes = select(res.c.building, res.c.unit, res.c.room).distinct().subquery()
        out.append({
            "site": r.site, "file": r.file, "imported_at": r.imported_at.isoformat(),
            "imported_by": r.imported_by,
            "residents": session.scalar(select(func.count()).select_from(res)),
            "homes": session.scalar(select(func.count()).select_from(homes)),
            "buildings": session.scalar(select(func.count(res.c.building.distinct()))),
            "phones": session.scalar(select(func.count()).where(RosterPhone.roster_id == r.id)),
        })  # fmt: skip
    return out
