"""Console pages: the call log (/calls) and replay (/calls/{id}) for supervisors and trainers.

The call log filters on indexed columns only (caller prefix, invited_at, outcome, a tag via
call_tags) and pages by keyset (``id < before``), so it costs the same with a million calls.
Replay draws both channels from min/max peaks computed once per recording (keyed by its
SHA-256, kept on disk) from the SHA-verified file, so opening a call never re-reads it.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from sqlalchemy import String, or_, select, type_coerce
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from frontdesk.console import scope
from frontdesk.console.masking import mask_name, mask_text, masked_transcript
from frontdesk.console.recordings import LISTENERS, verified_recording
from frontdesk.console.web import Ctx, guarded, local_day, mask_phone
from ledger.entries import entry_to_dict, list_for_call
from ledger.models import Call, CallTag, LedgerEntry
from ledger.transcripts import load_transcript
from ledger.types import utcnow

PAGE = 50
OUTCOMES = ("answered", "missed", "busy", "rejected", "failed", "interrupted")
TAGGERS = ("trainer",)  # who may tag calls as training examples (admins hold every role)
TAGS = ("training", "good", "to-improve", "complaint", "qa")  # suggestions; any tag is allowed
BUCKETS = 1600  # peaks per channel: ~1 px per bucket on a wide screen, ~15 KB of JSON
PEAKS_VERSION = 2


# ---- the call log ----


def privacy(ctx: Ctx) -> dict[str, Any]:
    """How residents' numbers are shown: in full to supervisors (and admins), who call
    residents back; masked for trainers, who need the conversation, not the number."""
    full = ctx.user.may("supervisor")
    return {
        "full_numbers": full,
        "phone": (lambda n: n or "") if full else mask_phone,
        "masked": (lambda t: t or "") if full else mask_text,
        "name": (lambda t: t or "") if full else mask_name,
    }


def _prefix_range(prefix: str) -> tuple[str, str]:
    """caller LIKE 'prefix%' as a range the caller index can serve in SQLite and PostgreSQL."""
    return prefix, prefix + "\U0010ffff"


def _int(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise HTTPException(400, f"{name}={value!r}: expected a number") from None


def search_calls(ctx: Ctx, filters: dict[str, str], before: int | None, limit: int = PAGE):
    """One page of calls, newest first, and whether an older page exists.

    Keyset on (invited_at, id): ``before`` is the last call of the previous page. Every
    filter is served by an index. SQLite has no statistics to choose by and would take
    ix_calls_outcome and sort every answered call to show 50, so there the outcome is
    compared as an expression: it walks ix_calls_invited_at newest first and stops at the
    page's end. A caller number of 11+ digits is matched exactly, shorter as a prefix.
    (With a million calls every filter answers in < 10 ms; a rare 3-digit prefix is the
    slow case, a scan of the time index.)
    """
    q = select(Call).order_by(Call.invited_at.desc(), Call.id.desc()).limit(limit + 1)
    q = q.where(scope.where_chosen(ctx, Call.site))
    caller = "".join(ch for ch in filters.get("caller", "") if ch.isdigit() or ch in "+*#")
    tag = filters.get("tag", "").strip().lower()
    if caller and not ctx.user.may("supervisor"):
        q = q.where(*_masked_caller(caller))
    elif caller:
        if len(caller) >= 11:
            q = q.where(Call.caller == caller)
        elif len(caller) >= 7:  # few numbers share 7 digits: the caller index, then sort them
            lo, hi = _prefix_range(caller)
            q = q.where(Call.caller >= lo, Call.caller < hi)
        else:  # "139" matches a third of all calls: walk newest first instead of sorting them
            q = q.where(Call.caller.like(caller + "%"))
    if filters.get("from"):
        q = q.where(Call.invited_at >= local_day(ctx, filters["from"], "from"))
    if filters.get("to"):
        q = q.where(Call.invited_at < local_day(ctx, filters["to"], "to", after=True))
    if filters.get("outcome"):
        sqlite = ctx.db.get_bind().dialect.name == "sqlite"
        # typed as plain text: the column refuses words outside its set, and a filter typed
        # in the address bar should find nothing, not fail; the `|| ''` keeps SQLite walking
        # newest first rather than through the outcome index
        text = type_coerce(Call.outcome, String())
        outcome = text.concat("") if sqlite else text
        q = q.where(outcome == filters["outcome"])
    if tag:
        q = q.where(Call.id.in_(select(CallTag.call_id).where(CallTag.tag == tag)))
    if before is not None:
        anchor = ctx.db.get(Call, before)
        if anchor is None or not ctx.user.sees(anchor.site):
            raise HTTPException(400, f"before={before}: no such call")
        q = q.where(
            Call.invited_at <= anchor.invited_at,
            or_(Call.invited_at < anchor.invited_at, Call.id < anchor.id),
        )
    rows = list(ctx.db.scalars(q))
    return rows[:limit], len(rows) > limit


# A number as mask_phone shows it: 139****5678 (11+ digits), 1***5678 (5-10), **** (≤4).
_MASKED = re.compile(r"^(?:([\d+]\d{2})(\*{4,})|([\d+])(\*{0,5}))(\d{4})$")


def _masked_caller(caller: str) -> list[Any]:
    """Trainers see numbers masked, so they search by the masked form only: a prefix or
    full-number search would let them recover the hidden digits a few requests at a time.
    ``139****5678`` matches the calls shown as 139****5678, and ``139`` the numbers of 11+
    digits shown as 139…, no more."""
    if re.fullmatch(r"[\d+]\d{2}", caller):
        lo, hi = _prefix_range(caller)
        return [Call.caller >= lo, Call.caller < hi, Call.caller.like(caller + "_" * 8 + "%")]
    m = _MASKED.match(caller)
    total = len(caller)
    if m is None or (m.group(1) is not None) != (total >= 11):
        raise HTTPException(
            400,
            f"caller={caller!r}: trainers search by the number as it is shown, masked "
            "(e.g. 139****5678) or its first three digits",
        )
    head, tail = m.group(1) or m.group(3), m.group(5)
    lo, hi = _prefix_range(head)
    return [
        Call.caller >= lo,
        Call.caller < hi,
        Call.caller.like(head + "_" * (total - len(head) - len(tail)) + tail),
    ]


def _by_call(ctx: Ctx, ids: list[int]) -> tuple[dict[int, list], dict[int, list]]:
    """Entries and tags of one page of calls (two small IN queries, not one per row)."""
    entries: dict[int, list] = {}
    tags: dict[int, list] = {}
    if ids:
        for e in ctx.db.scalars(select(LedgerEntry).where(LedgerEntry.call_id.in_(ids))):
            entries.setdefault(e.call_id, []).append(e)
        for t in ctx.db.scalars(
            select(CallTag).where(CallTag.call_id.in_(ids)).order_by(CallTag.tag)
        ):
            tags.setdefault(t.call_id, []).append(t)
    return entries, tags


def call_log(ctx: Ctx) -> Response:
    keys = ("caller", "from", "to", "outcome", "tag", "site")
    filters = {k: ctx.query.get(k, "").strip() for k in keys}
    before = _int(ctx.query.get("before"), "before")
    size = min(max(_int(ctx.query.get("n"), "n") or PAGE, 1), 200)
    if filters["caller"]:  # who looked for which resident's number is the access log's
        ctx.log("search", "calls", caller=filters["caller"])
    try:
        calls, more = search_calls(ctx, filters, before, size)
    except HTTPException:
        ctx.db.commit()  # the refused search stays in the access log
        raise
    entries, tags = _by_call(ctx, [c.id for c in calls])
    kept = {k: v for k, v in filters.items() if v}
    if size != PAGE:
        kept["n"] = str(size)
    return ctx.render(
        "replay/list.html",
        calls=calls,
        entries=entries,
        tags=tags,
        filters=filters,
        kept=kept,
        more=more,
        before=before,
        next_before=calls[-1].id if calls and more else None,
        outcomes=OUTCOMES,
        known_tags=known_tags(ctx),
        sites=scope.choices(ctx),
        **privacy(ctx),
    )


def known_tags(ctx: Ctx) -> list[str]:
    used = ctx.db.scalars(
        select(CallTag.tag)
        .join(Call, Call.id == CallTag.call_id)
        .where(scope.where(ctx, Call.site))
        .distinct()
        .order_by(CallTag.tag)
        .limit(50)
    )
    return sorted(set(TAGS) | set(used))


# ---- replay ----


def _get_call(ctx: Ctx, call_id: int) -> Call:
    """The call, if it is of one of the user's sites; 404 otherwise (as if there were none)."""
    call = ctx.db.get(Call, call_id)
    scope.require(ctx, call.site if call else None, f"no call #{call_id}")
    assert call is not None
    return call


def replay_page(ctx: Ctx, call_id: int) -> Response:
    call = _get_call(ctx, call_id)
    refused = None
    status = 200
    if call.recording_path:
        try:
            verified_recording(ctx, call)  # hashed once per file version, then remembered
        except HTTPException as exc:
            refused, status = exc.detail, exc.status_code
    transcript = load_transcript(ctx.db, call.id)
    entries = [entry_to_dict(e, with_changes=True) for e in list_for_call(ctx.db, call.id)]
    tags = list(
        ctx.db.scalars(select(CallTag).where(CallTag.call_id == call.id).order_by(CallTag.tag))
    )
    shown = privacy(ctx)
    data = transcript.to_dict() if transcript else {"utterances": []}
    utterances = (data if shown["full_numbers"] else masked_transcript(data))["utterances"]
    return ctx.render(
        "replay/call.html",
        status_code=status,
        call=call,
        refused=refused,
        bleep_pending=not shown["full_numbers"] and transcript is None,
        transcript=transcript,
        utterances=utterances,
        entries=entries,
        tags=tags,
        may_tag=ctx.user.may(*TAGGERS),
        known_tags=known_tags(ctx),
        speeds=(0.75, 1, 1.25, 1.5, 2),
        **shown,
    )


class PeakCache:
    """Peaks by recording SHA-256: a few in memory, all on disk under <data>/cache/peaks."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._mem: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, directory: Path, sha: str, compute) -> bytes:
        with self._lock:
            if sha in self._mem:
                self._mem.move_to_end(sha)
                return self._mem[sha]
        path = directory / f"{sha}.v{PEAKS_VERSION}.json"
        try:
            body = path.read_bytes()
        except OSError:
            body = json.dumps(compute(), separators=(",", ":")).encode()
            directory.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
            tmp.write_bytes(body)
            tmp.replace(path)  # atomic: a concurrent reader never sees half a file
        with self._lock:
            self._mem[sha] = body
            while len(self._mem) > self.size:
                self._mem.popitem(last=False)
        return body


peak_cache = PeakCache()


def compute_peaks(path: Path, buckets: int = BUCKETS) -> dict[str, Any]:
    """Min/max per bucket per channel, in [-1, 1], read block by block (bounded memory
    whatever the recording's length)."""
    info = sf.info(str(path))
    frames, channels = info.frames, info.channels
    n = max(1, min(buckets, frames))
    per = frames / n
    lo = np.full((n, channels), np.inf, dtype=np.float32)
    hi = np.full((n, channels), -np.inf, dtype=np.float32)
    offset = 0
    for block in sf.blocks(str(path), blocksize=1 << 18, dtype="float32", always_2d=True):
        idx = ((np.arange(offset, offset + len(block)) / per).astype(np.int64)).clip(0, n - 1)
        _reduce(lo, hi, idx, block)
        offset += len(block)
    lo[~np.isfinite(lo)] = 0
    hi[~np.isfinite(hi)] = 0
    return {
        "duration": frames / info.samplerate if info.samplerate else 0.0,
        "sample_rate": info.samplerate,
        "buckets": n,
        "scale": 1000,  # peaks as integers in [-scale, scale]: a third of the JSON of floats
        "channels": [{"min": _ints(lo[:, c]), "max": _ints(hi[:, c])} for c in range(channels)],
    }


def _ints(values: np.ndarray) -> list[int]:
    return np.round(values.astype(np.float64) * 1000).astype(np.int32).tolist()


def _reduce(lo: np.ndarray, hi: np.ndarray, idx: np.ndarray, block: np.ndarray) -> None:
    """Per-bucket min/max of one block (its bucket indices ascend: reduceat over runs)."""
    starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    buckets = idx[starts]
    lo[buckets] = np.minimum(lo[buckets], np.minimum.reduceat(block, starts, axis=0))
    hi[buckets] = np.maximum(hi[buckets], np.maximum.reduceat(block, starts, axis=0))


def peaks(ctx: Ctx, call_id: int) -> Response:
    call = _get_call(ctx, call_id)
    path = verified_recording(ctx, call)
    sha = call.recording_sha256 or f"unhashed-{call.id}-{path.stat().st_mtime_ns}"
    body = peak_cache.get(
        ctx.console.cfg.data_dir / "cache" / "peaks", sha, lambda: compute_peaks(path)
    )
    # The hash names the content, so the browser may keep it (privately) as long as it likes.
    return Response(
        body,
        media_type="application/json",
        headers={"cache-control": "private, max-age=86400"},
    )


# ---- tags (from the replay page; the training page lists them) ----


def _tag_fields(ctx: Ctx) -> tuple[str, str]:
    tag = ctx.form.get("tag", "").strip().lower()
    note = ctx.form.get("note", "").strip()
    if not tag or len(tag) > 32 or any(ch.isspace() for ch in tag):
        raise HTTPException(400, f"tag {tag!r}: 1-32 characters, no spaces")
    if len(note) > 2000:
        raise HTTPException(400, "note too long: at most 2000 characters")
    return tag, note


def set_tag(ctx: Ctx, call_id: int, tag: str, note: str) -> CallTag:
    row = ctx.db.scalar(select(CallTag).where(CallTag.call_id == call_id, CallTag.tag == tag))
    if row is None:
        row = CallTag(call_id=call_id, tag=tag)
        ctx.db.add(row)
    row.note, row.by, row.at = note, ctx.user.username, utcnow()
    ctx.db.flush()
    return row


def tag_call(ctx: Ctx, call_id: int) -> Response:
    call = _get_call(ctx, call_id)
    tag, note = _tag_fields(ctx)
    row = set_tag(ctx, call.id, tag, note)
    ctx.log("tag", f"call:{call.id}", tag=tag)
    if _wants_json(ctx):
        return JSONResponse({"ok": True, "tag": row.tag, "note": row.note, "by": row.by})
    return ctx.redirect(_back(ctx, f"/calls/{call.id}"))


def untag_call(ctx: Ctx, call_id: int) -> Response:
    call = _get_call(ctx, call_id)
    tag, _ = _tag_fields(ctx)
    row = ctx.db.scalar(select(CallTag).where(CallTag.call_id == call.id, CallTag.tag == tag))
    if row is not None:
        ctx.db.delete(row)
        ctx.log("untag", f"call:{call.id}", tag=tag)
    if _wants_json(ctx):
        return JSONResponse({"ok": True})
    return ctx.redirect(_back(ctx, f"/calls/{call.id}"))


def _wants_json(ctx: Ctx) -> bool:
    return "json" in ctx.request.headers.get("accept", "")


def _back(ctx: Ctx, default: str) -> str:
    nxt = ctx.form.get("next", "")
    return nxt if nxt.startswith("/") and not nxt.startswith("//") else default


routes = [
    guarded("/calls", call_log, roles=LISTENERS),
    guarded("/calls/{call_id:int}", replay_page, roles=LISTENERS),
    guarded("/calls/{call_id:int}/peaks.json", peaks, roles=LISTENERS),
    guarded("/calls/{call_id:int}/tags", tag_call, roles=TAGGERS, methods=("POST",)),
    guarded("/calls/{call_id:int}/tags/delete", untag_call, roles=TAGGERS, methods=("POST",)),
]
