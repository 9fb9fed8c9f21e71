"""A site's community roster imported from the property company's own sheet (SQLite and
PostgreSQL): all rows or none, re-import replaces, lookups by any spelling of a number."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from domain.intake import Address
from ledger.db import open_database
from ledger.models import Roster, RosterPhone, RosterResident
from ledger.roster import import_roster, phones_in, residents_for, roster_layout, roster_summary
from ledger.table_io import TableError
from tests.ledger.roster_sheets import (
    ENGLISH_CSV,
    HOMES,
    PHONES,
    RESIDENTS,
    ROWS,
    write_roster_xlsx,
)


@pytest.fixture
def db(db_url):
    return open_database(db_url)


def _counts(s) -> tuple[int, int, int]:
    return tuple(s.scalar(select(func.count()).select_from(t)) for t in (Roster, RosterResident, RosterPhone))


def test_a_company_xlsx_roster_with_merged_cells_is_read_whole(db, tmp_path):
    f = write_roster_xlsx(tmp_path / "阳光花园业主名册.xlsx")
    stages = []
    with db() as s:
        r = import_roster(s, f, progress=lambda stage, done, total: stages.append((stage, done, total)))
        s.commit()
        assert r.ok, r.errors
        assert (r.residents, r.homes, r.phones, r.buildings) == (RESIDENTS, HOMES, PHONES, 2)
        assert r.carried == 8  # every row under a merged 楼栋 (and the wife under the room)
        assert r.ignored_columns == ["序号", "建筑面积(㎡)", "备注"]
        assert ("checking rows", RESIDENTS, RESIDENTS) in stages
        assert ("storing residents", RESIDENTS, RESIDENTS) in stages
        # the wife under the owner's merged room cell lives at 3-2-1801 too
        [li] = residents_for(s, "13700001111")
        assert (li.code(), li.name, li.relation) == ("3-2-1801", "李梅", "family")
        assert residents_for(s, "13987654321") == [li]
        # the caller's number as a PBX or trunk writes it, the landline without its area code
        for number in ("+8613812345678", "008613812345678", "013812345678", "88123456"):
            assert [h.name for h in residents_for(s, number)] == ["王建国"], number
        assert [h.code() for h in residents_for(s, "13500000102")] == ["3-1-102"]  # typed as a number
        assert residents_for(s, "13800000000") == [] and residents_for(s, "8001") == []
        layout = roster_layout(s)
        assert layout.problem(Address("3", "2", "1801")) is None
        assert layout.problem(Address("3", None, "2805")) == "room 2805 does not exist in building 3 (top floor 18)"
        assert layout.problem(Address("3", "2", "1805")) == (
            "room 1805 does not exist in building 3 unit 2 (rooms 01, 02 on each floor)")
        assert layout.problem(Address("5", "1", "701")) == "room 701 does not exist in building 5 unit 1 (top floor 6)"
        assert layout.problem(Address("5", "2", "301")) == "building 5 has no unit 2 (units 1)"
        assert "building 9 does not exist" in layout.problem(Address("9", "1", "101"))
        assert layout.problem(Address("3", "1", "1502")) is None  # not listed, but could exist
        [summary] = roster_summary(s)
        assert summary["site"] == "default" and summary["file"] == "阳光花园业主名册.xlsx"
        assert (summary["residents"], summary["homes"], summary["phones"]) == (RESIDENTS, HOMES, PHONES)


def test_an_english_csv_roster_with_a_title_row(db, tmp_path):
    f = tmp_path / "roster.csv"
    f.write_text(ENGLISH_CSV, encoding="utf-8")
    with db() as s:
        r = import_roster(s, f, site="sunny")
        s.commit()
        assert r.ok, r.errors
        assert (r.residents, r.phones) == (3, 4)
        assert [h.code() for h in residents_for(s, "057188123456", site="sunny")] == ["3-2-1801"]
        assert residents_for(s, "13812345678") == []  # the default site has no roster
        assert roster_layout(s) is None and roster_layout(s, "sunny") is not None


def test_a_gbk_csv_roster_in_chinese(db, tmp_path):
    """Excel in China saves CSV as GBK; 地址 written 3-2-1801 in one column."""
    f = tmp_path / "名册.csv"
    f.write_bytes("地址,姓名,手机,身份\n3-2-1801,王建国,13812345678,业主\n5栋1单元602,郑浩,15000005602,租客\n"
                  .encode("gb18030"))  # fmt: skip
    with db() as s:
        r = import_roster(s, f)
        s.commit()
        assert r.ok, r.errors
        assert [h.relation for h in residents_for(s, "15000005602")] == ["tenant"]
        assert [h.code() for h in residents_for(s, "13812345678")] == ["3-2-1801"]


def test_broken_rows_are_named_and_nothing_is_stored(db, tmp_path):
    with db() as s:
        assert import_roster(s, write_roster_xlsx(tmp_path / "old.xlsx")).ok
        s.commit()
        before = _counts(s)
    rows = list(ROWS)
    rows[3] = ("3栋", "1单元", "1802", "孙丽", "打物业办公室", None, "业主")  # no number in 联系电话
    rows[4] = (None, "2单元", None, "周强", "136 0000 0201", None, "业主")  # no room, unit changed
    rows[9] = (None, None, "602", "郑浩", "150 0000 5602", None, "房东")  # unknown relation
    bad = write_roster_xlsx(tmp_path / "bad.xlsx", rows)
    with db() as s:
        r = import_roster(s, bad)
        assert not r.ok
        s.rollback()
        assert [e["row"] for e in r.errors] == [6, 7, 12]  # as Excel numbers them
        assert r.errors[0]["error"] == "联系电话 is not a phone number"
        assert r.errors[1]["error"] == "房号 (room) is missing"
        assert "房东" in r.errors[2]["error"]
        assert "孙丽" not in str(r.errors)  # row and column, not residents' data
    with db() as s:
        assert _counts(s) == before  # the old roster stands, whole
        assert [h.name for h in residents_for(s, "13812345678")] == ["王建国"]


def test_a_sheet_that_is_no_roster_is_refused(db, tmp_path):
    f = tmp_path / "ledger.csv"
    f.write_text("登记时间,内容\n2026-11-01 08:00,水管漏了\n", encoding="utf-8")
    with db() as s, pytest.raises(TableError, match="no roster columns"):
        import_roster(s, f)


def test_reimport_replaces_the_sites_roster_and_leaves_other_sites_alone(db, tmp_path):
    f = write_roster_xlsx(tmp_path / "r.xlsx")
    moved = tmp_path / "moved.csv"
    moved.write_text("楼栋,单元,房号,业主姓名,电话\n5,1,101,王建国,13812345678\n", encoding="utf-8")
    with db() as s:
        assert import_roster(s, f).ok and import_roster(s, f, site="other").ok
        s.commit()
        assert import_roster(s, moved).ok
        s.commit()
        assert [h.code() for h in residents_for(s, "13812345678")] == ["5-1-101"]
        assert residents_for(s, "13987654321") == []  # the old roster is gone, not merged
        assert [h.code() for h in residents_for(s, "13812345678", site="other")] == ["3-2-1801"]
        assert {r["site"]: r["residents"] for r in roster_summary(s)} == {"default": 1, "other": RESIDENTS}


@pytest.mark.parametrize("cell, numbers", [
    ("138 1234 5678", ["13812345678"]),
    ("139-8765-4321/137 0000 1111", ["13987654321", "13700001111"]),
    ("13812345678、13987654321", ["13812345678", "13987654321"]),
    ("138 1234 5678 139 8765 4321", ["13812345678", "13987654321"]),
    ("0571-88123456 13812345678", ["057188123456", "13812345678"]),
    ("13812345678(本人)；13987654321(妻)", ["13812345678", "13987654321"]),
    (13812345678.0, ["13812345678"]),
    ("+86 138 1234 5678", ["13812345678"]),
    ("无", []),
])  # fmt: skip
def test_numbers_as_offices_write_them(cell, numbers):
    assert phones_in(cell) == numbers


@pytest.mark.parametrize("cell", ["见备注", "12345", "1381234567890", "138 1234 567", "138 1234 5678 转 8"])
def test_a_cell_that_holds_no_number_is_an_error(cell):
    with pytest.raises(ValueError):
        phones_in(cell)


def test_one_sheet_per_building_titled_by_it(db, tmp_path):
    """Offices often keep a sheet per building (3栋, 5号楼) without a 楼栋 column, and a notes
    sheet beside them; a bad row is named with its sheet."""
    from openpyxl import Workbook

    wb = Workbook()
    notes = wb.active
    notes.title = "说明"
    notes.append(["本名册仅供物业客服使用"])
    notes.append(["更新于 2026年11月"])
    for title, rows in (("3栋", [("2单元", "1801", "王建国", "138 1234 5678")]),
                        ("5号楼", [("1单元", "602", "郑浩", "150 0000 5602"), (None, "601", "吴敏", "150 0000 560")])):  # fmt: skip
        ws = wb.create_sheet(title)
        ws.append(["单元", "房号", "业主姓名", "手机号码"])
        for r in rows:
            ws.append(list(r))
    wb.save(tmp_path / "by_building.xlsx")
    with db() as s:
        r = import_roster(s, tmp_path / "by_building.xlsx")
        assert r.errors == [{"sheet": "5号楼", "row": 3, "error": "手机号码 has a number of 10 digits (a mobile has 11)"}]
        assert r.ignored_sheets == ["说明"]
        s.rollback()
        wb["5号楼"]["D3"] = "150 0000 5601"
        wb.save(tmp_path / "by_building.xlsx")
        r = import_roster(s, tmp_path / "by_building.xlsx")
        s.commit()
        assert r.ok and r.residents == 3
        assert [h.code() for h in residents_for(s, "15000005601")] == ["5-1-601"]
        assert [h.code() for h in residents_for(s, "13812345678")] == ["3-2-1801"]


def test_a_roster_with_no_residents_replaces_nothing(db, tmp_path):
    f = tmp_path / "empty.csv"
    f.write_text("楼栋,单元,房号,业主姓名,电话\n", encoding="utf-8")
    with db() as s:
        assert import_roster(s, write_roster_xlsx(tmp_path / "r.xlsx")).ok
        s.commit()
        r = import_roster(s, f)
        assert r.errors == [{"row": 0, "error": "no residents under the header"}]
        s.rollback()
        assert len(residents_for(s, "13812345678")) == 1
