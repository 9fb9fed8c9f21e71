"""The recordings on disk: a call's file missing or changed since it was hashed, and a file
no call row names."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from ledger import explain as say
from ledger.models import Call
from ledger.reconcile.context import Ctx
from ledger.reconcile.detected import Detected, FileDetected
from ledger.reconcile.rows import CallRow
from recordings.archive import is_spooled


def check_recording(ctx: Ctx, c: CallRow) -> Iterator[Detected]:
    """RECORDING_MISSING (the file is gone) and RECORDING_TAMPERED (its hash changed) for a
    connected call whose row names a recording."""
    rules = ctx.rules
    if rules.recordings_root is None:
        return
    cid, path, sha, size, stored = (c.id, c.recording_path, c.recording_sha256,
                                    c.recording_size, c.stored)  # fmt: skip
    full = os.path.join(rules.recordings_root, path)
    if is_spooled(path) and not os.path.exists(full):
        # still in a desk's spool while the shared root was away: that desk moves it up
        # (frontdesk/spool.py); from here it can be checked neither way yet
        for kind in ("RECORDING_MISSING", "RECORDING_TAMPERED"):
            ctx.unchecked.add(Detected(kind, cid, None, "").key)
        return
    try:
        st = os.stat(full)
    except OSError:
        yield Detected("RECORDING_MISSING", cid, None,
                       say.say("RECORDING_MISSING", f"{ctx.who(c)} 的录音文件不见了（{path}）"),
                       {"path": path})  # fmt: skip
        return
    skipped = Detected("RECORDING_TAMPERED", cid, None, "").key
    if not rules.verify_hashes or not sha:
        ctx.unchecked.add(skipped)
        return
    # A file not written since the call was stored (same size, mtime before the row) still
    # holds what was hashed then; reading a year of recordings again would take hours.
    unchanged = size is not None and st.st_size == size and st.st_mtime <= (stored or 0) + 1
    if rules.verify_hashes == "changed" and unchanged:
        ctx.unchecked.add(skipped)
        return
    from recordings.archive import sha256_file

    actual = sha256_file(Path(full))
    if actual != sha:
        yield Detected("RECORDING_TAMPERED", cid, None,
                       say.say("RECORDING_TAMPERED", f"{ctx.who(c)} 的录音与存档时的校验值不符，"
                               f"文件被改动过（{path}）"),
                       {"expected": sha, "actual": actual})  # fmt: skip


def unlogged_recordings(ctx: Ctx) -> Iterator[Detected]:
    """RECORDING_UNLOGGED: a recording under the root that no call row names (a crash or a
    failed commit between the file's rename and the row). A day folder holds the calls
    invited that day (UTC, Archive.final_path), so one indexed range query per folder gives
    the paths rows name; the few files left are looked up by their uuid (the file's name)
    before they count. A window reads only its day folders (±1 day); a file younger than
    the grace period may still be waiting for its row."""
    root = ctx.rules.recordings_root
    if root is None or not os.path.isdir(root) or ctx.site is not None:
        return  # a file no row names has no site: a run of every site looks for them
    for day in _day_folders(Path(root), ctx.since, ctx.until):
        try:
            names = [f.name for f in os.scandir(day)  # no stat: a year is 300,000 files
                     if not f.name.startswith(".") and not f.name.endswith(".tmp")]  # fmt: skip
            d0 = datetime(int(day.parent.parent.name), int(day.parent.name), int(day.name),
                          tzinfo=UTC)  # fmt: skip
        except (OSError, ValueError):
            continue
        if not names:
            continue
        rel_day = os.path.relpath(day, root)
        named = {p for (p,) in ctx.rows(
            select(Call.recording_path).where(Call.invited_at >= d0,
                                              Call.invited_at < d0 + timedelta(days=1)))}  # fmt: skip
        left = {os.path.splitext(n)[0]: f"{rel_day}/{n}" for n in names
                if f"{rel_day}/{n}" not in named}  # fmt: skip
        if not left:
            continue
        by_uuid = dict(ctx.rows(select(Call.uuid, Call.recording_path)
                                .where(Call.uuid.in_(list(left)[:5000]))))  # fmt: skip
        for u, rel in left.items():
            if by_uuid.get(u) == rel:
                continue
            try:
                st = os.stat(os.path.join(root, rel))
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode) or st.st_mtime > ctx.now - ctx.rules.grace_s:
                continue
            yield FileDetected("RECORDING_UNLOGGED", None, None,
                                f"recording {rel} is not named by any call row",
                                {"path": rel, "call_uuid": u}, path=rel)  # fmt: skip


def _day_folders(root: Path, since: datetime | None, until: datetime | None) -> Iterator[Path]:
    if since is None and until is None:
        for year in sorted(root.glob("[0-9][0-9][0-9][0-9]")):
            yield from sorted(year.glob("[0-9][0-9]/[0-9][0-9]"))
        return
    lo = (since or datetime(2000, 1, 1, tzinfo=UTC)).astimezone(UTC).date() - timedelta(days=1)
    hi = (until or datetime.now(UTC)).astimezone(UTC).date() + timedelta(days=1)
    if (hi - lo).days > 800:  # a long window: walk what exists rather than every date
        for d in _day_folders(root, None, None):
            try:
                day = datetime(int(d.parent.parent.name), int(d.parent.name), int(d.name)).date()
            except ValueError:
                continue
            if lo <= day <= hi:
                yield d
        return
    day = lo
    while day <= hi:
        yield root / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
        day += timedelta(days=1)
