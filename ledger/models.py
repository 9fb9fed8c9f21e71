"""The ledger's tables, as SQLAlchemy 2.0 typed declarative models.

Call        every call the phone saw (or a PBX reported), with its recording
Transcript  one per call: utterances by speaker with word times (JSON)
Job         work queued for workers (transcription), with attempts and failure reasons
LedgerEntry the front desk's register (台账): a call's entry, or a walk-in (来访)
EntryChange the audit trail of every change to an entry (who, when, old → new)
Finding     what the reconciler flagged, persisted so re-runs are idempotent
Site        the sites (楼盘/小区) calls, entries, findings and QA samples belong to

Every listed row carries its site's code (``site``, default "default"), indexed with the
time its lists are filtered by, so a site's day or month is one index range.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from domain.calls import AnsweredBy, Outcome
from domain.sites import CODE_LENGTH, DEFAULT_SITE
from domain.status import EntryStatus
from ledger.types import UTCDateTime, choice, utcnow

JobStatus = Literal["queued", "running", "done", "failed"]
FindingStatus = Literal["open", "resolved"]


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


def site_column() -> Mapped[str]:
    """The row's site code: not null, "default" for rows written before sites existed."""
    return mapped_column(String(CODE_LENGTH), default=DEFAULT_SITE, server_default=DEFAULT_SITE)


class Site(Base):
    """A site (楼盘/小区): its code, as rows store it, and its display name."""

    __tablename__ = "sites"

    code: Mapped[str] = mapped_column(String(CODE_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Call(Base):
    __tablename__ = "calls"
    # covering on PostgreSQL (migrations 0009, 0012): the KPI page reads a site's month from
    # the index, the reconciler the numbers of a site's calls
    __table_args__ = (
        Index("ix_calls_site_invited", "site", "invited_at",
              postgresql_include=["outcome", "rings", "recording_path", "ended_at", "id",
                                  "caller", "callee", "direction"]),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    sip_call_id: Mapped[str] = mapped_column(String(255), default="")
    caller: Mapped[str] = mapped_column(String(64), default="", index=True)
    caller_name: Mapped[str | None] = mapped_column(String(128))
    callee: Mapped[str] = mapped_column(String(64), default="")
    invited_at: Mapped[datetime] = mapped_column(index=True)
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    rings: Mapped[int] = mapped_column(Integer, default=0)
    answered_by: Mapped[AnsweredBy | None] = mapped_column(choice(AnsweredBy, 16))
    outcome: Mapped[Outcome] = mapped_column(choice(Outcome, 16), index=True)
    cause: Mapped[str | None] = mapped_column(String(255))
    codec: Mapped[str | None] = mapped_column(String(32))
    recording_path: Mapped[str | None] = mapped_column(String(512))
    recording_sha256: Mapped[str | None] = mapped_column(String(64))
    recording_size: Mapped[int | None]
    recording_duration_s: Mapped[float | None] = mapped_column(Float)
    recording_channels: Mapped[int | None]
    recording_sample_rate: Mapped[int | None]
    source: Mapped[str] = mapped_column(String(16), default="phone")  # phone | pbx-import
    # in: to the desk; out: the desk calls (a callback); internal: between extensions;
    # transfer: a later leg of a call the desk put through to someone else
    direction: Mapped[str] = mapped_column(String(8), default="in", server_default="in")
    site: Mapped[str] = site_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    transcript: Mapped[Transcript | None] = relationship(back_populates="call", uselist=False)


class Transcript(Base):
    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    engine: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(128))
    language: Mapped[str | None] = mapped_column(String(16))
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    data: Mapped[dict[str, Any]]
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    call: Mapped[Call] = relationship(back_populates="transcript")


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_claim", "kind", "status", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    status: Mapped[JobStatus] = mapped_column(choice(JobStatus, 16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(128))
    locked_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerEntry(Base):
    __tablename__ = "entries"
    # unfinished entries (status, older than …) for the supervisor's half-monthly review
    __table_args__ = (
        Index("ix_entries_status_created", "status", "created_at"),
        Index("ix_entries_site_created", "site", "created_at",
              postgresql_include=["category", "building", "status", "returned_at", "callback_at"]),
        Index("ix_entries_site_status_created", "site", "status", "created_at"),
        # the KPI page's newest confirmed drafts (migration 0008)
        Index("ix_entries_site_registered", "site", "registered_at"),
        Index("ix_entries_registered", "registered_at"),
        Index("ix_entries_call_id", "call_id", postgresql_include=["registered_at"]),
        # the reconciler's entries without a call (migration 0012)
        Index("ix_entries_unlinked", "site", "created_at",
              postgresql_where=text("coalesce(call_id, 0) = 0"),
              sqlite_where=text("coalesce(call_id, 0) = 0")),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(8), default="来电")  # 来电 call | 来访 walk-in
    status: Mapped[EntryStatus] = mapped_column(
        choice(EntryStatus, 16), default=EntryStatus.DRAFT, index=True
    )
    category: Mapped[str | None] = mapped_column(String(8), index=True)
    building: Mapped[str | None] = mapped_column(String(16), index=True)
    unit: Mapped[str | None] = mapped_column(String(16))
    room: Mapped[str | None] = mapped_column(String(16))
    public_area: Mapped[str | None] = mapped_column(String(64))
    urgent: Mapped[bool | None] = mapped_column(Boolean)  # None: not recorded (≠ not urgent)
    department: Mapped[str | None] = mapped_column(String(32))
    caller_name: Mapped[str | None] = mapped_column(String(64))
    caller_phone: Mapped[str | None] = mapped_column(String(32), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    repair_scope: Mapped[str | None] = mapped_column(String(16))
    complaint_class: Mapped[str | None] = mapped_column(String(8))
    confidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    work_order_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    # for rows imported from a spreadsheet: re-importing the same sheet changes nothing
    import_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    site: Mapped[str] = site_column()  # its call's site; a walk-in's: the desk's
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    registered_at: Mapped[datetime | None]
    registered_by: Mapped[str | None] = mapped_column(String(64))
    dispatched_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]  # work done (返单): the 2-hour callback clock starts
    closed_at: Mapped[datetime | None]
    callback_at: Mapped[datetime | None]
    callback_result: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    changes: Mapped[list[EntryChange]] = relationship(
        back_populates="entry", order_by="EntryChange.id", cascade="all, delete-orphan"
    )

    def address_code(self) -> str | None:
        if self.building and self.unit and self.room:
            return f"{self.building}-{self.unit}-{self.room}"
        return None


class EntryChange(Base):
    __tablename__ = "entry_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str] = mapped_column(String(64))
    field: Mapped[str] = mapped_column(String(32))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)

    entry: Mapped[LedgerEntry] = relationship(back_populates="changes")


class Finding(Base):
    __tablename__ = "findings"
    __table_args__ = (
        Index("ix_findings_site_detected", "site", "detected_at"),
        # the audit list, newest first, and its open counts per kind (migration 0010)
        Index("ix_findings_site_status_kind", "site", "status", "kind", "id"),
        Index("ix_findings_status_kind", "status", "kind", "id"),
        # a site's list of open (or resolved) findings, newest first (migration 0013)
        Index("ix_findings_site_status_id", "site", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)  # kind + subject: idempotent runs
    kind: Mapped[str] = mapped_column(String(32), index=True)
    call_id: Mapped[int | None] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), index=True
    )
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("entries.id", ondelete="CASCADE"), index=True
    )
    detail: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[FindingStatus] = mapped_column(
        choice(FindingStatus, 16), default="open", index=True
    )
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    site: Mapped[str] = site_column()  # its call's site (or its entry's, without a call)


# ---- a site's community roster (业主名册): who lives where, on which numbers ----


class Roster(Base):
    """One site's roster as last imported; re-importing replaces its residents in one go."""

    __tablename__ = "rosters"

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(64), unique=True, default="default",
                                      server_default="default")
    file: Mapped[str] = mapped_column(String(255), default="")  # the file's name, no path
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(64), default="import")


class RosterResident(Base):
    """A home and a person living there (one line of the sheet)."""

    __tablename__ = "roster_residents"
    __table_args__ = (Index("ix_roster_residents_home", "roster_id", "building", "unit", "room"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    roster_id: Mapped[int] = mapped_column(ForeignKey("rosters.id", ondelete="CASCADE"))
    building: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str | None] = mapped_column(String(16))
    room: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(64))
    relation: Mapped[str | None] = mapped_column(String(16))  # owner | tenant | family
    row: Mapped[int] = mapped_column(Integer, default=0)  # the sheet's row, as Excel numbers it


class RosterPhone(Base):
    """A resident's number; ``key`` is what the caller's number is matched on (phone_key)."""

    __tablename__ = "roster_phones"
    __table_args__ = (Index("ix_roster_phones_key", "roster_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    roster_id: Mapped[int] = mapped_column(ForeignKey("rosters.id", ondelete="CASCADE"))
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("roster_residents.id", ondelete="CASCADE"), index=True
    )
    phone: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(16))


# ---- the console: people, their sessions, what they heard and exported, training tags ----


class User(Base):
    """A console user; ``role`` decides what they may see (agent, supervisor, trainer, admin)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # every site (a company supervisor); otherwise only the sites in user_sites (admins: all)
    all_sites: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    site_rows: Mapped[list[UserSite]] = relationship(
        cascade="all, delete-orphan", order_by="UserSite.site"
    )


class UserSite(Base):
    """A site a console user may see (a supervisor of 阳光花园 sees 阳光花园's rows only)."""

    __tablename__ = "user_sites"
    __table_args__ = (Index("ix_user_sites_user_site", "user_id", "site", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    site: Mapped[str] = mapped_column(String(CODE_LENGTH))


class ConsoleSession(Base):
    """A logged-in browser. Only the SHA-256 of the cookie's token is stored."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccessLog(Base):
    """Who did what to residents' data, and when: log-ins, playbacks, exports."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    subject: Mapped[str | None] = mapped_column(String(128))
    remote: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CallTag(Base):
    """A trainer's tag on a call (e.g. 'training example') with a note."""

    __tablename__ = "call_tags"
    __table_args__ = (Index("ix_call_tags_call_tag", "call_id", "tag", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(32), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class QaSample(Base):
    """A random quality-assurance sample of calls, with the criteria that drew it."""

    __tablename__ = "qa_samples"
    __table_args__ = (Index("ix_qa_samples_site_created", "site", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str] = mapped_column(String(64))
    criteria: Mapped[dict[str, Any]] = mapped_column(default=dict)
    call_ids: Mapped[list[Any]] = mapped_column(default=list)
    site: Mapped[str] = site_column()  # the site its calls were drawn from


# ---- KPI totals per site and UTC hour (ledger/kpi_hours.py; migration 0011 adds the triggers)


class _CallCounts:
    """The call counts an hour's and a day's totals both keep."""

    calls: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    ring3: Mapped[int] = mapped_column(Integer, default=0)
    missed: Mapped[int] = mapped_column(Integer, default=0)
    recorded: Mapped[int] = mapped_column(Integer, default=0)
    reg_ok: Mapped[int] = mapped_column(Integer, default=0)


class KpiCallHour(_CallCounts, Base):
    """A site's calls in one UTC hour of invited_at, counted by the KPI page's rules."""

    __tablename__ = "kpi_call_hours"
    __table_args__ = (Index("ix_kpi_call_hours_hour", "hour"),)

    site: Mapped[str] = mapped_column(String(CODE_LENGTH), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)


class KpiCallDay(_CallCounts, Base):
    """A site's calls in one UTC day: the sum of its kpi_call_hours rows (migration 0014)."""

    __tablename__ = "kpi_call_days"
    __table_args__ = (Index("ix_kpi_call_days_day", "day"),)

    site: Mapped[str] = mapped_column(String(CODE_LENGTH), primary_key=True)
    day: Mapped[datetime] = mapped_column(primary_key=True)


class KpiCompanyHour(Base):
    """Every site's calls and missed calls in one UTC hour (migration 0014)."""

    __tablename__ = "kpi_company_hours"

    hour: Mapped[datetime] = mapped_column(primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    missed: Mapped[int] = mapped_column(Integer, default=0)


class _EntryCounts:
    """The counts a site's and the company's entry sums both keep."""

    registered: Mapped[int] = mapped_column(Integer, default=0)
    returned: Mapped[int] = mapped_column(Integer, default=0)
    cb_ok: Mapped[int] = mapped_column(Integer, default=0)


class KpiEntrySum(_EntryCounts, Base):
    """A site's entries created in one UTC hour ('h') or day ('d'): per category ('c') the
    registered, returned repairs and callbacks in time; per building ('b') registered HOT."""

    __tablename__ = "kpi_entry_sums"
    __table_args__ = (
        Index("ix_kpi_entry_sums_bucket", "span", "bucket"),
        # the review's count: the 'u' rows of the ledger's whole history (migration 0015)
        Index("ix_kpi_entry_sums_kind", "kind", "span", "bucket",
              postgresql_include=["site", "registered"]),
    )  # fmt: skip

    site: Mapped[str] = mapped_column(String(CODE_LENGTH), primary_key=True)
    span: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket: Mapped[datetime] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    key: Mapped[str] = mapped_column(String(16), primary_key=True)


class KpiSubjectSum(Base):
    """A site's registered HOT entries created in one UTC hour ('h') or day ('d') with one
    subject (public area, else summary); free text, so no unique key on it."""

    __tablename__ = "kpi_subject_sums"
    __table_args__ = (Index("ix_kpi_subject_sums_bucket", "span", "bucket", "site"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(CODE_LENGTH))
    span: Mapped[str] = mapped_column(String(1))
    bucket: Mapped[datetime] = mapped_column()
    category: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str | None] = mapped_column(Text)
    n: Mapped[int] = mapped_column(Integer, default=0)


class KpiCompanyEntrySum(_EntryCounts, Base):
    """Every site's kpi_entry_sums rows of one span, bucket, kind ('c' and 'b') and key,
    summed (migration 0016): the company's month reads a day's categories and buildings once,
    not once per site."""

    __tablename__ = "kpi_company_entry_sums"

    span: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket: Mapped[datetime] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    key: Mapped[str] = mapped_column(String(16), primary_key=True)


class KpiCompanySubjectSum(Base):
    """Every site's kpi_subject_sums rows of one span, bucket, category and subject, summed
    (migration 0016); the subject keyed by its first 200 characters, '' for none."""

    __tablename__ = "kpi_company_subject_sums"

    span: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket: Mapped[datetime] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class KpiDirty(Base):
    """A mark: a change to calls or entries made this (site, UTC hour)'s totals stale (one
    row per change, inserted by triggers; claimed and deleted by the recount)."""

    __tablename__ = "kpi_dirty"
    __table_args__ = (Index("ix_kpi_dirty_hour", "hour"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(CODE_LENGTH))
    hour: Mapped[datetime] = mapped_column()


class KpiSettings(Base):
    """The rules the totals were counted with (kpi_hours.rules_key), one row."""

    __tablename__ = "kpi_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    rules: Mapped[str] = mapped_column(String(255))


class FindingCount(Base):
    """Findings of one (site, kind, status), folded from the marks (ledger/finding_counts.py)."""

    __tablename__ = "finding_counts"

    site: Mapped[str] = mapped_column(String(CODE_LENGTH), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(default=0, server_default="0")


class FindingCountMark(Base):
    """+1/-1 a change to findings made to a (site, kind, status) count, not folded yet (rows
    inserted by triggers; claimed and deleted by the fold)."""

    __tablename__ = "finding_count_marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(CODE_LENGTH))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    n: Mapped[int] = mapped_column()
