"""The phone's store step: a finished call becomes a Call row and a transcription job."""

from __future__ import annotations

import logging

from domain.calls import CallRecord
from frontdesk.config import Config

log = logging.getLogger("frontdesk.store")


class CallStore:
    def __init__(self, cfg: Config) -> None:
        from ledger.db import open_database

        self._sessions = open_database(cfg.database_url)

    def save_call(self, rec: CallRecord) -> int:
        from ledger import calls, jobs

        with self._sessions() as session:
            call = calls.record_call(session, rec)
            if rec.recording is not None:
                jobs.enqueue(session, "transcribe", call.id)
            session.commit()
            log.info(
                "call %s stored as #%d (%s, %d rings)", rec.uuid, call.id, rec.outcome, rec.rings
            )
            return call.id
