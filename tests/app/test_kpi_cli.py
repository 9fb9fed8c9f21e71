"""`frontdesk ledger rebuild-kpi` recounts the KPI totals under the config's rules, and
`frontdesk reconcile` recounts the hours changes made dirty (the real CLI, a SQLite ledger)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests.conftest import frontdesk, frontdesk_json


def test_rebuild_kpi_and_the_reconcilers_recount(tmp_path):
    from frontdesk.config import load_config
    from ledger.db import open_database
    from ledger.models import Call, KpiCallHour, KpiDirty, KpiSettings, LedgerEntry

    url = load_config(tmp_path).database_url
    t = datetime.now(UTC).replace(minute=10, second=0, microsecond=0) - timedelta(hours=3)
    sessions = open_database(url)
    with sessions() as s:
        s.add(Call(uuid="k1", caller="139", invited_at=t, rings=1, outcome="answered",
                   ended_at=t + timedelta(seconds=50), recording_path="r.wav"))  # fmt: skip
        s.flush()
        s.add(LedgerEntry(call_id=s.scalar(select(Call.id)), status="registered",
                          category="报修", created_at=t + timedelta(seconds=60),
                          registered_at=t + timedelta(seconds=70)))  # fmt: skip
        s.commit()
        marked = s.execute(select(KpiDirty.site, KpiDirty.hour).distinct()).all()
        assert len(marked) == 1  # the call's hour (its entry's too)
        assert s.scalar(select(func.count()).select_from(KpiCallHour)) == 0

    frontdesk(tmp_path, "reconcile", "--format", "json", check=False)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(KpiDirty)) == 0
        row = s.scalars(select(KpiCallHour)).one()
        assert (row.calls, row.answered, row.recorded, row.reg_ok) == (1, 1, 1, 1)

    (tmp_path / "frontdesk.toml").write_text("[ledger]\nregistration_grace_s = 10.0\n",
                                             encoding="utf-8")  # fmt: skip
    out = frontdesk_json(tmp_path, "ledger", "rebuild-kpi")
    assert out["call_hours"] == 1 and out["entry_hours"] >= 1
    with sessions() as s:
        assert "grace=10.0;" in s.scalar(select(KpiSettings.rules))
        assert s.scalars(select(KpiCallHour)).one().reg_ok == 0  # 20 s after hang-up > 10 s
