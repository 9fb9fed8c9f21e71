"""The KPI page read from the per-site, per-hour totals (ledger/kpi_hours.py) on SQLite and on
PostgreSQL: after late changes to calls and entries (confirmed, returned, called back,
moved to another call, hours or days later), deletes, calls on hour and day boundaries,
in whole-hour zones with and without DST, every figure equals a row-by-row count of the
rows as they are now; a +05:30 zone and changed rules count the raw rows instead."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select

from ledger import kpi_hours
from tests.console.test_kpi import _handler_ctx, backend_url  # noqa: F401  (the fixture)

SEC = timedelta(seconds=1)


def _expected(calls, entries, start, end, zone, grace, cb_s, sites):
    """Every figure of the page, counted call by call and entry by entry."""
    from frontdesk.console.kpi import HOT, MAX_RINGS

    month = [c for c in calls if start <= c.invited_at < end and c.site in sites]
    e_month = [e for e in entries if start <= e.created_at < end and e.site in sites]

    def phone(cs):
        answered = [c for c in cs if c.outcome == "answered"]
        recorded = [c for c in cs if c.outcome in ("answered", "interrupted")
                    and c.recording_path is not None]  # fmt: skip
        in_time = [c for c in recorded if c.ended_at is not None and any(
            e.call_id == c.id and e.registered_at is not None
            and (e.registered_at - c.ended_at).total_seconds() <= grace for e in entries)]  # fmt: skip
        return (len(cs), sum(c.rings <= MAX_RINGS for c in answered), len(answered),
                sum(c.outcome == "missed" for c in cs), len(in_time), len(recorded))  # fmt: skip

    def callbacks(es):
        rep = [e for e in es if e.category == "报修" and e.returned_at is not None]
        ok = [e for e in rep if e.callback_at is not None
              and (e.callback_at - e.returned_at).total_seconds() <= cb_s]  # fmt: skip
        return len(ok), len(rep)

    hours: dict[int, tuple[int, int]] = {}
    for c in month:
        h = c.invited_at.astimezone(zone).hour
        n, m = hours.get(h, (0, 0))
        hours[h] = (n + 1, m + (c.outcome == "missed"))
    registered = [e for e in e_month if e.status != "draft"]
    cats: dict[str, int] = {}
    blds: dict[str, int] = {}
    for e in registered:
        if e.category:
            cats[e.category] = cats.get(e.category, 0) + 1
        if e.category in HOT and e.building:
            blds[f"{e.building} 栋"] = blds.get(f"{e.building} 栋", 0) + 1
    subj: dict[str, int] = {}
    for e in registered:
        if e.category in HOT:
            k = f"{e.category} · {e.public_area or e.summary}"
            subj[k] = subj.get(k, 0) + 1
    by_site = {s: (phone([c for c in month if c.site == s]),
                   callbacks([e for e in e_month if e.site == s])) for s in sites}  # fmt: skip
    return {"phone": phone(month), "callbacks": callbacks(e_month), "hours": hours,
            "cats": cats, "blds": blds, "subjects": subj, "by_site": by_site}  # fmt: skip


def _shown(v):
    """The same figures, as the page computed them."""
    by_site = {r.code: ((r.total, r.ring3.hit, r.ring3.of, r.missed.hit, r.reg1.hit, r.reg1.of),
                        (r.cb2.hit, r.cb2.of)) for r in v["by_site"]}  # fmt: skip
    return {
        "phone": (v["total"], v["ring3"].hit, v["answered"], v["missed"], v["reg1"].hit,
                  v["reg1"].of),  # fmt: skip
        "callbacks": (v["cb2"].hit, v["cb2"].of),
        "hours": {b["hour"]: (b["n"], b["m"]) for b in v["hours"].bars if b["n"]},
        "cats": {b["full"]: b["n"] for b in v["cat_chart"].bars},
        "blds": {b["full"]: b["n"] for b in v["bld_chart"].bars},
        "subjects": {b["full"]: b["n"] for b in v["subj_chart"].bars},
        "by_site": by_site,
    }


ZONES = ["UTC", "Asia/Shanghai", "America/New_York", "Asia/Kolkata"]


@pytest.mark.parametrize("tz", ZONES)
def test_totals_follow_late_changes_and_deletes(backend_url, tmp_path, tz, monkeypatch):  # noqa: F811
    """March 2026 (New York moves to DST on the 8th) at two sites: the page, the rows
    changed as a desk changes them later, the page again, each time equal to the rows."""
    from frontdesk.console import kpi
    from frontdesk.console.accounts import Principal
    from frontdesk.console.kpi import UNFINISHED, kpi_page
    from ledger.models import Call, KpiCallHour, KpiDirty, LedgerEntry
    from ledger.models import Site as SiteRow

    k = ZONES.index(tz)
    sites = (f"e{k}", f"w{k}")
    # the company's sums (0016) follow a recount by its change (a few sites) or summed afresh
    # (many): each way in half the zones
    monkeypatch.setattr(kpi_hours, "DELTA_SITES", 8 if k % 2 else 0)
    zone = ZoneInfo(tz)
    start = datetime(2026, 3, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(2026, 4, 1, tzinfo=zone).astimezone(UTC)
    whole_hours = tz != "Asia/Kolkata"
    raw_pages = []
    counted = kpi._from_rows

    def from_rows(*a, **kw):
        raw_pages.append(1)
        return counted(*a, **kw)

    monkeypatch.setattr(kpi, "_from_rows", from_rows)
    # the review's cutoff (now - older days) inside the month, at no particular hour
    older = min(365, (datetime.now(UTC) - datetime(2026, 3, 15, 7, 30, tzinfo=UTC)).days)
    ctx, values = _handler_ctx(backend_url, tmp_path, f"period=month&date=2026-03-15&older={older}",
                               tz)  # fmt: skip
    ctx.user = Principal(1, "boss", "B", "supervisor", frozenset(sites))
    grace, cb_s = ctx.console.cfg.ledger.registration_grace_s, ctx.console.rules.callback_s
    rnd = random.Random(k)
    # 1 µs either side of an hour; the raw rows' count on SQLite rounds a time shifted by a
    # +05:30 offset to the millisecond (strftime's '+N seconds'), so 1 ms in that zone
    tick = timedelta(microseconds=1 if whole_hours else 1000)
    base = 100_000 * (k + 1)
    with ctx.db as s:
        s.add_all([SiteRow(code=c, name=c, created_at=start) for c in sites])
        calls = []
        for i in range(300):
            if i % 10 == 0:  # on a local midnight or a UTC hour, to the microsecond
                edge = start + rnd.randint(0, 31) * timedelta(days=1)
                inv = edge + rnd.choice([-1, 0, 1]) * tick
            elif i % 10 == 1:
                inv = start + rnd.randint(0, 800) * timedelta(hours=1) - tick
            else:
                inv = start - timedelta(days=1) + rnd.uniform(0, 33) * timedelta(days=1)
            outcome = rnd.choice(["answered"] * 6 + ["missed", "busy", "interrupted"])
            rings = rnd.randint(1, 5)
            talked = outcome in ("answered", "interrupted")
            c = Call(id=base + i, uuid=f"t{k}-{i}", caller="139", invited_at=inv, rings=rings,
                     outcome=outcome, site=rnd.choice(sites),
                     ended_at=None if i % 40 == 7 else inv + rnd.randint(10, 4000) * SEC,
                     answered_at=inv + 5 * rings * SEC if talked else None,
                     recording_path=f"r/{i}.wav" if talked and i % 9 else None)  # fmt: skip
            calls.append(c)
        s.add_all(calls)
        s.flush()
        entries = []
        for i, c in enumerate(calls):
            if i % 7 == 3:
                continue  # an unlogged call
            draft = i % 3 == 0  # confirmed later, below
            reg = None if draft else (c.ended_at or c.invited_at) + rnd.choice([10, grace + 5]) * SEC
            e = LedgerEntry(call_id=c.id, site=c.site, category=rnd.choice(["报修", "报修", "投诉", "咨询", None]),
                            building=rnd.choice(["1", "2", None]), created_at=c.invited_at + 30 * SEC,
                            status="draft" if draft else rnd.choice(["closed", *UNFINISHED]),
                            registered_at=reg, summary=rnd.choice(["漏水", "噪音"]))  # fmt: skip
            entries.append(e)
        s.add_all(entries)
        s.commit()

        def check(stage: str) -> None:
            values.clear()
            kpi_page(ctx)
            s.expire_all()
            now_calls = list(s.scalars(select(Call).where(Call.site.in_(sites))))
            now_entries = list(s.scalars(select(LedgerEntry).where(LedgerEntry.site.in_(sites))))
            want = _expected(now_calls, now_entries, start, end, zone, grace, cb_s, sites)
            assert _shown(values) == want, stage
            cutoff = datetime.now(UTC) - timedelta(days=older)
            assert values["n_unfinished"] == sum(
                e.status in UNFINISHED and e.created_at < cutoff for e in now_entries), stage
            dirty = s.scalar(select(func.count()).select_from(KpiDirty).where(
                KpiDirty.site.in_(sites), KpiDirty.hour >= start, KpiDirty.hour < end))  # fmt: skip
            if whole_hours:  # counted from the totals, which the page brought up to date
                assert not raw_pages and dirty == 0, stage
                assert s.scalar(select(func.count()).select_from(KpiCallHour)
                                .where(KpiCallHour.site.in_(sites))), stage  # fmt: skip
            else:  # local midnight is not a UTC hour: the raw rows, every time
                assert raw_pages, stage
            # the company (an admin: every site of the ledger, whatever other tests left in
            # it), read from the company's hours and the sites' day rows (migration 0014)
            boss, ctx.user = ctx.user, Principal(1, "admin", "A", "admin", None)
            values.clear()
            kpi_page(ctx)
            ctx.user = boss
            every = tuple(s.scalars(select(SiteRow.code)))
            want = _expected(list(s.scalars(select(Call))), list(s.scalars(select(LedgerEntry))),
                             start, end, zone, grace, cb_s, every)  # fmt: skip
            assert _shown(values) == want, f"company: {stage}"

        check("first page")
        assert _expected(calls, entries, start, end, zone, grace, cb_s, sites)["phone"][4] > 0

        # hours and days later: drafts confirmed (some late), repairs returned and called back
        later = end + timedelta(days=3)
        for i, e in enumerate(entries):
            if e.status == "draft" and i % 2:
                c = s.get(Call, e.call_id)
                e.status = "registered"
                e.registered_at = (c.ended_at or c.invited_at) + rnd.choice([5, grace + 30]) * SEC
            if e.category == "报修" and e.status != "draft" and i % 3:
                e.returned_at = e.created_at + 3600 * SEC
                e.status = "returned"
                if i % 2:
                    e.callback_at = e.returned_at + rnd.choice([600, cb_s + 60]) * SEC
                    e.status = "called_back"
            e.updated_at = later
        s.commit()
        check("confirmed, returned, called back")

        # the call's side changes: it ended later (registration no longer in time), was filed
        # at another site, or its time was corrected across an hour and the month's end
        for i, c in enumerate(calls[:60]):
            if i % 3 == 0 and c.ended_at is not None:
                c.ended_at += timedelta(seconds=grace)
            elif i % 3 == 1:
                c.site = sites[1] if c.site == sites[0] else sites[0]
            else:
                c.invited_at += rnd.choice([-1, 1]) * timedelta(minutes=rnd.randint(1, 90))
        s.commit()
        check("calls changed")

        # an entry moved to another call, one re-dated, a category and building, a subject corrected
        for i, e in enumerate(entries[:60]):
            if i % 4 == 0:
                e.call_id = calls[(i * 7 + 11) % len(calls)].id
            elif i % 4 == 1:
                e.created_at = end - timedelta(minutes=30) if i % 8 == 1 else e.created_at + timedelta(hours=5)
            elif i % 4 == 2:
                e.category = "报修" if e.category != "报修" else "投诉"
                e.building = "3"
            elif i % 8 == 3:
                e.public_area = "楼道灯"  # the subject the page groups by
            else:
                e.summary = "停车"
        s.commit()
        check("entries moved")

        # deletes: calls (their entries keep the row, call_id set to NULL) and entries
        gone = [c.id for c in calls[100:130]]
        s.execute(delete(LedgerEntry).where(LedgerEntry.call_id.in_([c.id for c in calls[130:150]])))
        s.execute(delete(Call).where(Call.id.in_(gone)))
        s.commit()
        check("deleted")


def test_rules_changed_count_raw_rows_until_rebuilt(backend_url, tmp_path, monkeypatch):  # noqa: F811
    """A grace the totals were not counted with: the page counts raw rows (and says so in
    the log) until `frontdesk ledger rebuild-kpi` recounts; the figures are the same."""
    from frontdesk.console import kpi
    from frontdesk.console.accounts import Principal
    from ledger import kpi_hours
    from ledger.models import Call, KpiDirty, LedgerEntry
    from ledger.models import Site as SiteRow

    ctx, values = _handler_ctx(backend_url, tmp_path, "period=day&date=2026-05-04")
    ctx.user = Principal(1, "boss", "B", "supervisor", frozenset({"g1"}))
    ctx.console.cfg.ledger.registration_grace_s = 150.0
    t = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    with ctx.db as s:
        s.add(SiteRow(code="g1", name="g1", created_at=t))
        s.add(Call(id=900_001, uuid="g1", caller="1", invited_at=t, rings=1, outcome="answered",
                   site="g1", ended_at=t + 60 * SEC, recording_path="r.wav"))  # fmt: skip
        s.flush()
        s.add(LedgerEntry(call_id=900_001, site="g1", status="registered", category="报修",
                          created_at=t + 61 * SEC, registered_at=t + 160 * SEC))  # fmt: skip
        s.commit()
        raw = []
        counted = kpi._from_rows
        monkeypatch.setattr(kpi, "_from_rows", lambda *a: raw.append(1) or counted(*a))
        kpi.kpi_page(ctx)
        assert raw and (values["reg1"].hit, values["reg1"].of) == (1, 1)  # 100 s ≤ 150 s
        rows = kpi_hours.rebuild(s.connection(), 150.0, ctx.console.rules.callback_s)
        s.commit()
        assert rows["call_hours"] >= 1
        raw.clear()
        kpi.kpi_page(ctx)
        assert not raw and (values["reg1"].hit, values["reg1"].of) == (1, 1)
        ctx.console.cfg.ledger.registration_grace_s = 60.0  # back: raw rows, 100 s > 60 s
        kpi.kpi_page(ctx)
        assert raw and (values["reg1"].hit, values["reg1"].of) == (0, 1)
        # the reconciler's periodic recount: only under the rules the totals were counted with
        s.get(LedgerEntry, s.scalar(select(LedgerEntry.id).where(LedgerEntry.site == "g1"))
              ).registered_at = t + 100 * SEC  # fmt: skip
        s.commit()
        assert kpi_hours.refresh_all(s.connection(), 60.0, ctx.console.rules.callback_s) is None
        # the entry and its call in one hour: one bucket
        assert kpi_hours.refresh_all(s.connection(), 150.0, ctx.console.rules.callback_s) == 1
        s.commit()
        assert s.scalar(select(func.count()).select_from(KpiDirty)) == 0
        kpi_hours.rebuild(s.connection(), 60.0, ctx.console.rules.callback_s)
        s.commit()
        raw.clear()
        kpi.kpi_page(ctx)
        assert not raw and (values["reg1"].hit, values["reg1"].of) == (1, 1)  # 40 s ≤ 60 s


def test_a_sites_page_recounts_only_its_own_dirty_hours(backend_url, tmp_path):  # noqa: F811
    """A live company's current hour is dirty at every site: a site supervisor's page
    recounts its own site's hours and leaves the others' marks for their pages; each page's
    figures equal a row-by-row count."""
    from frontdesk.console.accounts import Principal
    from frontdesk.console.kpi import kpi_page
    from ledger.models import Call, KpiDirty, LedgerEntry
    from ledger.models import Site as SiteRow

    sites = ("pa", "pb")
    zone = ZoneInfo("Asia/Shanghai")
    start = datetime(2026, 5, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(2026, 6, 1, tzinfo=zone).astimezone(UTC)
    ctx, values = _handler_ctx(backend_url, tmp_path, "period=month&date=2026-05-20")
    grace, cb_s = ctx.console.cfg.ledger.registration_grace_s, ctx.console.rules.callback_s
    rnd = random.Random(5)
    with ctx.db as s:
        s.add_all([SiteRow(code=c, name=c, created_at=start) for c in sites])
        s.commit()

        def live_hour() -> None:  # both desks take calls in the same hour, and register them
            at = start + timedelta(days=19, hours=3, minutes=rnd.randint(0, 59))
            for site in sites:
                c = Call(uuid=f"live-{site}-{rnd.random()}", caller="139", invited_at=at,
                         rings=rnd.randint(1, 5), outcome="answered", site=site,
                         answered_at=at + 5 * SEC, ended_at=at + 90 * SEC,
                         recording_path="r/live.wav")  # fmt: skip
                s.add(c)
                s.flush()
                s.add(LedgerEntry(call_id=c.id, site=site, category="报修", building="1",
                                  created_at=at + 30 * SEC, status="registered",
                                  registered_at=at + rnd.choice([30, grace + 30]) * SEC,
                                  summary="漏水"))  # fmt: skip
            s.commit()

        def dirty(site: str) -> int:
            return s.scalar(select(func.count()).select_from(KpiDirty).where(KpiDirty.site == site))

        def page_of(site: str) -> None:
            ctx.user = Principal(1, "boss", "B", "supervisor", frozenset({site}))
            values.clear()
            kpi_page(ctx)
            s.expire_all()
            calls = list(s.scalars(select(Call).where(Call.site == site)))
            entries = list(s.scalars(select(LedgerEntry).where(LedgerEntry.site == site)))
            assert _shown(values) == _expected(calls, entries, start, end, zone, grace, cb_s,
                                               (site,))  # fmt: skip

        for round_ in range(3):
            live_hour()
            assert dirty("pa") and dirty("pb")
            page_of("pa")
            assert dirty("pa") == 0 and dirty("pb"), round_  # pb's hour waits for pb's page
            page_of("pb")
            assert dirty("pb") == 0, round_
