"""Each finding in the words a front-desk supervisor uses (未登记来电: 3月9日 10:42 的来电
138****1234 没有台账登记), with local times and masked numbers: the sentence is stored as the
finding's detail, so the console, the CSV and `--format json` all say the same thing."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

# each kind as the front desk says it (the kind itself stays the stable key)
LABELS = {
    "UNLOGGED_CALL": "未登记来电", "ORPHAN_ENTRY": "台账无录音", "DUPLICATE_ENTRY": "重复登记",
    "CONTENT_MISMATCH": "内容不符", "LATE_REGISTRATION": "登记超时", "SLOW_ANSWER": "超三声接听",
    "MISSED_NO_CALLBACK": "未接未回电", "CALLBACK_OVERDUE": "回访超时",
    "RECORDING_MISSING": "录音缺失", "RECORDING_TAMPERED": "录音被改动",
    "DURATION_MISMATCH": "时长不符",
}  # fmt: skip
FIELDS_ZH = {"address": "地址", "category": "类别", "urgent": "紧急"}


def mask(number: str | None) -> str:
    """138****1234: enough for the supervisor to tell calls apart, not a resident's number."""
    n = (number or "").strip()
    digits = [c for c in n if c.isdigit()]
    if not digits:
        return "（未显示号码）" if not n or n.lower() in ("anonymous", "unknown") else n
    d = "".join(digits)
    if len(d) < 8:  # an extension or a service number
        return d
    return d[:3] + "*" * (len(d) - 7) + d[-4:]


def when(epoch: float | None, tz: tzinfo | None) -> str:
    if epoch is None:
        return "?"
    dt = datetime.fromtimestamp(round(epoch), UTC).astimezone(tz)  # SQLite: 10:41:59.99998
    return f"{dt.month}月{dt.day}日 {dt:%H:%M}"


def span(seconds: float) -> str:
    """61 秒, 31 分钟, 2 小时 05 分钟."""
    s = max(0, round(seconds))
    if s < 60 or (s < 120 and s % 60):
        return f"{s} 秒"
    m = s // 60
    if m < 60:
        return f"{m} 分钟"
    return f"{m // 60} 小时" + (f" {m % 60:02d} 分钟" if m % 60 else "")


def call(epoch: float | None, caller: str | None, tz: tzinfo | None, missed: bool = False) -> str:
    return f"{when(epoch, tz)} 的{'未接来电' if missed else '来电'} {mask(caller)}"


def say(kind: str, text: str) -> str:
    return f"{LABELS.get(kind, kind)}: {text}"


def content(diffs: dict) -> str:
    parts = []
    for f, d in diffs.items():
        entry, heard = d.get("entry"), d.get("transcript")
        if f == "urgent":
            entry = "否" if entry is False else entry
            heard = "紧急" if heard is True else heard
        parts.append(f"{FIELDS_ZH.get(f, f)} 台账写 {entry}，录音里是 {heard}")
    return "；".join(parts)
