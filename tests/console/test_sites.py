"""Sites in the console, against a real console process over plain HTTP: a supervisor of one
site cannot reach another site's calls, recordings, entries or findings by URL (404, the
same as for a row that does not exist, and nothing of it in the body), lists and exports
hold their own site's rows only, the company sees each site's KPIs beside its own, and an
admin assigns sites on the Users page.

The rows are written the way the product writes them: two desks' stores (one data
directory, two [phone] sites), the real reconciler, real WAV files hashed as the phone
hashes them."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile as sf

from domain.calls import CallRecord
from domain.intake import Address, IntakeDraft
from domain.recording import RecordingInfo
from frontdesk.config import load_config
from frontdesk.console.accounts import add_user
from frontdesk.store import CallStore
from ledger import entries
from ledger.models import Finding
from ledger.reconcile import Rules, run
from ledger.types import utcnow
from recordings.archive import sha256_file
from tests.console.conftest import PASSWORD, ledger, start_console

SUNNY_CALLER, LAKE_CALLER = "13911110001", "13922220002"


def _recorded(root: Path, uuid: str, caller: str, rings: int) -> CallRecord:
    at = utcnow() - timedelta(hours=2)
    rel = f"{at:%Y/%m/%d}/{uuid}.wav"
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.zeros((8000, 2), np.int16), 8000, subtype="PCM_16")
    rec = RecordingInfo(rel, sha256_file(path), path.stat().st_size, 1.0, 2, 8000)
    return CallRecord(uuid=uuid, sip_call_id=uuid, caller=caller, callee="fd", invited_at=at,
                      answered_at=at + timedelta(seconds=5), ended_at=at + timedelta(seconds=6),
                      rings=rings, answered_by="agent", outcome="answered", recording=rec)  # fmt: skip


@pytest.fixture(scope="module")
def two_sites(tmp_path_factory):
    """One data directory, the console's own site 阳光花园 (sunny) and 翠湖苑 (lake)."""
    tmp = tmp_path_factory.mktemp("sites")
    d = tmp / "var"
    d.mkdir(mode=0o700)
    (d / "frontdesk.toml").write_text('[phone]\nsite = "阳光花园"\nsite_code = "sunny"\n',
                                      encoding="utf-8")  # fmt: skip
    sunny_cfg = load_config(d)
    lake_cfg = load_config(d)
    lake_cfg.phone.site, lake_cfg.phone.site_code = "翠湖苑", "lake"
    ids = {}
    ids["call_a"] = CallStore(sunny_cfg).save_call(
        _recorded(sunny_cfg.recordings_dir, "0a0a0a0a-0000-4000-8000-00000000000a", SUNNY_CALLER, 2))
    ids["call_b"] = CallStore(lake_cfg).save_call(
        _recorded(lake_cfg.recordings_dir, "0b0b0b0b-0000-4000-8000-00000000000b", LAKE_CALLER, 6))
    with ledger(d)() as s:
        e = entries.create_draft(s, ids["call_b"], IntakeDraft(
            category="报修", address=Address("9", "1", "901"), summary="翠湖苑的漏水"))  # fmt: skip
        entries.confirm(s, e.id, "agent_b")
        ids["entry_b"] = e.id
        run(s, rules=Rules(content=False))  # the real reconciler, every site
        for f in s.query(Finding):
            ids.setdefault(f"finding_{f.site}", f.id)
        add_user(s, "super_a", "supervisor", PASSWORD, "阳光主管", ["sunny"])
        add_user(s, "super_b", "supervisor", PASSWORD, "翠湖主管", ["lake"])
        add_user(s, "agent_b", "agent", PASSWORD, "", ["lake"])
        add_user(s, "boss", "supervisor", PASSWORD, "客服总监", [], all_sites=True)
        add_user(s, "admin1", "admin", PASSWORD)
        add_user(s, "trainer_a", "trainer", PASSWORD, "", ["sunny"])
        add_user(s, "trainer_b", "trainer", PASSWORD, "", ["lake"])
        s.commit()
    assert {"finding_sunny", "finding_lake"} <= set(ids)  # one finding under each site
    server = start_console(d, tmp)
    yield server, ids
    server.proc.terminate()
    try:
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.proc.kill()


class Browser:
    """Plain HTTP as a logged-in browser (the Secure session cookie sent by hand: httpx
    rightly keeps it off plain HTTP)."""

    def __init__(self, url: str, username: str) -> None:
        self.c = httpx.Client(base_url=url, follow_redirects=False, timeout=60)
        token = self.c.get("/login").cookies["fd_login"]
        r = self.c.post("/login", data={"username": username, "password": PASSWORD, "csrf": token},
                        headers={"Cookie": f"fd_login={token}"})  # fmt: skip
        assert r.status_code == 303, r.text
        self.cookie = f"fd_session={r.cookies['fd_session']}"
        page = self.get("/users" if username == "admin1" else "/")
        page = page if page.status_code == 200 else self.get(page.headers["location"])
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)

    def get(self, path: str) -> httpx.Response:
        return self.c.get(path, headers={"Cookie": self.cookie})

    def post(self, path: str, data: dict) -> httpx.Response:
        return self.c.post(path, data=data, headers={"Cookie": self.cookie,
                                                     "X-CSRF-Token": self.csrf})  # fmt: skip


def test_a_site_supervisor_cannot_reach_another_sites_rows_by_url(two_sites):
    server, ids = two_sites
    a = Browser(server.url, "super_a")
    b_call, b_entry, b_finding = ids["call_b"], ids["entry_b"], ids["finding_lake"]
    for path in (f"/calls/{b_call}", f"/calls/{b_call}/peaks.json", f"/recordings/{b_call}.wav",
                 f"/recordings/{b_call}.wav?download=1", f"/audit/{b_finding}",
                 f"/ledger/{b_entry}", f"/desk?entry={b_entry}", "/calls?site=lake",
                 "/kpi?site=lake", "/audit?site=lake", "/ledger?site=lake"):  # fmt: skip
        r = a.get(path)
        assert r.status_code == 404, (path, r.status_code)
        assert LAKE_CALLER not in r.text and "翠湖苑" not in r.text, path
        # … the same answer as for an id that does not exist
        missing = a.get(re.sub(r"/\d+", "/999999", path, count=1))
        assert missing.status_code == 404
    for path, data in ((f"/audit/{b_finding}/resolve", {"note": "not mine"}),
                       (f"/ledger/{b_entry}/act", {"action": "dispatch"}),
                       (f"/desk/entries/{b_entry}", {"action": "save", "summary": "x"})):  # fmt: skip
        assert a.post(path, data).status_code == 404, path
    assert a.get(f"/api/calls/{b_call}/draft").json()["stored"] is False
    # lists, searches and exports: their own site only
    assert "no calls match" in a.get(f"/calls?caller={LAKE_CALLER}").text
    for path in ("/calls", "/audit?status=all", "/audit/export.csv?status=all", "/ledger",
                 "/kpi", "/desk", "/api/desk/drafts"):  # fmt: skip
        r = a.get(path)
        assert r.status_code == 200, path
        assert LAKE_CALLER not in r.text and "翠湖苑的漏水" not in r.text, path
    assert f'data-finding="{b_finding}"' not in a.get("/audit?status=all").text
    # their own site's rows, as before
    a_call = ids["call_a"]
    assert SUNNY_CALLER in a.get("/calls").text
    wav = a.get(f"/recordings/{a_call}.wav")
    assert wav.status_code == 200 and wav.content[:4] == b"RIFF"
    assert a.get(f"/audit/{ids['finding_sunny']}").status_code == 200
    # nothing was changed by the refused posts
    with ledger(server.data_dir)() as s:
        assert s.get(Finding, b_finding).status == "open"
        assert entries._get(s, b_entry).status == "registered"


def test_the_other_site_sees_its_own_and_not_the_desk_line_of_another(two_sites):
    server, ids = two_sites
    b = Browser(server.url, "super_b")
    assert b.get(f"/calls/{ids['call_a']}").status_code == 404
    assert b.get(f"/recordings/{ids['call_a']}.wav").status_code == 404
    assert b.get(f"/recordings/{ids['call_b']}.wav").status_code == 200
    assert b.get(f"/ledger/{ids['entry_b']}").status_code == 200
    # this console's phone is 阳光花园's line: 翠湖苑's people do not work it
    assert b.get("/line/status").status_code == 403
    agent = Browser(server.url, "agent_b")
    assert agent.get("/events").status_code == 403
    assert agent.get(f"/ledger/{ids['entry_b']}").status_code == 200


def test_the_company_sees_each_sites_kpis_beside_its_own(two_sites):
    server, ids = two_sites
    boss = Browser(server.url, "boss")
    html = boss.get("/kpi").text
    table = html[html.index('id="kpi-by-site"'):]
    rows = dict(re.findall(r'<tr data-site="([^"]*)".*?class="num calls">(\d+)<', table, re.S))
    assert rows == {"default": "0", "lake": "1", "sunny": "1", "": "2"}
    assert "全公司 Company" in table
    # the lake call rang 6 times: its site's ≤ 3 rings share is 0 of 1, sunny's 1 of 1
    lake_row = re.search(r'<tr data-site="lake">.*?</tr>', table, re.S).group(0)
    assert 'data-hit="0" data-of="1"' in lake_row
    one = boss.get("/kpi?site=lake").text
    assert 'id="kpi-by-site"' not in one and 'id="kpi-site">翠湖苑' in one
    # a site supervisor gets no company column
    assert 'id="kpi-by-site"' not in Browser(server.url, "super_a").get("/kpi").text
    # the company's lists say each row's site by name
    for path in ("/audit", "/calls"):  # (the ledger holds an entry of 翠湖苑 only)
        badges = set(re.findall(r'<span class="badge site" data-site="([^"]*)">([^<]*)<',
                                boss.get(path).text))  # fmt: skip
        assert ("lake", "翠湖苑") in badges and ("sunny", "阳光花园") in badges, (path, badges)


def test_an_admin_assigns_sites_on_the_users_page(two_sites):
    server, ids = two_sites
    admin = Browser(server.url, "admin1")
    assert 'data-site="lake"' in admin.get("/users").text
    a = Browser(server.url, "super_a")
    assert a.post("/users/super_a/sites", {"site": ["lake"]}).status_code == 403
    r = admin.post("/users/super_a/sites", {"site": ["lake"]})
    assert r.status_code == 303
    # at once, in the session already open: now 翠湖苑's, no longer 阳光花园's
    assert a.get(f"/calls/{ids['call_b']}").status_code == 200
    assert a.get(f"/calls/{ids['call_a']}").status_code == 404
    bad = admin.post("/users/super_a/sites", {"site": ["nowhere"]})
    assert bad.status_code == 400 and "unknown site" in bad.text
    admin.post("/users/super_a/sites", {"site": ["sunny"]})
    assert a.get(f"/calls/{ids['call_a']}").status_code == 200
    # a site added here can be assigned
    assert admin.post("/users/sites", {"code": "hill", "name": "山景苑"}).status_code == 303
    assert admin.post("/users/super_b/sites", {"site": ["lake", "hill"]}).status_code == 303
    with ledger(server.data_dir)() as s:
        from frontdesk.console.accounts import get_user, user_sites

        assert user_sites(get_user(s, "super_b")) == {"lake", "hill"}


def test_a_site_supervisor_reads_the_access_log_of_their_own_people_only(two_sites):
    server, ids = two_sites
    boss = Browser(server.url, "boss")
    assert boss.get(f"/recordings/{ids['call_b']}.wav?download=1").status_code == 200
    b = Browser(server.url, "super_b")
    b.get(f"/recordings/{ids['call_b']}.wav?download=1")
    log = b.get("/access").text
    assert "super_b" in log and "boss" not in log and "super_a" not in log
    assert "boss" in boss.get("/access").text


def test_a_qa_sample_is_drawn_from_one_site_and_kept_to_it(two_sites):
    server, ids = two_sites
    today = utcnow().date()
    b = Browser(server.url, "trainer_b")
    r = b.post("/training/samples", {"agent": "agent_b", "from": str(today - timedelta(days=1)),
                                     "to": str(today + timedelta(days=1)), "size": "5"})  # fmt: skip
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    sample = b.get(url)
    assert sample.status_code == 200 and f"/calls/{ids['call_b']}" in sample.text
    a = Browser(server.url, "trainer_a")
    n = url.rsplit("/", 1)[1]
    assert a.get(url).status_code == 404
    assert a.get(f"/training/pack.zip?sample={n}").status_code == 404
    assert url not in a.get("/training").text
    with ledger(server.data_dir)() as s:
        from ledger.models import QaSample

        row = s.get(QaSample, int(n))
        assert row.site == "lake" and row.criteria["site"] == "lake"
