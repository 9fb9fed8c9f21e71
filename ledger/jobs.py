"""The job queue in the ledger database: claimed atomically, retried with backoff.

SQLite: one ``UPDATE … RETURNING`` takes the oldest due job, so two workers never
get the same one. PostgreSQL: ``FOR UPDATE SKIP LOCKED``. A failed job keeps its
reason; after ``max_attempts`` it stays ``failed`` until re-run.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ledger.models import Job
from ledger.types import utcnow

__all__ = ["Job", "enqueue", "claim", "complete", "fail", "postpone", "requeue", "recover_stale"]

BACKOFF_S = 30.0


def enqueue(session: Session, kind: str, call_id: int) -> Job:
    """Queue a job unless one for this call is already queued or running."""
    job = session.scalar(
        select(Job).where(
            Job.kind == kind, Job.call_id == call_id, Job.status.in_(("queued", "running"))
        )
    )
    if job is None:
        job = Job(kind=kind, call_id=call_id, status="queued", run_after=utcnow())
        session.add(job)
        session.flush()
    return job


def claim(session: Session, kind: str, worker_id: str) -> Job | None:
    now = utcnow()
    if session.bind.dialect.name == "postgresql":
        job = session.scalar(
            select(Job)
            .where(Job.kind == kind, Job.status == "queued", Job.run_after <= now)
            .order_by(Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if job is None:
            return None
        job.status, job.locked_by, job.locked_at, job.updated_at = "running", worker_id, now, now
        job.attempts += 1
        session.flush()
        return job
    # SQLite: one UPDATE … RETURNING is atomic; the status check makes a lost race a no-op.
    oldest = (
        select(Job.id)
        .where(Job.kind == kind, Job.status == "queued", Job.run_after <= now)
        .order_by(Job.id)
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        update(Job)
        .where(Job.id == oldest, Job.status == "queued")
        .values(status="running", locked_by=worker_id, locked_at=now, updated_at=now,
                attempts=Job.attempts + 1)
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    row = session.execute(stmt).first()
    return session.get(Job, row[0], populate_existing=True) if row else None


def complete(session: Session, job: Job) -> None:
    job.status, job.error, job.updated_at = "done", None, utcnow()
    job.locked_by = None


def fail(session: Session, job: Job, reason: str, retry: bool = True) -> None:
    """Record the reason; queue again after a backoff unless out of attempts or pointless."""
    now = utcnow()
    job.error = reason[:2000]
    job.updated_at = now
    job.locked_by = None
    if retry and job.attempts < job.max_attempts:
        job.status = "queued"
        job.run_after = now + timedelta(seconds=BACKOFF_S * 2 ** (job.attempts - 1))
    else:
        job.status = "failed"


def postpone(session: Session, job: Job, reason: str, seconds: float) -> None:
    """Put a claimed job back for later without using up an attempt: this worker cannot
    do it yet (its recording is still on another desk), which is no failure of the job."""
    now = utcnow()
    job.status, job.locked_by, job.updated_at = "queued", None, now
    job.attempts = max(0, job.attempts - 1)
    job.run_after = now + timedelta(seconds=seconds)
    job.error = reason[:2000]


def requeue(session: Session, call_id: int, kind: str) -> Job:
    """Run a call's job again now (e.g. `frontdesk transcribe --call ID`)."""
    job = session.scalar(
        select(Job).where(Job.kind == kind, Job.call_id == call_id).order_by(Job.id.desc())
    )
    if job is None or job.status == "running":
        return enqueue(session, kind, call_id)
    job.status, job.attempts, job.run_after, job.error = "queued", 0, utcnow(), None
    session.flush()
    return job


def recover_stale(session: Session, older_than: float) -> int:
    """Put back jobs whose worker died mid-job (running for longer than ``older_than`` s)."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    res = session.execute(
        update(Job)
        .where(Job.status == "running", Job.locked_at < cutoff)
        .values(status="queued", locked_by=None, error="worker stopped during the job")
    )
    return res.rowcount or 0


def jobs_for_call(session: Session, call_id: int) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.call_id == call_id).order_by(Job.id)))
