"""After a call: merge its recording and store its row, off the SIP loop, in call order.

A merge, a SHA-256 and a database commit can take long enough to make a due auto-answer late
(1 of 631 calls at 20 concurrent was), so the phone's loop only queues the ended call and this
thread does the rest. No pjsua2 here. A call whose row could not be stored keeps its partial
folder, and the next start stores it from there (``recover``).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from domain.calls import CallRecord
from recordings.archive import Archive

log = logging.getLogger("frontdesk.phone")


class Finisher:
    def __init__(self, archive: Archive, on_call_ended: Callable[[CallRecord], None]) -> None:
        self.archive = archive
        self.on_call_ended = on_call_ended
        self._queue: queue.Queue[tuple[CallRecord, bool] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="finisher", daemon=True)
        self._thread.start()

    def put(self, rec: CallRecord, recorded: bool) -> None:
        """Queue an ended call; ``recorded``: it rang, so it has a partial folder."""
        self._queue.put((rec, recorded))

    def close(self) -> None:
        """Finish and store every call queued so far, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _loop(self) -> None:
        while (item := self._queue.get()) is not None:
            rec, recorded = item
            finalized = False
            if recorded:  # a ringing call wrote meta.json; released once the row is stored
                try:
                    rec.recording = self.archive.finalize(
                        rec.uuid, rec.invited_at, keep_partial=True
                    )
                    self.archive.save_record(rec.uuid, rec.to_dict())
                    finalized = True
                except OSError as exc:  # disk full, permissions: the partial files stay
                    log.error("call %s: recording not finalized, kept for recovery: %s",
                              rec.uuid, exc)  # fmt: skip
                    rec.notes.append(f"recording not finalized: {exc}")
            if self.report(rec) and finalized:
                self.archive.release(rec.uuid)

    def report(self, rec: CallRecord) -> bool:
        """Store the call's row; False when that failed (the partial folder then stays, and
        the next start stores the call from it)."""
        if rec.notes:  # what went wrong with the recording or the shutdown: kept in the row
            rec.cause = "; ".join([*([rec.cause] if rec.cause else []), *rec.notes])[:255]
        try:
            self.on_call_ended(rec)
        except Exception:  # the phone keeps answering whatever the store does
            log.exception("call %s: storing the call failed; its recording and record "
                          "are kept for the next start", rec.uuid)  # fmt: skip
            return False
        return True

    def recover(self) -> list[CallRecord]:
        """Finish recordings left by a phone that died mid-call; report them as interrupted.
        Runs on the caller's thread, before the phone takes calls."""
        out = []
        for call_uuid in self.archive.pending():
            saved = self.archive.read_record(call_uuid)
            if saved is not None:  # the call ended, but its row was never stored
                rec = CallRecord.from_dict(saved)
                invited = rec.invited_at
            else:
                meta = self.archive.read_meta(call_uuid)
                invited = (datetime.fromisoformat(meta["invited_at"]) if "invited_at" in meta
                           else datetime.now(UTC))  # fmt: skip
                rec = CallRecord(
                    uuid=call_uuid,
                    sip_call_id=meta.get("sip_call_id", ""),
                    caller=meta.get("caller", ""),
                    caller_name=meta.get("caller_name"),
                    callee=meta.get("callee", ""),
                    invited_at=invited,
                    outcome="interrupted",
                    cause="phone stopped during the call",
                )
            rec.recording = self.archive.finalize(call_uuid, invited, keep_partial=True)
            log.warning("recovered call %s from an earlier %s", call_uuid,
                        "failed store" if saved is not None else "crash")  # fmt: skip
            if self.report(rec):
                self.archive.release(call_uuid)
            out.append(rec)
        return out
