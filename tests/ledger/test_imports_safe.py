"""Imports refuse what is not theirs, leave nothing behind when the ledger refuses them,
say which rows clash, and never print residents' data in a traceback — real CLI, SQLite."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import soundfile as sf

from tests.conftest import frontdesk, frontdesk_json
from tests.ledger.test_import_export import CDR

REC = "in-8001-13800138000-20261003-091208-1696324320.42.wav"


def _pbx(tmp_path):
    rec_dir = tmp_path / "monitor"
    rec_dir.mkdir()
    master = tmp_path / "Master.csv"
    master.write_text(CDR, encoding="utf-8")
    return rec_dir, master


def _archived(var) -> list:
    return [p for p in (var / "recordings").rglob("*") if p.is_file()] if (var / "recordings").exists() else []


def test_a_symlink_in_the_pbx_folder_is_refused(tmp_path):
    rec_dir, master = _pbx(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (rec_dir / REC).symlink_to(secret)
    var = tmp_path / "var"
    r = frontdesk(var, "calls", "import", "--cdr", str(master), "--recordings", str(rec_dir),
                  "--format", "json", check=False)  # fmt: skip
    assert r.returncode == 1
    [err] = json.loads(r.stdout)["errors"]
    assert "symbolic link" in err["error"]
    assert frontdesk_json(var, "calls", "list") == [] and _archived(var) == []


def test_a_refused_cdr_import_leaves_no_copied_recording_and_no_traceback(tmp_path):
    rec_dir, master = _pbx(tmp_path)
    sf.write(rec_dir / REC, np.zeros(8000, np.int16), 8000, subtype="PCM_16")
    var = tmp_path / "var"
    frontdesk(var, "calls", "list")  # the ledger exists
    with sqlite3.connect(var / "frontdesk.db") as db:  # the ledger refuses the second call
        db.execute("CREATE TRIGGER refuse BEFORE INSERT ON calls WHEN NEW.outcome = 'missed' "
                   "BEGIN SELECT RAISE(ABORT, 'refused'); END")  # fmt: skip
    r = frontdesk(var, "calls", "import", "--cdr", str(master), "--recordings", str(rec_dir),
                  check=False)  # fmt: skip
    assert r.returncode != 0 and "nothing imported" in r.stderr
    assert "Traceback" not in r.stderr and "13900000000" not in r.stderr + r.stdout
    assert _archived(var) == []  # the first call's copy went with its row
    assert frontdesk_json(var, "calls", "list") == []


SHEET = "登记时间,来源,电话,姓名,类别,内容,工单号\n"


def test_a_work_order_number_twice_in_the_file_is_reported_not_dropped(tmp_path):
    """Both rows are kept (a copied row is a 重复登记 the audit must see); the import says so."""
    f = tmp_path / "wo.csv"
    f.write_text(SHEET + "2026-10-03 09:12,来电,13800138000,王先生,报修,厨房漏水,WO-7\n"
                 "2026-10-04 10:00,来电,13900000000,李女士,报修,门锁坏了,WO-7\n", encoding="utf-8")  # fmt: skip
    var = tmp_path / "var"
    r = frontdesk(var, "ledger", "import", str(f), "--format", "json", check=False)
    assert r.returncode == 0
    report = json.loads(r.stdout)
    assert report["imported"] == 2
    assert [w["row"] for w in report["warnings"]] == [3]
    assert "WO-7" in report["warnings"][0]["warning"]
    assert len(frontdesk_json(var, "ledger", "list")) == 2


def test_a_work_order_number_already_in_the_ledger_is_named_without_residents_data(tmp_path):
    var = tmp_path / "var"
    first = tmp_path / "first.csv"
    first.write_text(SHEET + "2026-10-03 09:12,来电,13800138000,王先生,报修,厨房漏水,\n",
                     encoding="utf-8")  # fmt: skip
    frontdesk(var, "ledger", "import", str(first))
    [entry] = frontdesk_json(var, "ledger", "list")
    with sqlite3.connect(var / "frontdesk.db") as db:  # dispatched from the console as WO-9
        db.execute("UPDATE entries SET work_order_no = 'WO-9' WHERE id = ?", (entry["id"],))
    other = tmp_path / "other.csv"
    other.write_text(SHEET + "2026-10-05 08:00,来电,13700000000,张先生,报修,灯不亮,WO-9\n",
                     encoding="utf-8")  # fmt: skip
    r = frontdesk(var, "ledger", "import", str(other), check=False)
    assert r.returncode == 1
    assert f"work order WO-9 already belongs to entry #{entry['id']}" in r.stderr
    assert "Traceback" not in r.stderr and "13700000000" not in r.stderr
    assert len(frontdesk_json(var, "ledger", "list")) == 1
