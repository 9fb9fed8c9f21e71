"""The job loop: a finished call's recording → transcript → draft ledger entry.

Two passes: the ``transcribe`` job makes the draft fast (VAD segments, most of them already
decoded while the call was live); then, with ``refine`` on, a ``refine`` job decodes each
channel that takes turns with another (a two-party call's) whole and shares its words out among the speaker's turns (every word with the words
around it: fewer errors; the turns kept in the order they were said) and replaces the transcript and the draft, if no agent has
touched the draft.
Refine jobs wait while a transcribe job is due or a live call is being followed.

Restartable and idempotent: jobs are claimed atomically from the database, a crash
leaves the job to be recovered, and re-running a job replaces the transcript and
updates the same draft. Every failure is stored on the job with its reason.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from domain.intake import IntakeDraft
from domain.transcript import Transcript
from frontdesk import reading
from ledger import calls, entries, jobs, transcripts
from recordings.archive import Archive, is_spooled, sha256_file

log = logging.getLogger("frontdesk.worker")

TRANSCRIBE = "transcribe"
REFINE = "refine"
NOT_HERE_RETRY_S = 30.0  # a recording in another desk's spool: look again this much later


class JobError(Exception):
    """A job failed for a stated reason; ``retry`` says whether trying again can help."""

    def __init__(self, reason: str, retry: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


class NotHereYet(JobError):
    """The recording waits in another desk's spool: not a failure, the job waits too."""


@dataclass
class AsrSettings:
    model: str
    models_dir: Path
    engine: str = "auto"
    language: str | None = "zh"
    initial_prompt: str | None = None
    threads: int = 2
    vad_aggressiveness: int = 2
    vad_frame_ms: int = 30
    # a second pass after the draft: each channel taking turns decoded whole, shared out among
    # its turns ([asr] refine)
    refine: bool = False


class Worker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        recordings_root: Path,
        asr: AsrSettings,
        worker_id: str | None = None,
        follow_live: bool = False,
        spool: Path | None = None,
    ) -> None:
        self.sessions = sessions
        # the (shared) root every row's relative path is under; live calls in this desk's spool
        self.archive = Archive(recordings_root, spool)
        self.asr = asr
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self._engine = None
        self.live = None
        if follow_live:
            from voice.asr.live import LiveFollower
            from voice.asr.vad import VadOptions

            opts = VadOptions(aggressiveness=asr.vad_aggressiveness, frame_ms=asr.vad_frame_ms)
            self.live = LiveFollower(self.engine, opts)

    # -- the loop ---------------------------------------------------------------------------
    def run(self, once: bool = False, poll_s: float = 1.0, stop=lambda: False) -> int:
        """Process jobs until stopped (with ``once``: until the queue is empty); count them."""
        done = 0
        while not stop():
            with self.sessions() as s:
                jobs.recover_stale(s, older_than=600)
                s.commit()
            job_id = self._claim(TRANSCRIBE)
            if job_id is None:
                if self._follow_live_calls():
                    continue
                job_id = self._claim(REFINE) if self._may_refine() else None
            if job_id is None:
                if once:
                    return done
                time.sleep(poll_s)
                continue
            self.run_job(job_id)
            done += 1
        return done

    def _follow_live_calls(self) -> int:
        """Transcribe utterances of calls still in progress (idle time only)."""
        if self.live is None:
            return 0
        try:
            return self.live.poll(self.archive.partial_root)
        except JobError:
            return 0  # no model yet: the calls are transcribed when it is installed
        except Exception:
            log.exception("following live calls failed; they are transcribed after hangup")
            return 0

    def _may_refine(self) -> bool:
        """Refine only with the switch on and no live call followed here (live calls first)."""
        return self.asr.refine and not (self.live is not None and self.live.calls)

    def _claim(self, kind: str) -> int | None:
        with self.sessions() as s:
            job = jobs.claim(s, kind, self.worker_id)
            s.commit()
            return job.id if job else None

    def run_job(self, job_id: int) -> None:
        with self.sessions() as s:
            job = s.get(jobs.Job, job_id)
            call_id, kind = job.call_id, job.kind
        t0 = time.monotonic()
        try:
            if kind == REFINE:
                self.refine_call(call_id)
            else:
                self.process_call(call_id)
        except NotHereYet as exc:  # another desk's spool: its own worker or the move does it
            log.info("job %d (call %d) put back: %s", job_id, call_id, exc.reason)
            with self.sessions() as s:
                jobs.postpone(s, s.get(jobs.Job, job_id), exc.reason, NOT_HERE_RETRY_S)
                s.commit()
            return
        except JobError as exc:
            log.warning("job %d (call %d) failed: %s", job_id, call_id, exc.reason)
            with self.sessions() as s:
                jobs.fail(s, s.get(jobs.Job, job_id), exc.reason, retry=exc.retry)
                s.commit()
            return
        except Exception as exc:  # a bug must not kill the worker; the reason is stored
            log.exception("job %d (call %d) crashed", job_id, call_id)
            with self.sessions() as s:
                jobs.fail(s, s.get(jobs.Job, job_id), f"internal error: {exc!r}", retry=True)
                s.commit()
            return
        with self.sessions() as s:
            jobs.complete(s, s.get(jobs.Job, job_id))
            s.commit()
        verb = "refined" if kind == REFINE else "transcribed"
        log.info("job %d: call %d %s in %.1fs", job_id, call_id, verb, time.monotonic() - t0)

    # -- one call ---------------------------------------------------------------------------
    def process_call(self, call_id: int) -> None:
        """Transcribe the call's recording, store the transcript and the draft entry; queue
        the refine pass."""
        path, caller_number, call_uuid = self._recording(call_id)
        # what the live call's follower (this worker or another) transcribed before hangup
        from voice.asr.live import discard_live, load_live

        partial_root = self.archive.partial_root
        transcript = self.transcribe(path, load_live(partial_root, call_uuid))
        # drafted now, with the ledger as it is now (the reconciler re-reads as of the call)
        draft = self.draft(transcript, caller_number, call_id)
        with self.sessions() as s:
            transcripts.save_transcript(s, call_id, transcript)
            entries.create_draft(s, call_id, draft, caller_number=caller_number)
            if self.asr.refine:
                jobs.enqueue(s, REFINE, call_id)
            s.commit()
        discard_live(partial_root, call_uuid)

    def refine_call(self, call_id: int) -> None:
        """Decode each channel that takes turns with another whole, its words shared out among
        its turns (``transcribe_turns(whole=True)``); replace the transcript (the draft pass's kept under
        ``first_pass``) and re-draft the entry, but only while the entry is a draft no agent
        has edited: once an agent has touched it, transcript and entry stay as they saw them."""
        from voice.asr.audio import AudioError
        from voice.asr.transcribe import transcribe_turns

        if not self._untouched_draft(call_id):
            log.info("call %d: no untouched draft (confirmed or edited); not refined", call_id)
            return
        path, caller_number, _ = self._recording(call_id)
        with self.sessions() as s:  # a turn the whole channel gave no word keeps the draft's
            first = transcripts.load_transcript(s, call_id)
        reuse = first if first is not None and (first.engine, first.model) == (
            self.engine().name, self.engine().model) else None  # fmt: skip
        try:
            refined = transcribe_turns(path, self.engine(), self.asr.vad_aggressiveness,
                                       self.asr.vad_frame_ms, language=self.asr.language,
                                       draft=reuse, whole=True)  # fmt: skip
        except AudioError as exc:
            raise JobError(f"unreadable audio: {exc}", retry=False) from exc
        with self.sessions() as s:
            call = s.get(calls.Call, call_id)
            at = call.ended_at or call.invited_at
        draft = self.draft(refined, caller_number, call_id, at=at)
        with self.sessions() as s:
            # checked again where it is written: the agent may have confirmed meanwhile
            if not self._untouched_draft(call_id, s, lock=True):
                log.info("call %d: confirmed or edited during the refine pass; kept", call_id)
                return
            first = transcripts.load_transcript(s, call_id)
            row = transcripts.save_transcript(s, call_id, refined)
            row.data = {**row.data, "first_pass": first.to_dict() if first else None}
            entries.create_draft(s, call_id, draft, caller_number=caller_number)
            s.commit()

    def _untouched_draft(self, call_id: int, s: Session | None = None, lock: bool = False) -> bool:
        """The call's entry is a draft with no change by anyone (create_draft's own rule is
        only "still a draft"; an agent's edit to a draft is a change too)."""
        if s is None:
            with self.sessions() as s:
                return self._untouched_draft(call_id, s)
        q = select(entries.LedgerEntry).where(entries.LedgerEntry.call_id == call_id)
        entry = s.scalar(q.order_by(entries.LedgerEntry.id).with_for_update() if lock else q)
        return entry is not None and entry.status == "draft" and not entry.changes

    def _recording(self, call_id: int) -> tuple[Path, str | None, str]:
        """The call's recording checked (here, whole, untampered): path, caller, uuid."""
        with self.sessions() as s:
            call = s.get(calls.Call, call_id)
            if call is None:
                raise JobError(f"call {call_id} does not exist", retry=False)
            if not call.recording_path:
                raise JobError(f"call {call_id} has no recording", retry=False)
            path = self.archive.resolve(call.recording_path)
            expected_sha, caller_number, call_uuid = call.recording_sha256, call.caller, call.uuid
        if is_spooled(str(path)) and self.archive.spool not in path.parents:
            # another desk's spool (even where a path of that name exists here)
            raise NotHereYet(f"recording {path} is still in a desk's spool, not yet on "
                             "the recordings root")  # fmt: skip
        if not path.exists():
            if is_spooled(str(path)):  # moved up to the root meanwhile: its row says where
                raise NotHereYet(f"recording {path} was moved from the spool; read it again")
            raise JobError(f"recording {path} is missing", retry=False)
        if expected_sha and sha256_file(path) != expected_sha:
            raise JobError(f"recording {path} does not match its SHA-256 (tampered?)", retry=False)
        return path, caller_number, call_uuid

    def transcribe(self, path: Path, live=None) -> Transcript:
        from voice.asr.audio import AudioError
        from voice.asr.transcribe import transcribe_file

        engine = self.engine()
        try:
            return transcribe_file(
                path,
                engine,
                aggressiveness=self.asr.vad_aggressiveness,
                frame_ms=self.asr.vad_frame_ms,
                live=live,
            )
        except AudioError as exc:
            raise JobError(f"unreadable audio: {exc}", retry=False) from exc

    def draft(
        self,
        transcript: Transcript,
        caller_number: str | None,
        call_id: int | None = None,
        at: datetime | None = None,
    ) -> IntakeDraft:
        model = reading.current_model(self.asr.models_dir)  # reloaded when a newer one appears
        with self.sessions() as s:
            return reading.draft(s, transcript, caller_number, call_id=call_id, at=at, model=model)

    def engine(self):
        """Load the model once per worker; a missing model is a retryable failure."""
        if self._engine is None:
            from voice.asr.engines import load_engine
            from voice.asr.models import ModelNotInstalled, resolve

            try:
                info = resolve(self.asr.model, self.asr.models_dir)
            except ModelNotInstalled as exc:
                raise JobError(str(exc), retry=True) from exc
            self._engine = load_engine(
                info,
                engine=self.asr.engine,
                language=self.asr.language,
                initial_prompt=self.asr.initial_prompt,
                threads=self.asr.threads,
            )
        return self._engine
