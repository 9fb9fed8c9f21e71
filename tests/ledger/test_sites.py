"""Sites in the ledger (SQLite and PostgreSQL): the upgrade puts everything stored before
into the default site, a desk's calls carry its site and their drafts inherit it, imports
take --site, and a site's history is its own."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, text

from domain.calls import CallRecord
from domain.intake import Address, IntakeDraft
from domain.sites import DEFAULT, Site, site_of
from frontdesk.console import accounts
from ledger import calls, entries
from ledger.db import make_engine, open_database, upgrade
from ledger.models import Call, LedgerEntry, User
from ledger.sites import ensure_site, in_sites, known_site, list_sites, site_names
from tests.conftest import frontdesk, frontdesk_json

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SUNNY = Site("sunny", "阳光花园")
LAKE = Site("lake", "翠湖苑")


def _call(uuid: str, at: datetime = T0) -> CallRecord:
    return CallRecord(uuid=uuid, sip_call_id=f"sip-{uuid}", caller="13800138000",
                      callee="frontdesk", invited_at=at, answered_at=at + timedelta(seconds=5),
                      ended_at=at + timedelta(seconds=40), rings=1, answered_by="agent",
                      outcome="answered")  # fmt: skip


def test_upgrade_puts_existing_rows_and_users_in_the_default_site(new_db_url):
    url = new_db_url()
    engine = make_engine(url)
    upgrade(engine, "0005")
    with engine.begin() as c:
        c.execute(text("INSERT INTO calls (uuid, sip_call_id, caller, callee, invited_at, rings, outcome,"
                       " source, created_at) VALUES ('u1', 's', '138', 'fd', :at, 3, 'answered', 'phone', :at)"),
                  {"at": T0})  # fmt: skip
        c.execute(text("INSERT INTO entries (source, status, urgent, summary, content, confidence,"
                       " evidence, created_at, updated_at) VALUES ('来电', 'registered', :u, 's', '水管',"
                       " '{}', '[]', :at, :at)"), {"u": True, "at": T0})  # fmt: skip
        c.execute(text("INSERT INTO findings (key, kind, detail, evidence, status, detected_at)"
                       " VALUES ('k1', 'unlogged_call', '', '{}', 'open', :at)"), {"at": T0})  # fmt: skip
        c.execute(text("INSERT INTO users (username, display_name, role, password_hash, disabled,"
                       " created_at) VALUES ('super1', '', 'supervisor', 'x', :no, :at)"),
                  {"no": False, "at": T0})  # fmt: skip
    engine.dispose()
    sessions = open_database(url)
    with sessions() as s:
        assert s.execute(text("SELECT site FROM calls")).scalar() == "default"
        assert s.execute(text("SELECT site FROM entries")).scalar() == "default"
        assert s.execute(text("SELECT site FROM findings")).scalar() == "default"
        assert list_sites(s) == [DEFAULT]
        user = s.scalar(select(User))
        assert accounts.user_sites(user) == frozenset({"default"})
        indexes = {i["name"]: i["column_names"] for i in inspect(s.connection()).get_indexes("calls")}
        assert indexes["ix_calls_site_invited"] == ["site", "invited_at"]


def test_a_desks_calls_carry_its_site_and_drafts_inherit_it(db_url):
    sessions = open_database(db_url)
    with sessions() as s:
        ensure_site(s, SUNNY)
        ensure_site(s, LAKE)
        a = calls.record_call(s, _call("a"), site="sunny")
        b = calls.record_call(s, _call("b"), site="lake")
        plain = calls.record_call(s, _call("c"))  # a desk with no site set up
        d = IntakeDraft(category="报修", address=Address("4", "2", "301"), summary="漏水")
        ea, eb = entries.create_draft(s, a.id, d), entries.create_draft(s, b.id, d)
        ec = entries.create_draft(s, plain.id, d)
        s.commit()
        assert (ea.site, eb.site, ec.site) == ("sunny", "lake", "default")
        # the same uuid reported again keeps its first site
        assert calls.record_call(s, _call("a"), site="lake").site == "sunny"
        assert [c.uuid for c in calls.list_calls(s, site="lake")] == ["b"]
        assert {e.id for e in entries.list_entries(s, site="sunny")} == {ea.id}
        kept = s.scalars(select(LedgerEntry.id).where(in_sites(LedgerEntry.site, {"lake"}))).all()
        assert kept == [eb.id]
        assert s.scalars(select(Call.id).where(in_sites(Call.site, set()))).all() == []
        assert len(s.scalars(select(Call.id).where(in_sites(Call.site, None))).all()) == 3
        assert site_names(s)["sunny"] == "阳光花园"


def test_history_for_the_repeat_rule_is_the_sites_own(db_url):
    """Building 4-2-301 of 阳光花园 is not 4-2-301 of 翠湖苑."""
    sessions = open_database(db_url)
    with sessions() as s:
        for site in (SUNNY, LAKE):
            ensure_site(s, site)
        s.add(LedgerEntry(source="来电", status="registered", building="4", unit="2", room="301",
                          summary="漏水", created_at=T0, site="lake"))  # fmt: skip
        s.commit()
        later = T0 + timedelta(days=1)
        addr = Address("4", "2", "301")
        assert len(entries.prior_entries(s, addr, before=later, site="lake")) == 1
        assert entries.prior_entries(s, addr, before=later, site="sunny") == []
        assert len(entries.prior_entries(s, addr, before=later)) == 1  # no site: all, as before


def test_a_site_is_recorded_once_and_a_typo_is_refused(db_url):
    sessions = open_database(db_url)
    for _ in range(2):  # a desk restarting: its site is there already
        with sessions() as s:
            ensure_site(s, SUNNY)
            s.commit()
    with sessions() as s:
        assert [x.code for x in list_sites(s)] == ["default", "sunny"]
        with pytest.raises(ValueError, match="unknown site 'sunyy'.*known: default, sunny"):
            known_site(s, "sunyy", DEFAULT)
        assert known_site(s, None, LAKE) == LAKE  # the desk's own site is added when new
        with pytest.raises(ValueError, match="site code"):
            ensure_site(s, Site("a b", "bad"))


def test_a_site_from_the_settings():
    assert site_of(None, None) == DEFAULT
    assert site_of("阳光花园", None) == Site("阳光花园", "阳光花园")
    assert site_of("阳光花园", "sunny") == SUNNY
    with pytest.raises(ValueError):
        site_of("阳光 花园", None)


def test_imports_take_a_site_and_refuse_an_unknown_one(tmp_path):
    """Through the real CLI on SQLite."""
    var = tmp_path / "var"
    var.mkdir()
    (var / "frontdesk.toml").write_text('[phone]\nsite = "阳光花园"\nsite_code = "sunny"\n')
    sheet = tmp_path / "s.csv"
    sheet.write_text("登记时间,电话,楼栋,单元,房号,类别,内容\n2026-10-03 09:12,13800138000,4,2,301,报修,漏水\n",
                     encoding="utf-8")  # fmt: skip
    r = json.loads(frontdesk(var, "ledger", "import", str(sheet), "--format", "json").stdout)
    assert r["imported"] == 1
    bad = frontdesk(var, "ledger", "import", str(sheet), "--site", "sunyy", check=False)
    assert bad.returncode != 0 and "unknown site 'sunyy'" in bad.stderr
    # the same sheet in the default site is another site's entry, not "already there"
    r = json.loads(frontdesk(var, "ledger", "import", str(sheet), "--site", "default",
                             "--format", "json").stdout)  # fmt: skip
    assert r["imported"] == 1
    rows = frontdesk_json(var, "ledger", "list")
    assert sorted(e["site"] for e in rows) == ["default", "sunny"]
    assert [e["site"] for e in frontdesk_json(var, "ledger", "list", "--site", "sunny")] == ["sunny"]
