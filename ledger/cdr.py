"""Calls from an existing PBX: Asterisk ``cdr_csv`` records and their recordings.

Master.csv has no header; its standard column order is accountcode, src, dst, dcontext,
clid, channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec,
disposition, amaflags, uniqueid, userfield (newer Asterisk may append peeraccount,
linkedid, sequence). The recording of a call is the file in the recordings folder named
after its ``uniqueid`` (``1700000000.42.wav``, or ``…-1700000000.42.wav`` as MixMonitor
often names it). The whole file is checked before anything is stored; a bad row imports
nothing and is reported by line number. Importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import io
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.calls import CallRecord
from domain.recording import RecordingInfo
from domain.sites import DEFAULT_SITE
from ledger.calls import record_call
from ledger.jobs import enqueue
from ledger.models import Call
from recordings.archive import Archive

FIELDS = ["accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
          "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
          "uniqueid", "userfield"]  # fmt: skip
OUTCOME = {"ANSWERED": "answered", "NO ANSWER": "missed", "BUSY": "busy", "FAILED": "failed",
           "CONGESTION": "failed"}  # fmt: skip
AUDIO = (".wav", ".WAV", ".gsm", ".flac", ".ogg")


# dcontext names (FreePBX, stock dialplans) that only calls from outside arrive in
INBOUND_CONTEXTS = ("from-trunk", "from-pstn", "from-external", "from-did", "ext-did",
                    "incoming", "inbound")  # fmt: skip


def call_direction(src: str, dst: str, dcontext: str, extension_digits: int = 6) -> str:
    """in (to the desk), out (the desk calls an outside number) or internal (between
    extensions). An extension is a number of at most ``extension_digits`` digits."""
    if any(k in dcontext.strip().lower() for k in INBOUND_CONTEXTS):
        return "in"

    def extension(n: str) -> bool:
        n = n.strip()
        return n.isdigit() and len(n) <= extension_digits

    if extension(src):
        return "internal" if extension(dst) else "out"
    return "in"


class CdrError(ValueError):
    pass


@dataclass
class CdrReport:
    file: str
    rows: int = 0
    imported: int = 0
    unchanged: int = 0
    with_recording: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    # recordings copied into the archive: removed again if their rows are not committed
    copied: list[Path] = field(default_factory=list)


def _time(text: str, tz: tzinfo, line: int, name: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=tz).astimezone(UTC)
    except ValueError:
        raise CdrError(f"{name} {text!r} is not YYYY-MM-DD HH:MM:SS") from None


def _find_recording(folder: Path | None, uniqueid: str) -> Path | None:
    if folder is None:
        return None
    for p in folder.rglob(f"*{uniqueid}*"):
        if p.suffix in AUDIO and (p.stem == uniqueid or p.stem.endswith(f"-{uniqueid}")):
            # a link could name any file on this machine (/etc/passwd was imported and
            # served): only regular files inside the PBX's folder are recordings
            if p.is_symlink() or folder.resolve() not in p.resolve().parents:
                raise CdrError(f"recording {p} is a symbolic link (or leaves {folder}): refused")
            if p.is_file():
                return p
    return None


def rings_between(start: datetime, stop: datetime | None, cadence: tuple[float, float]) -> int:
    """Rings started from ``start`` until ``stop`` with a ring cadence of (on, off) seconds:
    ring N starts at (N-1)*(on+off) (China 1 s/4 s: 0, 5, 10, 15 s …)."""
    if stop is None or stop < start:
        return 0
    return math.floor((stop - start).total_seconds() / (cadence[0] + cadence[1]) + 1e-9) + 1


def import_cdr(session: Session, master: Path, recordings: Path | None, archive_root: Path,
               tz: tzinfo | None = None, cadence: tuple[float, float] = (1.0, 4.0),
               extension_digits: int = 6,
               progress: Callable[[str, int, int | None], None] | None = None,
               site: str = DEFAULT_SITE) -> CdrReport:  # fmt: skip
    """Check every record, then store calls (and copy recordings into the archive).
    A call's rings are counted from its start to its answer (a missed call: to its end)
    with the site's ring ``cadence``, as the phone counts them. A call from an extension
    (``extension_digits`` digits or fewer) to an outside number is the desk calling out.
    The calls are stored under ``site`` (the PBX's site's code)."""
    tz = tz or datetime.now().astimezone().tzinfo
    tick = progress or (lambda stage, done, total: None)
    report = CdrReport(str(master))
    try:
        text = Path(master).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CdrError(f"{master}: cannot read ({exc})") from None
    parsed = []
    lines = text.count("\n") or 1
    for n, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if n % 200 == 0:
            tick("checking records", n, lines)
        if not row or not any(c.strip() for c in row):
            continue
        report.rows += 1
        try:
            if len(row) < len(FIELDS):
                raise CdrError(
                    f"{len(row)} columns, expected at least {len(FIELDS)} (cdr_csv order)"
                )
            r = dict(zip(FIELDS, row, strict=False))
            if not r["uniqueid"].strip():
                raise CdrError("uniqueid is empty")
            for col, limit in (("uniqueid", 60), ("src", 64), ("dst", 64)):
                if len(r[col].strip()) > limit:  # the ledger's column widths (PostgreSQL checks)
                    raise CdrError(f"{col} is longer than {limit} characters")
            disposition = r["disposition"].strip().upper()
            if disposition not in OUTCOME:
                raise CdrError(f"unknown disposition {r['disposition']!r}")
            start = _time(r["start"], tz, n, "start")
            if start is None:
                raise CdrError("start is empty")
            answer = _time(r["answer"], tz, n, "answer")
            end = _time(r["end"], tz, n, "end")
            rec = _find_recording(recordings, r["uniqueid"].strip())
            parsed.append((r, disposition, start, answer, end, rec))
        except CdrError as exc:
            report.errors.append({"line": n, "error": str(exc)})
    tick("checking records", lines, lines)
    if report.errors:
        return report
    archive = Archive(archive_root)
    try:
        _store(session, parsed, archive, report, cadence, extension_digits, tick, site)
    except BaseException:  # nothing stored: no copied recording is left without its row
        for f in report.copied:
            f.unlink(missing_ok=True)
        raise
    return report


def _store(session: Session, parsed: list, archive: Archive, report: CdrReport,
           cadence: tuple[float, float], extension_digits: int, tick,
           site: str = DEFAULT_SITE) -> None:  # fmt: skip
    # A transferred call's next leg (the desk put the caller through to 8002) is a record of
    # its own on the same inbound channel: it is not a second call to the desk.
    first_leg: dict[str, str] = {}
    for r, *_ in sorted(parsed, key=lambda p: (p[2], p[0]["uniqueid"])):
        first_leg.setdefault(r["channel"].strip(), r["uniqueid"].strip())
    for i, (r, disposition, start, answer, end, rec) in enumerate(parsed, start=1):
        tick("storing calls", i, len(parsed))
        uuid = f"pbx-{r['uniqueid'].strip()}"
        if session.scalar(select(Call.id).where(Call.uuid == uuid)) is not None:
            report.unchanged += 1
            continue
        info = None
        if rec is not None:
            dest = archive.final_path(uuid, start).with_suffix(rec.suffix.lower())
            dest.parent.mkdir(parents=True, exist_ok=True)
            report.copied.append(dest)
            shutil.copy2(rec, dest, follow_symlinks=False)
            info = _describe(archive, dest)
        name = r["clid"].split("<")[0].strip().strip('"')[:128] or None
        if disposition == "ANSWERED":
            rings = rings_between(start, answer, cadence)
        elif disposition == "NO ANSWER":
            rings = rings_between(start, end, cadence)
        else:  # busy, failed: it never rang at the desk
            rings = 0
        call = record_call(session, CallRecord(
            uuid=uuid, sip_call_id=r["uniqueid"].strip(), caller=r["src"].strip(), callee=r["dst"].strip(),
            invited_at=start, caller_name=name, answered_at=answer if disposition == "ANSWERED" else None,
            ended_at=end, outcome=OUTCOME[disposition], cause=f"PBX {disposition}", recording=info,
            rings=rings,
        ), site=site)  # fmt: skip
        call.source = "pbx-import"
        call.direction = call_direction(r["src"], r["dst"], r["dcontext"], extension_digits)
        if r["channel"].strip() and first_leg[r["channel"].strip()] != r["uniqueid"].strip():
            call.direction = "transfer"
        if info is not None:
            enqueue(session, "transcribe", call.id)
            report.with_recording += 1
        report.imported += 1
    session.flush()


def _describe(archive: Archive, path: Path) -> RecordingInfo:
    try:
        return archive.describe(path)
    except Exception:  # a format soundfile cannot read: keep the file, hash it, no duration
        from recordings.archive import sha256_file

        return RecordingInfo(
            str(path.relative_to(archive.root)), sha256_file(path), path.stat().st_size, 0.0, 0, 0
        )
