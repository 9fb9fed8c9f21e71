"""Moving a desk's spooled recordings up to the shared recordings root when it returns.

A call finished while the root was unreachable was finalized into the desk's spool, and its
row names that absolute path (recordings/archive.py). For each such file, once the root is
back: copy it to ``<root>/YYYY/MM/DD/<uuid>.wav`` (temporary name, fsync, rename), hash the
copy and compare it with the SHA-256 in the call's row, then point the row at the relative
path in one UPDATE that only applies while the row still names the spooled file, and only
then delete the spooled file. A crash or an outage at any step leaves the spooled file and
a row naming a readable copy; the next pass finishes the move.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ledger.models import Call
from recordings.archive import Archive, sha256_file

log = logging.getLogger("frontdesk.spool")


@dataclass
class MoveReport:
    moved: list[str] = field(default_factory=list)  # call uuids now on the root
    waiting: list[str] = field(default_factory=list)  # left in the spool, with a reason logged
    root_reachable: bool = True


class SpoolMover:
    def __init__(self, archive: Archive, sessions: sessionmaker[Session]) -> None:
        self.archive = archive
        self.sessions = sessions

    def move_up(self) -> MoveReport:
        """One pass over the spool; safe to run again at any time."""
        report = MoveReport()
        files = self.archive.spooled()
        if not files:
            return report
        if not self.archive.root_reachable():
            report.root_reachable = False
            report.waiting = [f.stem for f in files]
            return report
        for f in files:
            try:
                done = self._move(f)
            except OSError as exc:  # the root went away mid-copy: the next pass retries
                log.warning("recording %s stays in the spool for now: %s", f.name, exc)
                done = False
            (report.moved if done else report.waiting).append(f.stem)
        return report

    def _move(self, spooled: Path) -> bool:
        uuid, rel = spooled.stem, self.archive.relative_for(spooled)
        with self.sessions() as s:
            row = s.execute(
                select(Call.recording_path, Call.recording_sha256).where(Call.uuid == uuid)
            ).first()
        if row is None:  # its row is not stored yet: the phone stores it from .partial first
            return False
        stored, sha = row
        dest = self.archive.root / rel
        if stored == rel:  # moved before, the spooled copy left behind by a crash
            if dest.exists() and sha_matches(dest, sha):
                spooled.unlink()
                return True
            log.error("recording %s: the row names %s but the root's copy is missing or "
                      "differs; the spooled file is kept", uuid, rel)  # fmt: skip
            return False
        if stored != str(spooled):
            log.error("recording %s: the row names %r, not the spooled file; kept", uuid, stored)
            return False
        if not sha_matches(spooled, sha):
            log.error("recording %s in the spool does not match its SHA-256; kept", uuid)
            return False
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".tmp")
        with open(spooled, "rb") as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
        if not sha_matches(dest, sha):  # read back from the root: what the NAS holds
            dest.unlink(missing_ok=True)
            log.error("recording %s: the copy on the root does not match its SHA-256; "
                      "the spooled file is kept", uuid)  # fmt: skip
            return False
        with self.sessions() as s:
            res = s.execute(
                update(Call)
                .where(Call.uuid == uuid, Call.recording_path == str(spooled))
                .values(recording_path=rel)
            )
            s.commit()
        if res.rowcount != 1:  # changed under us: leave both copies for a person
            log.error("recording %s: its row changed during the move; both copies kept", uuid)
            return False
        spooled.unlink()
        log.info("recording %s moved from the spool to the recordings root", uuid)
        return True

    def run_every(self, seconds: float, stop: threading.Event) -> threading.Thread:
        """Move up in a background thread every ``seconds`` until ``stop`` is set."""

        def loop() -> None:
            said = False  # the root's absence is logged once per outage, not every pass
            while not stop.wait(seconds):
                try:
                    r = self.move_up()
                except Exception:  # the ledger is down: try again next time
                    log.exception("moving spooled recordings failed; trying again")
                    continue
                if not r.root_reachable and not said:
                    log.warning("recordings root %s unreachable: %d recordings wait in %s",
                                self.archive.root, len(r.waiting), self.archive.spool)  # fmt: skip
                said = not r.root_reachable

        t = threading.Thread(target=loop, name="spool-mover", daemon=True)
        t.start()
        return t


def sha_matches(path: Path, sha: str | None) -> bool:
    return bool(sha) and sha256_file(path) == sha


def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
