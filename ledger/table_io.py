"""The ledger as front desks keep it in Excel: CSV and XLSX, Chinese or English headers.

Import validates every row first and writes all of a file or none of it; each row gets
an ``import_key`` (its work-order number, or a hash of its content), so importing the
same sheet again changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.sites import DEFAULT_SITE
from domain.vocabulary import CATEGORIES
from ledger import sheet_words as words
from ledger.cells import csv_row, xlsx_text_cells
from ledger.models import LedgerEntry
from ledger.sheets import TableError, _read_rows  # TableError: importers catch it from here

# field, Chinese header, English header: what export writes (import also reads the
# spellings in ledger.sheet_words)
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
    ("returned_at", "返单时间", "returned at"),
    ("callback_at", "回访时间", "callback at"),
    ("callback_result", "回访结果", "callback result"),
]
STATUS_ZH = {zh: en for en, zh in words.STATUS_TO_ZH.items()}
STATUS_TO_ZH = words.STATUS_TO_ZH
TIMES = ("created_at", "call_at", "dispatched_at", "returned_at", "closed_at", "callback_at")
MAPPED = ("status", "source", "urgent", "callback_result", "building", "unit", "room")


@dataclass
class ImportReport:
    file: str
    rows: int = 0
    imported: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    # values written another way than the ledger's, and what they were read as:
    # {"column": "状态", "value": "已结案", "as": "closed", "rows": 12}
    mapped: list[dict[str, Any]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)  # imported, but worth a look

    @property
    def ok(self) -> bool:
        return not self.errors


def _local(dt: datetime, tz: tzinfo) -> datetime:
    return (dt.replace(tzinfo=tz) if dt.tzinfo is None else dt).astimezone(UTC)


def _row_to_fields(
    header: list[str], row: list[Any], tz: tzinfo, mapped: Counter | None = None
) -> dict[str, Any]:
    if len(row) > len(header) and any(v not in (None, "") for v in row[len(header) :]):
        raise ValueError("more cells than headers")
    out: dict[str, Any] = {}
    raw_times: dict[str, tuple[str, Any]] = {}
    for h, value in zip(header, row, strict=False):
        f = words.field_of(h)
        if f is None or value is None:
            continue
        v = value.strip() if isinstance(value, str) else value
        if v == "":
            continue
        if f in TIMES or f == "_date":
            if f in raw_times and f != "_date":
                raise ValueError(f"two columns give {f}: {raw_times[f][0]} and {h}")
            raw_times[f] = (h, v)
            continue
        key = str(v).strip().lower() if isinstance(v, str) else str(v).lower()
        if f == "urgent":
            if key not in words.URGENT:
                raise ValueError(f"{h} {value!r} is neither yes (是) nor no (否)")
            v = words.URGENT[key]
        elif f == "status":
            if key in words.CALLBACK_RESULT:  # 满意 as a status: called back, and how it went
                out.setdefault("callback_result", words.CALLBACK_RESULT[key])
                v = "called_back"
            elif key in words.STATUS:
                v = words.STATUS[key]
            else:
                raise ValueError(f"unknown status {value!r}")
        elif f == "callback_result":
            if key not in words.CALLBACK_RESULT:
                raise ValueError(f"{h} {value!r} is not 满意, 基本满意 or 不满意")
            v = words.CALLBACK_RESULT[key]
        elif f == "category":
            if v not in CATEGORIES:
                raise ValueError(f"unknown category {value!r} (报修, 投诉, 咨询, 求助, 建议)")
        elif f == "source":
            if key not in words.SOURCE:
                raise ValueError(f"unknown source {value!r} (来电 or 来访)")
            v = words.SOURCE[key]
        elif f in ("building", "unit", "room"):
            v = words.address_part(f, v)
        elif f == "caller_phone":
            v = words.phone(v)
        elif f == "address":
            parts = words.split_address(v)
            if parts is None:
                out.setdefault("public_area", str(v))
            else:
                for name, part in zip(("building", "unit", "room"), parts, strict=True):
                    out.setdefault(name, part)
            continue
        else:
            v = str(v)
        written = str(value).strip()
        if (mapped is not None and f in MAPPED and isinstance(value, str) and written != str(v)
                and written not in words.CANONICAL.get(f, ())):  # fmt: skip
            mapped[(h, written, "是" if v is True else "否" if v is False else v)] += 1
        out[f] = v
    if out.get("room") and not (out.get("building") or out.get("unit")):
        parts = words.split_address(out["room"])  # 房号 written as 4-2-301
        if parts:
            out["building"], out["unit"], out["room"] = parts
    _times(out, raw_times, tz)
    for f, v in out.items():  # PostgreSQL enforces column lengths; say so per row, not at commit
        col = LedgerEntry.__table__.c.get(f)
        limit = getattr(col.type, "length", None) if col is not None else None
        if limit and isinstance(v, str) and len(v) > limit:
            zh = next((z for name, z, _ in COLUMNS if name == f), f)
            raise ValueError(f"{zh} ({f}) is {len(v)} characters long; at most {limit}")
    if "created_at" not in out:
        raise ValueError("登记时间 (registered at) is missing")
    if not (out.get("content") or out.get("category")):
        raise ValueError("neither 内容 (content) nor 类别 (category) is filled in")
    return out


def _times(out: dict[str, Any], raw: dict[str, tuple[str, Any]], tz: tzinfo) -> None:
    """Times as aware UTC. A column with the day alone (日期) completes every column with a
    time of day alone (时间 10:42); 登记时间 and 来电时间 may both be given: the entry was
    created at the call and registered at 登记时间."""
    day: date | None = None
    anchor: datetime | None = None  # 登记时间 in full: the day of a call time typed as 08:07
    if "created_at" in raw:
        m = words.moment(raw["created_at"][1])
        if isinstance(m, datetime):
            anchor = m
    if "_date" in raw:
        h, v = raw["_date"]
        m = words.moment(v)
        if isinstance(m, datetime) and m.time() != time(0):
            raw.setdefault("created_at", (h, m))  # the 日期 column holds date and time
        elif isinstance(m, time):
            raise ValueError(f"{h} {v!r} is a time of day, not a date")
        else:
            day = m.date() if isinstance(m, datetime) else m
    for f, (h, v) in raw.items():
        if f == "_date":
            continue
        m = words.moment(v)
        if isinstance(m, time):
            if day is None and anchor is None:
                raise ValueError(f"{h} {v!r} has no date (and no 日期 column gives one)")
            m = datetime.combine(day or anchor.date(), m)
            if day is None and f == "call_at" and m - anchor > timedelta(hours=12):
                m -= timedelta(days=1)  # called at 23:58, registered at 00:02
        elif not isinstance(m, datetime):
            m = datetime.combine(m, time(0))
        out[f] = _local(m, tz)
    if "created_at" not in out and "call_at" in out:
        out["created_at"] = out["call_at"]
    elif "created_at" in out and "call_at" in out:
        out["registered_at"], out["created_at"] = out["created_at"], out["call_at"]
    elif "created_at" not in out and day is not None:
        out["created_at"] = _local(datetime.combine(day, time(0)), tz)
    out.pop("call_at", None)


def _key(fields: dict[str, Any], site: str = DEFAULT_SITE) -> str:
    if fields.get("work_order_no"):
        return "wo:" + fields["work_order_no"]
    parts = [
        str(fields.get(k) or "")
        for k in ("created_at", "caller_phone", "building", "unit", "room", "content")
    ]
    if site != DEFAULT_SITE:  # the same row in two sites' sheets is two entries
        parts.insert(0, site)
    return "h:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def import_entries(
    session: Session, path: Path, by: str = "import", tz: tzinfo | None = None,
    progress: Callable[[str, int, int | None], None] | None = None, site: str = DEFAULT_SITE,
) -> ImportReport:  # fmt: skip
    """Validate every row, then write all of them or none (the caller commits), into
    ``site`` (a site code). ``progress(stage, done, total)`` is told how far each stage is."""
    tick = progress or (lambda stage, done, total: None)
    path = Path(path)
    tz = tz or datetime.now().astimezone().tzinfo
    report = ImportReport(str(path))
    if not path.is_file():
        raise TableError(f"{path}: no such file")
    header, rows = _read_rows(path)
    report.rows = len(rows)
    if rows and not any(words.field_of(h) for h in header):
        raise TableError(
            f"{path}: no known column headers (expected e.g. {', '.join(zh for _, zh, _ in COLUMNS[:6])} …)"
        )
    report.ignored_columns = [h for h in header if h and not words.field_of(h)]
    mapped: Counter = Counter()
    parsed = []
    for i, (n, row) in enumerate(rows, start=1):
        try:
            parsed.append((n, _row_to_fields(header, row, tz, mapped)))
        except ValueError as exc:
            report.errors.append({"row": n, "error": str(exc)})
        if i % 500 == 0 or i == len(rows):
            tick("checking rows", i, len(rows))
    report.mapped = [{"column": h, "value": v, "as": to, "rows": k}
                     for (h, v, to), k in sorted(mapped.items(), key=lambda x: (x[0][0], -x[1]))]  # fmt: skip
    if report.errors:
        return report
    if any("urgent" in f for _, f in parsed):  # a 是否紧急 column in use: blank is "no"
        for _, f in parsed:
            f.setdefault("urgent", False)
    first_row: dict[str, int] = {}
    for n, f in parsed:  # one work order in two rows: a copy; the second is kept without it
        wo = f.get("work_order_no")
        if wo and wo in first_row:
            report.warnings.append({"row": n, "warning": f"工单号 {wo} is also in row "
                                    f"{first_row[wo]}: imported without it (a duplicate?)"})  # fmt: skip
            f["_copy_of_work_order"] = f.pop("work_order_no")
        elif wo:
            first_row[wo] = n
    _check_work_orders(session, parsed, report)
    if report.errors:
        return report
    keys = [_key(f, site) for _, f in parsed]
    repeats: Counter = Counter()
    for i, ((_, f), k) in enumerate(zip(parsed, keys, strict=True)):
        if "_copy_of_work_order" in f:
            k = "wo:" + f.pop("_copy_of_work_order")
        # the same row twice is two entries (a duplicate registration, for the audit)
        repeats[k] += 1
        keys[i] = k if repeats[k] == 1 else f"{k}#{repeats[k]}"
    existing: set[str] = set()
    for i in range(0, len(keys), 5000):  # SQLite caps the parameters of one statement
        part = keys[i : i + 5000]
        existing.update(
            session.scalars(select(LedgerEntry.import_key).where(LedgerEntry.import_key.in_(part)))
        )
    seen: set[str] = set()
    for i, ((_n, f), key) in enumerate(zip(parsed, keys, strict=True), start=1):
        if i % 500 == 0 or i == len(parsed):
            tick("storing entries", i, len(parsed))
        if key in existing or key in seen:
            report.unchanged += 1
            continue
        seen.add(key)
        status = f.pop("status", "registered")
        e = LedgerEntry(status=status, import_key=key, registered_by=by, site=site, **f)
        e.source = f.get("source", "来电")
        e.summary = (f.get("content") or "")[:60]
        if status != "draft" and e.registered_at is None:
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


def export_entries(session: Session, path: Path, lang: str = "zh", tz: tzinfo | None = None,
                   site: str | None = None) -> int:  # fmt: skip
    """Write every entry (of ``site`` when given), oldest first; times in local time as
    front desks read them."""
    tz = tz or datetime.now().astimezone().tzinfo
    header = [zh if lang == "zh" else en for _, zh, en in COLUMNS]
    rows = []
    q = select(LedgerEntry).order_by(LedgerEntry.created_at, LedgerEntry.id)
    if site:
        q = q.where(LedgerEntry.site == site)
    for e in session.scalars(q):
        row = []
        for f, _, _ in COLUMNS:
            v = getattr(e, f)
            if isinstance(v, datetime):
                v = v.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
            elif f == "urgent" and v is not None:  # None: not recorded, left empty
                v = ("是" if v else "否") if lang == "zh" else ("yes" if v else "no")
            elif f == "status" and lang == "zh":
                v = STATUS_TO_ZH.get(v, v)
            elif f == "callback_result" and lang == "zh":
                v = words.CALLBACK_RESULT_TO_ZH.get(v, v)
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
