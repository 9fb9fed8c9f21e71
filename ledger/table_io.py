"""The ledger as front desks keep it in Excel: CSV and XLSX, Chinese or English headers.

Import validates every row first and writes all of a file or none of it; each row gets
an ``import_key`` (its work-order number, or a hash of its content), so importing the
same sheet again changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.cells import csv_row, from_csv_cell, xlsx_text_cells
from ledger.models import LedgerEntry

# field, Chinese header, English header
COLUMNS: list[tuple[str, str, str]] = [
    ("created_at", "登记时间", "registered at"),
    ("source", "来源", "source"),
    ("caller_phone", "电话", "phone"),
    ("caller_name", "姓名", "name"),
    ("building", "楼栋", "building"),
    ("unit", "单元", "unit"),
    ("room", "房号", "room"),
    ("public_area", "公共区域", "public area"),
    ("category", "类别", "category"),
    ("content", "内容", "content"),
    ("urgent", "紧急", "urgent"),
    ("department", "派单部门", "department"),
    ("status", "状态", "status"),
    ("work_order_no", "工单号", "work order"),
    ("callback_at", "回访时间", "callback at"),
    ("callback_result", "回访结果", "callback result"),
]
ALIASES = {
    "时间": "created_at", "来电时间": "created_at", "日期": "created_at", "联系电话": "caller_phone",
    "业主姓名": "caller_name", "栋": "building", "楼号": "building", "房间": "room", "室": "room",
    "分类": "category", "事由": "content", "登记内容": "content", "部门": "department",
    "处理状态": "status", "工单编号": "work_order_no",
}  # fmt: skip
HEADER_TO_FIELD = {
    **{zh: f for f, zh, _ in COLUMNS},
    **{en: f for f, _, en in COLUMNS},
    **{f: f for f, _, _ in COLUMNS},
    **ALIASES,
}
STATUS_ZH = {
    "草稿": "draft", "已登记": "registered", "已派单": "dispatched", "处理中": "in_progress",
    "已返单": "returned", "已回访": "called_back", "已关闭": "closed", "已完成": "closed",
}  # fmt: skip
STATUS_TO_ZH = {v: k for k, v in STATUS_ZH.items() if k != "已完成"}
CATEGORIES = {"报修", "投诉", "咨询", "求助", "建议"}
SOURCES = {"来电", "来访"}
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d %H:%M")  # fmt: skip


class TableError(ValueError):
    pass


@dataclass
class ImportReport:
    file: str
    rows: int = 0
    imported: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _read_rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise TableError(f"{path}: not a readable XLSX workbook ({exc})") from None
        rows = list(wb.active.iter_rows(values_only=True))
        if not rows:
            return []
        header = [str(h).strip() if h is not None else "" for h in rows[0]]
        return [
            dict(zip(header, r, strict=False))
            for r in rows[1:]
            if any(v not in (None, "") for v in r)
        ]
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK unless told otherwise
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError(f"{path}: neither UTF-8 nor GB18030 text")
    reader = csv.DictReader(io.StringIO(text))
    rows = [r for r in reader if any((v or "").strip() for v in r.values() if isinstance(v, str))]
    return [{k: from_csv_cell(v) for k, v in r.items()} for r in rows]  # our own '=… back


def _time(value: Any, tz: tzinfo) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value).strip()
        dt = None
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            for fmt in TIME_FORMATS:
                try:
                    dt = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
        if dt is None:
            raise ValueError(f"cannot read the time {text!r} (e.g. 2026-11-01 08:30)")
    return (dt.replace(tzinfo=tz) if dt.tzinfo is None else dt).astimezone(UTC)


def _row_to_fields(row: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for header, value in row.items():
        if header is None:
            raise ValueError("more cells than headers")
        f = HEADER_TO_FIELD.get(str(header).strip())
        if f is None or value is None:
            continue
        v = value.strip() if isinstance(value, str) else value
        if v == "":
            continue
        if f in ("created_at", "callback_at"):
            v = _time(v, tz)
        elif f == "urgent":
            v = str(v).strip().lower() in ("是", "紧急", "1", "true", "yes", "y")
        elif f == "status":
            v = STATUS_ZH.get(str(v), str(v))
            if v not in STATUS_TO_ZH:
                raise ValueError(f"unknown status {value!r}")
        elif f == "category":
            if v not in CATEGORIES:
                raise ValueError(f"unknown category {value!r} (报修, 投诉, 咨询, 求助, 建议)")
        elif f == "source":
            if v not in SOURCES:
                raise ValueError(f"unknown source {value!r} (来电 or 来访)")
        elif f in ("building", "unit", "room"):
            v = str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
        else:
            v = str(v)
        out[f] = v
    for f, v in out.items():  # PostgreSQL enforces column lengths; say so per row, not at commit
        limit = getattr(LedgerEntry.__table__.c[f].type, "length", None)
        if limit and isinstance(v, str) and len(v) > limit:
            zh = next(z for name, z, _ in COLUMNS if name == f)
            raise ValueError(f"{zh} ({f}) is {len(v)} characters long; at most {limit}")
    if "created_at" not in out:
        raise ValueError("登记时间 (registered at) is missing")
    if not (out.get("content") or out.get("category")):
        raise ValueError("neither 内容 (content) nor 类别 (category) is filled in")
    return out


def _key(fields: dict[str, Any]) -> str:
    if fields.get("work_order_no"):
        return "wo:" + fields["work_order_no"]
    parts = [
        str(fields.get(k) or "")
        for k in ("created_at", "caller_phone", "building", "unit", "room", "content")
    ]
    return "h:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def import_entries(
    session: Session, path: Path, by: str = "import", tz: tzinfo | None = None
) -> ImportReport:
    """Validate every row, then write all of them or none (the caller commits)."""
    path = Path(path)
    tz = tz or datetime.now().astimezone().tzinfo
    report = ImportReport(str(path))
    if not path.is_file():
        raise TableError(f"{path}: no such file")
    rows = _read_rows(path)
    report.rows = len(rows)
    if rows and not any(HEADER_TO_FIELD.get(str(h).strip()) for h in rows[0] if h is not None):
        raise TableError(
            f"{path}: no known column headers (expected e.g. {', '.join(zh for _, zh, _ in COLUMNS[:6])} …)"
        )
    parsed = []
    for n, row in enumerate(rows, start=2):  # row 1 is the header, as Excel numbers them
        try:
            parsed.append((n, _row_to_fields(row, tz)))
        except ValueError as exc:
            report.errors.append({"row": n, "error": str(exc)})
    if report.errors:
        return report
    _check_work_orders(session, parsed, report)
    if report.errors:
        return report
    keys = [_key(f) for _, f in parsed]
    existing: set[str] = set()
    for i in range(0, len(keys), 5000):  # SQLite caps the parameters of one statement
        part = keys[i : i + 5000]
        existing.update(
            session.scalars(select(LedgerEntry.import_key).where(LedgerEntry.import_key.in_(part)))
        )
    seen: set[str] = set()
    for (_n, f), key in zip(parsed, keys, strict=True):
        if key in existing or key in seen:
            report.unchanged += 1
            continue
        seen.add(key)
        status = f.pop("status", "registered")
        e = LedgerEntry(status=status, import_key=key, registered_by=by, **f)
        e.source = f.get("source", "来电")
        e.summary = (f.get("content") or "")[:60]
        if status != "draft":
            e.registered_at = f["created_at"]
        session.add(e)
        report.imported += 1
    session.flush()
    return report


def _check_work_orders(session: Session, parsed: list, report: ImportReport) -> None:
    """A work-order number names one entry: twice in the file, or already on an entry
    this import did not make, is an error for that row (never a silent drop, never the
    database's refusal at commit)."""
    first: dict[str, int] = {}
    for n, f in parsed:
        wo = f.get("work_order_no")
        if not wo:
            continue
        if wo in first:
            report.errors.append({"row": n, "error": f"工单号 work order {wo} is also on row {first[wo]}"})
        else:
            first[wo] = n
    numbers = list(first)
    for i in range(0, len(numbers), 5000):
        q = select(LedgerEntry.id, LedgerEntry.work_order_no, LedgerEntry.import_key).where(
            LedgerEntry.work_order_no.in_(numbers[i : i + 5000])
        )
        for entry_id, wo, key in session.execute(q):
            if key != "wo:" + wo:  # not this file's own row imported before
                report.errors.append({"row": first[wo], "error":
                                      f"工单号 work order {wo} already belongs to entry #{entry_id}"})  # fmt: skip
    report.errors.sort(key=lambda e: e["row"])


def export_entries(session: Session, path: Path, lang: str = "zh", tz: tzinfo | None = None) -> int:
    """Write every entry, oldest first; times in local time as front desks read them."""
    tz = tz or datetime.now().astimezone().tzinfo
    header = [zh if lang == "zh" else en for _, zh, en in COLUMNS]
    rows = []
    for e in session.scalars(select(LedgerEntry).order_by(LedgerEntry.created_at, LedgerEntry.id)):
        row = []
        for f, _, _ in COLUMNS:
            v = getattr(e, f)
            if isinstance(v, datetime):
                v = v.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
            elif f == "urgent":
                v = ("是" if v else "否") if lang == "zh" else ("yes" if v else "no")
            elif f == "status" and lang == "zh":
                v = STATUS_TO_ZH.get(v, v)
            row.append("" if v is None else v)
        rows.append(row)
    path = Path(path)
    # A fresh temporary name (O_EXCL, 0600): a fixed <name>.tmp could be a planted symlink.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _write_table(tmp, path.suffix.lower(), lang, header, rows)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return len(rows)


def _write_table(tmp: Path, suffix: str, lang: str, header: list[str], rows: list[list]) -> None:
    if suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "台账" if lang == "zh" else "ledger"
        ws.append(header)
        for r in rows:
            ws.append(r)
            xlsx_text_cells(ws[ws.max_row])  # text, never a live formula
        wb.save(tmp)
    else:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:  # BOM: Excel opens it right
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(csv_row(r) for r in rows)  # '=… as text, never a live formula
