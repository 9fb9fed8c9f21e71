"""How front desks write their 台账 in Excel: header names, status words, yes/no, rooms, times.

A spreadsheet kept by hand says the same thing many ways (结案, 已结案, 办结 and 已关闭 all
close a case; a room is 301 or 301室; the date and the time sit in two columns). Each value
written another way is mapped to the ledger's own value and the import report lists every
mapping, so a supervisor sees what was read how. A value that matches no known spelling is
still an error naming the row: accepting more spellings never means guessing.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

# header (as written, spaces ignored, English lower case) → ledger field.
# "_date": a column holding only the day, which any time-of-day column in the row completes.
HEADERS: dict[str, str] = {
    # when
    "登记时间": "created_at", "registered at": "created_at", "时间": "created_at",
    "受理时间": "created_at", "接报时间": "created_at", "报修时间": "created_at",
    "登记日期时间": "created_at",
    "来电时间": "call_at", "来访时间": "call_at", "call at": "call_at", "call time": "call_at",
    "日期": "_date", "登记日期": "_date", "来电日期": "_date", "受理日期": "_date", "date": "_date",
    "派单时间": "dispatched_at", "派工时间": "dispatched_at", "dispatched at": "dispatched_at",
    "完成时间": "returned_at", "返单时间": "returned_at", "完工时间": "returned_at",
    "处理完成时间": "returned_at", "returned at": "returned_at", "completed at": "returned_at",
    "done at": "returned_at", "finished at": "returned_at",
    "结案时间": "closed_at", "关闭时间": "closed_at", "closed at": "closed_at",
    "回访时间": "callback_at", "callback at": "callback_at",
    # who, where
    "来源": "source", "来源方式": "source", "来源渠道": "source", "受理方式": "source",
    "受理渠道": "source", "来电/来访": "source", "来电来访": "source", "方式": "source",
    "渠道": "source", "source": "source", "channel": "source",
    "电话": "caller_phone", "联系电话": "caller_phone", "来电号码": "caller_phone",
    "手机": "caller_phone", "手机号": "caller_phone", "phone": "caller_phone",
    "姓名": "caller_name", "业主姓名": "caller_name", "来电人": "caller_name",
    "联系人": "caller_name", "客户姓名": "caller_name", "name": "caller_name",
    "楼栋": "building", "栋": "building", "楼号": "building", "栋号": "building",
    "building": "building",
    "单元": "unit", "单元号": "unit", "unit": "unit",
    "房号": "room", "房间": "room", "室": "room", "房间号": "room", "room": "room",
    "地址": "address", "房屋地址": "address", "业主地址": "address", "住址": "address",
    "报修地址": "address", "address": "address",
    "公共区域": "public_area", "public area": "public_area",
    # what
    "类别": "category", "分类": "category", "类型": "category", "事项类别": "category",
    "category": "category",
    "内容": "content", "事由": "content", "登记内容": "content", "来电内容": "content",
    "事项内容": "content", "报修内容": "content", "content": "content",
    "紧急": "urgent", "是否紧急": "urgent", "紧急程度": "urgent", "urgent": "urgent",
    "派单部门": "department", "部门": "department", "处理部门": "department",
    "责任部门": "department", "department": "department",
    "状态": "status", "处理状态": "status", "进度": "status", "status": "status",
    "工单号": "work_order_no", "工单编号": "work_order_no", "派工单号": "work_order_no",
    "work order": "work_order_no",
    "回访结果": "callback_result", "回访情况": "callback_result", "满意度": "callback_result",
    "callback result": "callback_result",
}  # fmt: skip
# columns a ledger carries that the audit does not need: read and left alone, without a word
IGNORED = {"序号", "编号", "no", "no.", "#", "备注", "登记人", "受理人", "接听人", "值班人",
           "处理人", "维修人", "签字", "remark", "remarks", "note", "notes"}  # fmt: skip

# what ledgers write for a case's state → the entry's lifecycle status
STATUS: dict[str, str] = {
    "草稿": "draft", "draft": "draft",
    "登记": "registered", "已登记": "registered", "待派单": "registered", "待处理": "registered",
    "registered": "registered",
    "派单": "dispatched", "已派单": "dispatched", "派工": "dispatched", "已派工": "dispatched",
    "dispatched": "dispatched",
    "处理中": "in_progress", "跟进": "in_progress", "跟进中": "in_progress",
    "跟进处理": "in_progress", "维修中": "in_progress", "in_progress": "in_progress",
    "in progress": "in_progress",
    "返单": "returned", "已返单": "returned", "returned": "returned",
    "已回访": "called_back", "回访": "called_back", "called_back": "called_back",
    "called back": "called_back",
    "结案": "closed", "已结案": "closed", "办结": "closed", "已办结": "closed", "完成": "closed",
    "已完成": "closed", "已处理": "closed", "处理完毕": "closed", "关闭": "closed",
    "已关闭": "closed", "closed": "closed", "done": "closed", "completed": "closed",
}  # fmt: skip
STATUS_TO_ZH = {
    "draft": "草稿", "registered": "已登记", "dispatched": "已派单", "in_progress": "处理中",
    "returned": "已返单", "called_back": "已回访", "closed": "已关闭",
}  # fmt: skip
# a callback result: written in its own column, or as the status of a case called back
CALLBACK_RESULT: dict[str, str] = {
    "满意": "satisfied", "非常满意": "satisfied", "satisfied": "satisfied",
    "基本满意": "basically_satisfied", "basically_satisfied": "basically_satisfied",
    "basically satisfied": "basically_satisfied",
    "不满意": "not_satisfied", "not_satisfied": "not_satisfied", "not satisfied": "not_satisfied",
}  # fmt: skip
CALLBACK_RESULT_TO_ZH = {"satisfied": "满意", "basically_satisfied": "基本满意",
                         "not_satisfied": "不满意"}  # fmt: skip
SOURCE: dict[str, str] = {
    "来电": "来电", "电话": "来电", "电话报修": "来电", "电话投诉": "来电", "热线": "来电",
    "phone": "来电", "call": "来电",
    "来访": "来访", "上门": "来访", "到访": "来访", "现场": "来访", "前台来访": "来访",
    "walk-in": "来访", "visit": "来访",
}  # fmt: skip
URGENT: dict[str, bool] = {
    "是": True, "紧急": True, "急": True, "特急": True, "加急": True, "非常紧急": True,
    "√": True, "✓": True, "yes": True, "y": True, "true": True, "1": True,
    "否": False, "不紧急": False, "非紧急": False, "一般": False, "普通": False, "正常": False,
    "×": False, "no": False, "n": False, "false": False, "0": False,
}  # fmt: skip
# the product's own spellings: reading these is not worth a line in the report
CANONICAL = {
    "status": set(STATUS_TO_ZH.values()) | set(STATUS_TO_ZH),
    "source": {"来电", "来访"},
    "urgent": {"是", "否", "yes", "no"},
    "callback_result": set(CALLBACK_RESULT_TO_ZH.values()) | set(CALLBACK_RESULT_TO_ZH),
}

DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                    "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M", "%Y年%m月%d日 %H:%M:%S",
                    "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H:%M", "%Y年%m月%d日 %H时%M分",
                    "%Y%m%d %H:%M")  # fmt: skip
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
TIME_FORMATS = ("%H:%M:%S", "%H:%M", "%H时%M分", "%H点%M分", "%H时%M分%S秒", "%H点%M")


def header_key(h: Any) -> str:
    """A header as written, compared without spaces (Chinese) or case (English)."""
    text = str(h).replace("\u3000", " ").strip().lower()
    text = re.sub(r"[（(][^）)]*[）)]$", "", text).strip()  # 房号(室) / 日期（年月日）
    return text if text.isascii() else text.replace(" ", "")


def field_of(header: Any) -> str | None:
    if header is None:
        return None
    key = header_key(header)
    return HEADERS.get(key) or HEADERS.get(re.sub(r"\s+", " ", key))


def moment(value: Any) -> datetime | date | time:
    """A cell as a full datetime, a day alone, or a time of day alone."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return value
    if isinstance(value, time):
        return value
    text = re.sub(r"\s+", " ", str(value).strip().replace("：", ":"))
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmts, kind in ((DATETIME_FORMATS, "dt"), (DATE_FORMATS, "d"), (TIME_FORMATS, "t")):
        for fmt in fmts:
            try:
                dt = datetime.strptime(text, fmt)
            except ValueError:
                continue
            return dt if kind == "dt" else dt.date() if kind == "d" else dt.time()
    raise ValueError(f"cannot read the time {text!r} (e.g. 2026-11-01 08:30)")


# 4-2-301, 4栋2单元301室, 4号楼2单元301, 4幢2-301
ADDRESS = re.compile(
    r"^\s*(\d+)\s*(?:栋|幢|号楼|座|-|—)\s*(\d+)\s*(?:单元|-|—)\s*(\d+)\s*(?:室|号|房)?\s*$"
)
_SUFFIX = {"building": ("号楼", "栋", "幢", "座", "楼", "号"), "unit": ("单元",),
           "room": ("室", "号", "房")}  # fmt: skip


def address_part(f: str, value: Any) -> str:
    """A building, unit or room cell as the ledger keeps it: digits without 栋/单元/室."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip().translate(_FULLWIDTH)
    for suffix in _SUFFIX[f]:
        if text.endswith(suffix) and text[: -len(suffix)].strip():
            return text[: -len(suffix)].strip()
    return text


_FULLWIDTH = str.maketrans("０１２３４５６７８９－", "0123456789-")


def split_address(value: Any) -> tuple[str, str, str] | None:
    m = ADDRESS.match(str(value).translate(_FULLWIDTH))
    return (m.group(1), m.group(2), m.group(3)) if m else None


def phone(value: Any) -> str:
    """A number as digits: 138 1234 5678, 138-1234-5678 and 0571-88123456 are written for
    people; a cell that is not a number is kept as written."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip().translate(_FULLWIDTH)
    bare = re.sub(r"[\s\-()（）]", "", text)
    return bare if re.fullmatch(r"\+?\d{3,}", bare) else text
