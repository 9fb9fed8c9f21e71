"""Rosters in the shape property companies keep them, written with openpyxl for the tests.

阳光花园's 业主名册: a title row merged over the sheet, its own header words (序号, 楼栋, 单元,
房号, 业主姓名, 联系电话, 备用电话, 身份, 建筑面积, 备注), the building and unit cells merged
down their rooms (blank below the first row), a family member under the owner with the room
merged too, numbers written for people (138 1234 5678, 139-8765-4321) or typed as numbers,
two numbers in one cell, a landline with its area code.

Buildings 3 (units 1 and 2, 18 floors, rooms 01–02 on each floor) and 5 (one unit, 6 floors).
"""

from __future__ import annotations

from pathlib import Path

HEADER = ["序号", "楼栋", "单元", "房号", "业主姓名", "联系电话", "备用电话", "身份", "建筑面积(㎡)", "备注"]
# (building, unit, room, name, phone, phone 2, relation); None: a merged cell's blank
ROWS: list[tuple] = [
    ("3栋", "1单元", "101", "刘伟", "135 0000 0101", None, "业主"),
    (None, None, "102", "陈静", 13500000102, None, "业主"),
    (None, None, "1801", "赵磊", "135-0000-1801", None, "租户"),
    (None, None, "1802", "孙丽", "135 0000 1802", None, "业主"),
    (None, "2单元", "201", "周强", "136 0000 0201", None, "业主"),
    (None, None, "1801室", "王建国", "138 1234 5678", "0571-88123456", "业主"),
    (None, None, None, "李梅", "139-8765-4321/137 0000 1111", None, "家属"),  # his wife
    (None, None, "1802", "欧阳娜娜", "+86 186 0000 1802", None, "业主"),
    ("5栋", "1单元", "101", "吴敏", "150 0000 5101", None, "业主"),
    (None, None, "602", "郑浩", "150 0000 5602", None, "租户"),
]
RESIDENTS = len(ROWS)
HOMES = 9  # 王建国 and 李梅 share 3-2-1801
PHONES = 12


def write_roster_xlsx(path: Path, rows: list[tuple] = ROWS) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "业主名册"
    ws.append(["阳光花园业主名册（2026年11月）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    ws.append(HEADER)
    for n, (b, u, r, name, p1, p2, rel) in enumerate(rows, start=1):
        ws.append([n, b, u, r, name, p1, p2, rel, 89.5, None])
    # merge what the office merged: each building's cell over its rows, each unit's over its rooms
    _merge_runs(ws, column=2, first=3, values=[row[0] for row in rows])
    _merge_runs(ws, column=3, first=3, values=[row[1] for row in rows])
    _merge_runs(ws, column=4, first=3, values=[row[2] for row in rows])
    wb.save(path)
    return path


def _merge_runs(ws, column: int, first: int, values: list) -> None:
    start = None
    for i, v in enumerate([*values, "end"]):
        if v is not None:
            if start is not None and i - start > 1:
                ws.merge_cells(start_row=first + start, start_column=column,
                               end_row=first + i - 1, end_column=column)  # fmt: skip
            start = i


ENGLISH_CSV = """Sunny Garden residents,,,,,
Building,Unit,Room,Owner name,Phone,Relation
3,1,101,Liu Wei,135 0000 0101,owner
3,2,1801,王建国,138-1234-5678 / 0571 8812 3456,owner
5,1,602,Zheng Hao,15000005602,tenant
"""
