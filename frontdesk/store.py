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
        self._site = cfg.site  # the site whose line this phone is; every call is stored under it
        self._site_known = False

    def save_call(self, rec: CallRecord) -> int:
        from ledger import calls, jobs, sites

        with self._sessions() as session:
            if not self._site_known:
                sites.ensure_site(session, self._site)
            call = calls.record_call(session, rec, site=self._site.code)
            if rec.recording is not None:
                jobs.enqueue(session, "transcribe", call.id)
            session.commit()
            self._site_known = True
            log.info(
                "call %s stored as #%d (%s, %d rings)", rec.uuid, call.id, rec.outcome, rec.rings
            )
            return call.id
