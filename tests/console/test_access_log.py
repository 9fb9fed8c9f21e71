"""The access log, readable: the /access page (supervisors, admins) and `frontdesk access-log`;
and the first run, which says how to create the first admin — a real console process."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import frontdesk
from tests.console.conftest import ledger, login, serving
from tests.console.test_security import _post_login


def _history(data_dir) -> dict[str, int]:
    """Two calls (one from 13912345678) and what people did with them a week ago."""
    from domain.calls import CallRecord
    from frontdesk.console.access import log_access
    from ledger import calls
    from ledger.models import AccessLog

    now = datetime.now(UTC)
    ids = {}
    with ledger(data_dir)() as db:
        for name, caller in (("a", "13912345678"), ("b", "13600001111")):
            ids[name] = calls.record_call(db, CallRecord(
                uuid=name, sip_call_id=name, caller=caller, callee="8001",
                invited_at=now - timedelta(days=7), outcome="missed")).id  # fmt: skip
        log_access(db, "super1", "play", f"call:{ids['a']}", "127.0.0.1", range="bytes=0-")
        log_access(db, "trainer1", "download", f"call:{ids['a']}", "127.0.0.1")
        log_access(db, "trainer1", "play", f"call:{ids['b']}", "127.0.0.1")
        db.flush()
        for row in db.query(AccessLog):
            row.at = now - timedelta(days=7)
        db.commit()
    return ids


def test_supervisors_read_the_access_log_page_and_export_it(console_dir, tmp_path, page):
    ids = _history(console_dir)
    for server in serving(console_dir, tmp_path):
        login(page, server, "super1")
        page.goto(server.url + "/access")
        assert "访问日志" in page.inner_text("header nav")
        rows = page.locator("table.access tbody tr")
        assert rows.count() == 4  # three from last week and this log-in
        assert page.locator("table.access tbody tr[data-action=login]").count() == 1

        def shown(query: str, url: str = server.url) -> list[tuple[str, str, str]]:
            page.goto(f"{url}/access?{query}")
            return [tuple(r.split("\t")[2:5]) for r in page.eval_on_selector_all(
                "table.access tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.innerText).join('\\t'))")]  # fmt: skip

        assert shown("user=trainer1") == [("trainer1", "play", f"call:{ids['b']}"),
                                          ("trainer1", "download", f"call:{ids['a']}")]  # fmt: skip
        assert [r[1] for r in shown(f"call={ids['a']}")] == ["download", "play"]
        assert [r[0] for r in shown("caller=13912345678")] == ["trainer1", "super1"]
        week_ago = (datetime.now() - timedelta(days=7)).date()
        assert len(shown(f"from={week_ago}&to={week_ago}")) == 3
        r = page.request.get(f"{server.url}/access/export.csv?user=trainer1")
        table = list(csv.reader(io.StringIO(r.body().decode("utf-8-sig"))))
        assert table[0][:4] == ["id", "at", "username", "action"] and len(table) == 3
        page.goto(server.url + "/access?action=export")
        assert page.locator("table.access tbody tr").count() == 1  # the export is logged
        # agents and trainers may not read it
        for who in ("agent1", "trainer1"):
            with httpx.Client(base_url=server.url) as c:
                cookie = _post_login(c, who, "correct-horse-9").cookies["fd_session"]
                r = c.get("/access", headers={"Cookie": f"fd_session={cookie}"})
                assert r.status_code == 403, who


def test_the_access_log_command(console_dir):
    ids = _history(console_dir)
    rows = json.loads(frontdesk(console_dir, "access-log", "--call", str(ids["a"]),
                                "--format", "json").stdout)  # fmt: skip
    assert [(r["username"], r["action"]) for r in rows] == [("trainer1", "download"),
                                                            ("super1", "play")]  # fmt: skip
    assert rows[1]["detail"] == {"range": "bytes=0-"} and rows[1]["remote"] == "127.0.0.1"
    rows = json.loads(frontdesk(console_dir, "access-log", "--user", "trainer1", "--since=-8d",
                                "--format", "json").stdout)  # fmt: skip
    assert len(rows) == 2
    assert json.loads(frontdesk(console_dir, "access-log", "--since=-1d",
                                "--format", "json").stdout) == []  # fmt: skip
    out = frontdesk(console_dir, "access-log", "--caller", "13912345678", "--format", "csv").stdout
    assert len(list(csv.reader(io.StringIO(out)))) == 3
    table = frontdesk(console_dir, "access-log").stdout
    assert "trainer1" in table and "download" in table


def test_the_first_run_says_how_to_create_the_first_admin(tmp_path, page):
    empty = tmp_path / "empty"
    empty.mkdir()
    for server in serving(empty, tmp_path):
        page.goto(server.url + "/login")
        hint = page.inner_text(".first-run")
        # one command a user can paste: `frontdesk --data-dir DIR users add NAME --role admin`
        want = f"frontdesk --data-dir {empty} users add NAME --role admin"
        assert want in hint, hint
        assert "no console user exists yet" in server.log()
        assert want in server.log(), server.log()
        subprocess.run([sys.executable, "-m", "frontdesk.cli", "--data-dir", str(empty), "users",
                        "add", "boss", "--role", "admin", "--password-stdin"],
                       input="pw-1234567\n", text=True, check=True, capture_output=True)  # fmt: skip
        page.goto(server.url + "/login")
        assert page.locator(".first-run").count() == 0
