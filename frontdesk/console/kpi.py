"""Supervisor KPIs for a day, week or month: the phone-line rules as shares, calls per hour,
hot topics, and the half-monthly list of unfinished entries.

The figures come from per-site totals by UTC hour (ledger/kpi_hours.py: kept current by
triggers; the page recounts its period's dirty hours first), so a company's month reads
tens of thousands of small rows instead of millions of calls and entries. Where the totals
cannot answer exactly — a zone whose midnight is not a UTC hour (+05:30), or totals counted
under other rules than the console's — the same figures are SQL aggregates over the raw
rows (GROUP BY / SUM over an indexed time range; nothing loads rows into Python). Charts
are inline SVG built here as plain geometry and drawn by the template (no JavaScript, no
library, nothing from a CDN).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement
from starlette.exceptions import HTTPException
from starlette.responses import Response

from domain.sites import Site
from frontdesk.console import scope
from frontdesk.console.web import Ctx, guarded
from ledger import kpi_hours
from ledger.draft_accuracy import draft_accuracy
from ledger.kpi_hours import CALL_SUMS, HOT, MAX_RINGS, UNFINISHED
from ledger.models import (
    Call,
    KpiCallDay,
    KpiCallHour,
    KpiCompanyEntrySum,
    KpiCompanyHour,
    KpiCompanySubjectSum,
    KpiDirty,
    KpiEntrySum,
    KpiSettings,
    KpiSubjectSum,
    LedgerEntry,
)
from ledger.sites import in_sites
from ledger.types import utcnow

SUPERVISORS = ("supervisor",)
PERIODS = {"day": "日 Day", "week": "周 Week", "month": "月 Month"}
__all__ = ["HOT", "MAX_RINGS", "UNFINISHED", "kpi_page", "routes"]
log = logging.getLogger(__name__)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UNFINISHED_LIMIT = 100


@dataclass
class Period:
    kind: str
    start: date  # local, inclusive
    end: date  # local, exclusive

    @classmethod
    def of(cls, kind: str, anchor: date) -> Period:
        if kind == "day":
            return cls(kind, anchor, anchor + timedelta(days=1))
        if kind == "week":
            start = anchor - timedelta(days=anchor.weekday())  # weeks start on Monday
            return cls(kind, start, start + timedelta(days=7))
        start = anchor.replace(day=1)
        return cls(kind, start, (start + timedelta(days=32)).replace(day=1))

    def shift(self, n: int) -> date:
        if self.kind == "month":
            return (self.start + timedelta(days=32 if n > 0 else -1)).replace(day=1)
        return self.start + n * (self.end - self.start)

    @property
    def label(self) -> str:
        last = self.end - timedelta(days=1)
        if self.kind == "day":
            return f"{self.start:%Y-%m-%d}"
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        return f"{self.start:%Y-%m-%d} – {last:%m-%d}"


@dataclass
class Share:
    """A rule's compliance: ``hit`` of ``of`` (None when there was nothing to measure)."""

    hit: int
    of: int

    @property
    def pct(self) -> float | None:
        return round(100.0 * self.hit / self.of, 1) if self.of else None

    @property
    def grade(self) -> str:
        p = self.pct
        if p is None:
            return "none"
        return "good" if p >= 95 else ("bad" if p < 80 else "warn")


@dataclass
class Bars:
    """A bar chart's geometry for the template (an SVG viewBox of width × height)."""

    title: str
    desc: str
    width: int
    height: int
    bars: list[dict[str, Any]] = field(default_factory=list)
    ticks: list[dict[str, Any]] = field(default_factory=list)


def _tz(ctx: Ctx) -> tzinfo:
    return ctx.console.tz or datetime.now().astimezone().tzinfo  # type: ignore[return-value]


def _at(ctx: Ctx, d: date) -> datetime:
    return ctx.console.midnight(d)


def _seconds(dialect: str, later: Any, earlier: Any) -> ColumnElement:
    """``later - earlier`` in seconds, in SQL (SQLite keeps times as text)."""
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.extract("epoch", later - earlier)


def _local_hour(ctx: Ctx, dialect: str, col: Any, at: datetime) -> ColumnElement:
    """The hour of ``col`` in the console's time zone (its UTC offset at ``at`` on SQLite)."""
    offset = int((at.astimezone(_tz(ctx)).utcoffset() or timedelta(0)).total_seconds())
    if dialect == "sqlite":
        return cast(func.strftime("%H", col, f"{offset:+d} seconds"), Integer)
    zone = getattr(_tz(ctx), "key", None)  # a named zone: PostgreSQL knows its DST rules
    if zone:
        return func.extract("hour", func.timezone(zone, col))
    shifted = func.timezone("UTC", col) + func.make_interval(0, 0, 0, 0, 0, 0, offset)
    return func.extract("hour", shifted)


def _sum(cond: ColumnElement) -> ColumnElement:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def kpi_page(ctx: Ctx) -> Response:
    q = ctx.query
    kind = q.get("period", "week")
    if kind not in PERIODS:
        raise HTTPException(400, f"period must be one of {', '.join(PERIODS)}")
    try:
        anchor = date.fromisoformat(q["date"]) if q.get("date") else datetime.now(_tz(ctx)).date()
    except ValueError:
        raise HTTPException(400, f"date={q.get('date')!r} is not a date (YYYY-MM-DD)") from None
    older_raw = q.get("older", "2")
    if not older_raw.isdigit() or int(older_raw) > 365:
        raise HTTPException(400, f"older={older_raw!r}: a number of days, 0-365")
    older = int(older_raw)
    p = Period.of(kind, anchor)
    start, end = _at(ctx, p.start), _at(ctx, p.end)
    db = ctx.db
    chosen = scope.chosen(ctx)  # ?site=CODE, or every site the user sees
    cutoff = utcnow() - timedelta(days=older)  # the review: unfinished, older than this
    f = _from_totals(ctx, db, start, end, chosen, cutoff)
    if f is None:  # a half-hour zone, or totals counted under other rules
        f = _from_rows(ctx, db, start, end, chosen, cutoff)
    per_hour = f.per_hour
    tot, ans, within, missed, n_recorded = (sum(v[i] for v in f.calls.values())
                                            for i in range(5))  # fmt: skip
    reg_ok = sum(f.reg.values())
    returned = sum(v[0] for v in f.callbacks.values())
    cb_ok = sum(v[1] for v in f.callbacks.values())
    # ties by name: the rows come in no set order
    categories = sorted(f.per_category.items(), key=lambda x: (-x[1], x[0]))
    buildings = sorted(f.per_building.items(), key=lambda x: (-x[1], x[0]))[:8]
    subjects = f.subjects

    # the half-monthly review: registered entries still not closed, older than `older` days
    n_unfinished = f.n_unfinished
    unfinished = _oldest_open(db, cutoff, chosen)

    now = utcnow()
    sites = scope.choices(ctx)
    return ctx.render(
        "kpi/index.html",
        drafts=draft_accuracy(db, DRAFT_WINDOW, sites=chosen),
        draft_window=DRAFT_WINDOW,
        p=p,
        periods=PERIODS,
        anchor=anchor,
        prev=p.shift(-1),
        next=p.shift(1),
        older=older,
        total=tot,
        answered=ans,
        missed=missed,
        ring3=Share(within, ans),
        reg1=Share(reg_ok, n_recorded),
        cb2=Share(cb_ok, returned),
        missed_share=Share(missed, tot),
        hours=_hours_chart(per_hour, p),
        cat_chart=_hbars("类别 Categories", [(c or "-", n) for c, n in categories], "a"),
        subj_chart=_hbars(
            "热点 Top subjects", [(f"{c} · {s or '-'}", n) for c, s, n in subjects], "a"
        ),
        bld_chart=_hbars("楼栋 Top buildings", [(f"{b} 栋", n) for b, n in buildings], "b"),
        n_unfinished=n_unfinished,
        unfinished=unfinished,
        half=_half_month(anchor),
        now=now,
        sites=sites,
        site=ctx.query.get("site", ""),
        by_site=_by_site(sites, f),
        company=ctx.user.all_sites,
    )


@dataclass
class Figures:
    """The period's counted figures, per site, from the totals or from the raw rows."""

    per_hour: dict[int, tuple[int, int]]  # local hour → (calls, missed)
    calls: dict[str, list[int]]  # site → [calls, answered, within rings, missed, recorded]
    reg: dict[str, int]  # site → recorded calls registered within the grace
    callbacks: dict[str, list[int]]  # site → [repairs returned, called back in time]
    per_category: dict[str, int]  # registered entries
    per_building: dict[str, int]  # registered HOT entries
    subjects: list[tuple[str, str | None, int]]  # the 8 most frequent HOT subjects
    n_unfinished: int  # entries in an UNFINISHED status created before the cutoff


def _from_totals(
    ctx: Ctx, db: Session, start: datetime, end: datetime, chosen: Collection[str] | None,
    cutoff: datetime,
) -> Figures | None:
    """The figures from the per-site UTC-hour totals (ledger/kpi_hours.py), after recounting
    the period's dirty hours; None when they cannot answer exactly: a zone whose offset is
    not whole hours, or totals counted under other rules than the console's."""
    if any(t.astimezone(UTC).minute or t.astimezone(UTC).second for t in (start, end)):
        return None  # local midnight is not a UTC hour: +05:30 and the like
    grace, cb_s = ctx.console.cfg.ledger.registration_grace_s, ctx.console.rules.callback_s
    conn = db.connection()
    # the period's dirty hours, and every one before the review's cutoff hour (read below),
    # of the sites shown: a live company's current hour is dirty at every site, and a site's
    # page recounting all fifty took most of its time. Asked with the stored rules, in one
    # statement (a round trip fewer).
    cut_h = cutoff.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    dirty = or_(and_(KpiDirty.hour >= start, KpiDirty.hour < end), KpiDirty.hour < cut_h)
    rules, any_dirty = db.execute(select(
        select(KpiSettings.rules).where(KpiSettings.id == 1).scalar_subquery(),
        exists().where(dirty, in_sites(KpiDirty.site, chosen)),
    )).one()  # fmt: skip
    if rules != kpi_hours.rules_key(grace, cb_s):
        log.warning("KPI totals were counted under other rules: the page counts raw rows "
                    "until `frontdesk ledger rebuild-kpi` recounts them")  # fmt: skip
        return None
    if any_dirty:
        kpi_hours.refresh(conn, start, end, grace, cb_s, chosen)
        kpi_hours.refresh(conn, EPOCH, cut_h, grace, cb_s, chosen)
        db.commit()
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL jit = off"))  # small aggregates; see _from_rows
    tz = _tz(ctx)
    H = KpiCallHour
    # the whole UTC days inside the period from the day rows, its ends from the hour rows
    d0 = start.astimezone(UTC).replace(hour=0)
    d0 = d0 if d0 == start else d0 + timedelta(days=1)
    d1 = end.astimezone(UTC).replace(hour=0)
    per_hour: dict[int, tuple[int, int]] = {}
    if chosen is None:  # every site: the company's hours (465 rows a month, not 23,250)
        C = KpiCompanyHour
        hours = db.execute(select(C.hour, C.calls, C.missed)
                           .where(C.hour >= start, C.hour < end)).all()  # fmt: skip
    else:
        hours = db.execute(
            select(H.hour, func.sum(H.calls), func.sum(H.missed))
            .where(H.hour >= start, H.hour < end, in_sites(H.site, chosen)).group_by(H.hour)
        ).all()  # fmt: skip
    for hour, n, m in hours:
        local = hour.astimezone(tz)
        if (local.utcoffset() or timedelta(0)).total_seconds() % 3600:
            return None  # this hour is not a local hour
        a, b = per_hour.get(local.hour, (0, 0))
        per_hour[local.hour] = (a + int(n), b + int(m))
    # by site: the period's whole UTC days from kpi_call_days, its ends from the hours
    D = KpiCallDay
    ends = (or_(and_(H.hour >= start, H.hour < d0), and_(H.hour >= d1, H.hour < end))
            if d0 < d1 else and_(H.hour >= start, H.hour < end))  # fmt: skip
    parts = [select(H.site, *(getattr(H, c) for c in CALL_SUMS))
             .where(ends, in_sites(H.site, chosen))]  # fmt: skip
    if d0 < d1:
        parts.append(select(D.site, *(getattr(D, c) for c in CALL_SUMS))
                     .where(D.day >= d0, D.day < d1, in_sites(D.site, chosen)))  # fmt: skip
    u = union_all(*parts).subquery()
    calls: dict[str, list[int]] = {}
    reg: dict[str, int] = {}
    for site, *v in db.execute(
        select(u.c.site, *(func.sum(u.c[c]) for c in CALL_SUMS)).group_by(u.c.site)
    ).all():  # fmt: skip
        calls[site] = [int(x) for x in v[:5]]
        reg[site] = int(v[5])
    E = KpiEntrySum
    span, sign = _spans(E.span, E.bucket, start, end, d0, d1)
    callbacks: dict[str, list[int]] = {}
    per_category: dict[str, int] = {}
    per_building: dict[str, int] = {}
    if chosen is None:  # every site: the company's rows (migration 0016), a day's once
        CE = KpiCompanyEntrySum
        c_span, c_sign = _spans(CE.span, CE.bucket, start, end, d0, d1)
        for kind, key, n in db.execute(
            select(CE.kind, CE.key, func.sum(c_sign * CE.registered))
            .where(c_span).group_by(CE.kind, CE.key)
        ).all():  # fmt: skip
            if n:
                (per_category if kind == "c" else per_building)[key] = int(n)
        # the callbacks by site: only repairs are returned and called back (kpi_hours)
        for site, ret, ok in db.execute(
            select(E.site, func.sum(sign * E.returned), func.sum(sign * E.cb_ok))
            .where(span, E.kind == "c", E.key == kpi_hours.REPAIR).group_by(E.site)
        ).all():  # fmt: skip
            callbacks[site] = [int(ret), int(ok)]
    else:
        # categories per site (the callbacks by site), buildings summed over the sites in
        # SQL (25 rows, not 25 per site), unfinished statuses not at all (the review's count)
        site_or_all = case((E.kind == "b", ""), else_=E.site)
        for site, kind, key, n, ret, ok in db.execute(
            select(site_or_all, E.kind, E.key, func.sum(sign * E.registered),
                   func.sum(sign * E.returned), func.sum(sign * E.cb_ok))
            .where(span, E.kind != "u", in_sites(E.site, chosen))
            .group_by(site_or_all, E.kind, E.key)
        ).all():  # fmt: skip
            if kind == "c":
                acc = callbacks.setdefault(site, [0, 0])
                acc[0] += int(ret)
                acc[1] += int(ok)
                if n:
                    per_category[key] = per_category.get(key, 0) + int(n)
            elif n:
                per_building[key] = per_building.get(key, 0) + int(n)
    S: Any = KpiSubjectSum if chosen is not None else KpiCompanySubjectSum
    span_s, sign_s = _spans(S.span, S.bucket, start, end, d0, d1)
    n = func.sum(sign_s * S.n).label("n")
    subjects = db.execute(
        select(S.category, S.subject, n)
        .where(span_s, *([in_sites(S.site, chosen)] if chosen is not None else []))
        .group_by(S.category, S.subject).having(n > 0)  # a day row less all its hours: 0
        .order_by(n.desc()).limit(8)
    ).all()  # fmt: skip
    # unfinished before the cutoff: whole UTC days, then hours, then the cutoff's own hour
    cut_d = cut_h.replace(hour=0)
    # (both in one statement: a round trip fewer)
    # (each span its own sum: one range of ix_kpi_entry_sums_kind each, where an OR of the
    # two read every 'u' row of the ledger's history; migration 0015)
    def u_rows(*cond: ColumnElement[bool]) -> Any:
        return select(func.coalesce(func.sum(E.registered), 0)).where(
            E.kind == "u", *cond, in_sites(E.site, chosen)).scalar_subquery()  # fmt: skip

    n_open = db.scalar(select(
        u_rows(E.span == "d", E.bucket < cut_d)
        + u_rows(E.span == "h", E.bucket >= cut_d, E.bucket < cut_h)
        + select(func.count()).where(
            LedgerEntry.status.in_(UNFINISHED), LedgerEntry.created_at >= cut_h,
            LedgerEntry.created_at < cutoff, in_sites(LedgerEntry.site, chosen)).scalar_subquery()
    ))  # fmt: skip
    return Figures(per_hour, calls, reg, callbacks, per_category, per_building,
                   [(c, t, int(k)) for c, t, k in subjects], int(n_open))  # fmt: skip


def _spans(span: Any, bucket: Any, start: datetime, end: datetime, d0: datetime,
           d1: datetime) -> tuple[ColumnElement[bool], ColumnElement[int]]:
    """The period's rows of a table by UTC hour ('h') and day ('d'), and the sign each
    counts with: its whole UTC days [d0, d1) from day rows, and each partial UTC day at its
    ends from the hour rows inside the period — or, when the hours outside it are fewer,
    from the day's row less those hours' rows (sign -1; a day row is the sum of its hour
    rows in every snapshot, as both change only together). A month in +08:00 ends at 16:00
    UTC: its last UTC day is then its day row less eight night hours, not sixteen busy ones
    (4,800 of the company month's 11,600 entry rows)."""
    hour = timedelta(hours=1)
    day = timedelta(days=1)
    if d0 > d1:  # the period lies within one UTC day
        return and_(span == "h", bucket >= start, bucket < end), literal_column("1")
    parts, less = [], []
    if d0 < d1:
        parts.append(and_(span == "d", bucket >= d0, bucket < d1))
    for lo, hi, first in ((start, d0, d0 - day), (d1, end, d1)):  # inside [lo, hi)
        if lo >= hi:
            continue
        inside = (hi - lo) // hour
        if 24 - inside < inside:  # the day row less the hours outside [lo, hi)
            parts.append(and_(span == "d", bucket >= first, bucket < first + day))
            out = or_(and_(bucket >= first, bucket < lo), and_(bucket >= hi, bucket < first + day))
            less.append(and_(span == "h", out))
        else:
            parts.append(and_(span == "h", bucket >= lo, bucket < hi))
    sign = case((or_(*less), -1), else_=1) if less else literal_column("1")
    return or_(*parts, *less), sign


def _from_rows(
    ctx: Ctx, db: Session, start: datetime, end: datetime, chosen: Collection[str] | None,
    cutoff: datetime,
) -> Figures:
    """The figures counted from the period's raw calls and entries (SQL aggregates)."""
    dialect = db.get_bind().dialect.name
    in_period = and_(Call.invited_at >= start, Call.invited_at < end,
                     in_sites(Call.site, chosen))  # fmt: skip
    cfg = ctx.console.cfg
    if dialect == "postgresql":
        # These aggregates run in tens of milliseconds; a month's cost estimate still passes
        # jit_above_cost and JIT compiling them took seconds (EXPLAIN ANALYZE on bench/sites.py).
        db.execute(text("SET LOCAL jit = off"))

    # The phone line, in one pass over the period's calls. Only the time range is in the
    # WHERE clause, everything else in SUM(CASE …): the planner then always walks the
    # invited_at index and never a low-selectivity one (outcome = 'answered' is 90 % of calls).
    answered = Call.outcome == "answered"
    recorded = and_(Call.outcome.in_(("answered", "interrupted")), Call.recording_path.is_not(None))
    hour = _local_hour(ctx, dialect, Call.invited_at, start)
    by_hour = db.execute(
        select(
            hour.label("h"), func.count(), _sum(answered),
            _sum(and_(answered, Call.rings <= MAX_RINGS)), _sum(Call.outcome == "missed"),
            _sum(recorded), Call.site,
        ).where(in_period).group_by(Call.site, literal_column("h"))
    ).all()  # fmt: skip
    # Recorded calls registered within the grace, per site: the entry lookup as a WHERE EXISTS
    # (one semi-join, hashed for many sites), not a subquery run once per call inside a SUM.
    grace = cfg.ledger.registration_grace_s
    registered_in_time = exists().where(
        LedgerEntry.call_id == Call.id,
        LedgerEntry.registered_at.is_not(None),
        _seconds(dialect, LedgerEntry.registered_at, Call.ended_at) <= grace,
    )
    reg_by_site: dict[str, int] = {
        site: int(n)
        for site, n in db.execute(
            select(Call.site, func.count())
            .where(in_period, recorded, registered_in_time)
            .group_by(Call.site)
        ).all()
    }
    # calls per hour of the (local) day, and the period's totals (≤ 24 aggregate rows a site)
    per_hour: dict[int, tuple[int, int]] = {}
    for r in by_hour:
        if r[0] is not None:
            n, m = per_hour.get(int(r[0]), (0, 0))
            per_hour[int(r[0])] = (n + int(r[1]), m + int(r[4]))

    # The period's entries, in one pass grouped by category and building (a few hundred
    # aggregate rows at most: a property has tens of buildings): registered entries per
    # category and per building (hot topics), and callbacks within 2 hours of a repair's
    # return (返单).
    e_period = and_(LedgerEntry.created_at >= start, LedgerEntry.created_at < end,
                    in_sites(LedgerEntry.site, chosen))  # fmt: skip
    repaired = and_(LedgerEntry.category == "报修", LedgerEntry.returned_at.is_not(None))
    groups = db.execute(
        select(
            LedgerEntry.category, LedgerEntry.building,
            _sum(LedgerEntry.status != "draft"), _sum(repaired),
            _sum(and_(repaired, LedgerEntry.callback_at.is_not(None),
                      _seconds(dialect, LedgerEntry.callback_at, LedgerEntry.returned_at)
                      <= ctx.console.rules.callback_s)),
            LedgerEntry.site,
        ).where(e_period).group_by(LedgerEntry.category, LedgerEntry.building, LedgerEntry.site)
    ).all()  # fmt: skip
    per_category: dict[str, int] = {}
    per_building: dict[str, int] = {}
    for cat, building, n, _, _, _ in groups:
        if cat is not None and n:
            per_category[cat] = per_category.get(cat, 0) + int(n)
        if cat in HOT and building is not None and n:
            per_building[building] = per_building.get(building, 0) + int(n)
    calls: dict[str, list[int]] = {}
    for r in by_hour:
        acc = calls.setdefault(r[6], [0] * 5)
        for i in range(5):
            acc[i] += int(r[i + 1])
    callbacks: dict[str, list[int]] = {}
    for r in groups:
        acc = callbacks.setdefault(r[5], [0, 0])
        acc[0] += int(r[3])
        acc[1] += int(r[4])
    subjects = [tuple(r) for r in db.execute(_subjects_query(start, end, chosen)).all()]
    return Figures(per_hour, calls, reg_by_site, callbacks, per_category, per_building,
                   subjects, db.scalar(_unfinished_count(cutoff, chosen)) or 0)  # type: ignore[arg-type]  # fmt: skip


def _subjects_query(start: datetime, end: datetime, chosen: Collection[str] | None) -> Select:
    """The period's eight most frequent HOT subjects (public area, else the summary)."""
    registered = and_(LedgerEntry.created_at >= start, LedgerEntry.created_at < end,
                      in_sites(LedgerEntry.site, chosen), LedgerEntry.status != "draft")  # fmt: skip
    subject = func.coalesce(LedgerEntry.public_area, LedgerEntry.summary)
    # `category || ''`: the same test, but one no index answers, so that SQLite walks the
    # period's created_at range instead of every complaint and repair ever registered
    # (it moves a HAVING on a grouped column into the WHERE clause, so HAVING is no help).
    return (
        select(LedgerEntry.category, subject.label("s"), func.count().label("n"))
        .where(registered, LedgerEntry.category.concat("").in_(HOT))
        .group_by(LedgerEntry.category, literal_column("s"))
        .order_by(literal_column("n").desc())
        .limit(8)
    )


def _unfinished_count(cutoff: datetime, chosen: Collection[str] | None) -> Select:
    still_open = and_(LedgerEntry.status.in_(UNFINISHED), LedgerEntry.created_at < cutoff,
                      in_sites(LedgerEntry.site, chosen))  # fmt: skip
    return select(func.count()).where(still_open)


@dataclass(frozen=True)
class OpenEntry:
    """An unfinished entry as the review's list shows it."""

    id: int
    call_id: int | None
    created_at: datetime
    status: str
    category: str | None
    building: str | None
    unit: str | None
    room: str | None
    public_area: str | None
    summary: str | None
    content: str | None
    department: str | None

    def address_code(self) -> str | None:
        b, u, r = self.building, self.unit, self.room
        return f"{b}-{u}-{r}" if b and u and r else None


_OPEN_COLUMNS = [getattr(LedgerEntry, f) for f in OpenEntry.__dataclass_fields__]
_oldest_stmts: dict[bool, Select] = {}


def _oldest_stmt(every_site: bool) -> Select:
    """The statement of :func:`_oldest_open`, built once: building its union of five
    limited subqueries cost more CPU than the database took to run it."""
    if every_site not in _oldest_stmts:
        cutoff = bindparam("cutoff")
        sites = true() if every_site else LedgerEntry.site.in_(bindparam("sites", expanding=True))
        parts = []
        for st in UNFINISHED:
            if every_site:
                # status BETWEEN st AND st, ordered by (status, created_at): only the (status,
                # created_at) index gives that order. With status = st PostgreSQL may walk the
                # created_at index instead, filtering for a status it thinks evenly spread;
                # unfinished entries are the recent ones, so that walk read 630,000 closed
                # entries first (50 sites x 31 days with rooms spread: 380 ms of 600).
                mine = [LedgerEntry.status.between(st, st)]
                order = [LedgerEntry.status, LedgerEntry.created_at]
            else:
                mine, order = [LedgerEntry.status == st], [LedgerEntry.created_at]
            part = (
                select(LedgerEntry.id, LedgerEntry.created_at)
                .where(*mine, LedgerEntry.created_at < cutoff, sites)
                .order_by(*order)
                .limit(UNFINISHED_LIMIT)
                .subquery()
            )  # fmt: skip
            parts.append(select(part.c.id, part.c.created_at))
        oldest = union_all(*parts).subquery()
        ids = select(oldest.c.id).order_by(oldest.c.created_at).limit(UNFINISHED_LIMIT)
        _oldest_stmts[every_site] = (select(*_OPEN_COLUMNS).where(LedgerEntry.id.in_(ids))
                                     .order_by(LedgerEntry.created_at, LedgerEntry.id))  # fmt: skip
    return _oldest_stmts[every_site]


def _oldest_open(db: Session, cutoff: datetime, sites: Collection[str] | None) -> list[OpenEntry]:
    """The oldest UNFINISHED_LIMIT unfinished entries created before ``cutoff``: the oldest of
    each status, then the oldest of those. Each part is one range of the (site, status,
    created_at) index; a single ORDER BY created_at walked every closed entry of the ledger's
    past first (128,000 rows for one site of bench/sites.py). Plain rows, not ORM objects:
    the page reads a few columns of each."""
    args: dict[str, Any] = {"cutoff": cutoff}
    if sites is not None:
        args["sites"] = sorted(sites)
    return [OpenEntry(*r) for r in db.execute(_oldest_stmt(sites is None), args).all()]


@dataclass
class SiteKpis:
    """One site's headline rules for the period (a row of the side-by-side table)."""

    code: str
    name: str
    total: int
    ring3: Share
    reg1: Share
    cb2: Share
    missed: Share


def _by_site(sites: list[Site], f: Figures) -> list[SiteKpis]:
    """Each site's rules from the same aggregate rows as the page's totals (no more SQL)."""
    out = []
    for s in sites:
        tot, ans, within, missed, n_rec = f.calls.get(s.code, [0] * 5)
        reg_ok = f.reg.get(s.code, 0)
        returned, cb_ok = f.callbacks.get(s.code, [0, 0])
        out.append(SiteKpis(s.code, s.name, tot, Share(within, ans), Share(reg_ok, n_rec),
                            Share(cb_ok, returned), Share(missed, tot)))  # fmt: skip
    return out


DRAFT_WINDOW = 200  # the last N confirmed drafts the accuracy is measured over


def _half_month(d: date) -> str:
    if d.day <= 15:
        return f"{d:%Y-%m}-01 – 15"
    last = ((d.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
    return f"{d:%Y-%m}-16 – {last}"


def _nice_max(v: int) -> int:
    """A round axis maximum ≥ v (1, 2, 5 × 10^n)."""
    if v <= 0:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if step * m >= v:
                return step * m
        step *= 10


def _hours_chart(per_hour: dict[int, tuple[int, int]], p: Period) -> Bars:
    # drawn about 1:1 on a laptop screen, so the 12 px labels stay 12 px
    w, h, left, bottom, top = 1100, 230, 40, 24, 18
    peak = max((n for n, _ in per_hour.values()), default=0)
    ymax = _nice_max(peak)
    steps = ymax if ymax <= 5 else 5  # whole numbers on the axis
    plot_h = h - bottom - top
    slot = (w - left - 8) / 24
    total = sum(n for n, _ in per_hour.values())
    # ties: the earliest hour (the rows come in no set order)
    busiest = max(sorted(per_hour), key=lambda k: per_hour[k][0]) if per_hour else None
    chart = Bars(
        title=f"每小时来电 Calls per hour, {p.label}",
        desc=(f"{total} calls; busiest hour {busiest:02d}:00 with {per_hour[busiest][0]}"
              if busiest is not None else "no calls in this period"),
        width=w, height=h,
    )  # fmt: skip
    for i in range(steps + 1):
        y = top + plot_h - plot_h * i / steps
        chart.ticks.append({"y": round(y, 1), "label": f"{ymax * i / steps:g}"})
    for hr in range(24):
        n, m = per_hour.get(hr, (0, 0))
        bh = plot_h * n / ymax
        mh = plot_h * m / ymax
        x = left + hr * slot + 3
        chart.bars.append({
            "x": round(x, 1), "w": round(slot - 6, 1), "y": round(top + plot_h - bh, 1),
            "h": round(bh - mh, 1), "my": round(top + plot_h - mh, 1), "mh": round(mh, 1),
            "n": n, "m": m, "hour": hr, "label": f"{hr:02d}",
            "cx": round(x + (slot - 6) / 2, 1),
        })  # fmt: skip
    return chart


def _hbars(title: str, items: list[tuple[str, int]], style: str) -> Bars:
    row, label_w, w = 26, 150, 380  # about 1:1 in a third of the page
    h = max(1, len(items)) * row + 8
    peak = max((n for _, n in items), default=0) or 1
    chart = Bars(
        title=title,
        desc="; ".join(f"{k}: {n}" for k, n in items) or "none in this period",
        width=w, height=h,
    )  # fmt: skip
    for i, (k, n) in enumerate(items):
        bw = (w - label_w - 50) * n / peak
        chart.bars.append({
            "y": i * row + 4, "h": row - 8, "x": label_w, "w": round(max(bw, 2), 1),
            "label": k if len(k) <= 12 else k[:11] + "…", "full": k, "n": n, "style": style,
            "tx": round(label_w + max(bw, 2) + 6, 1), "ty": i * row + 4 + (row - 8) / 2 + 4,
        })  # fmt: skip
    return chart


routes = [guarded("/kpi", kpi_page, roles=SUPERVISORS)]
