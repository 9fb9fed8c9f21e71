"""`frontdesk reconcile --verify-all`: a deep audit that hashes every recording, so a file
edited with its size and modification time kept is still flagged RECORDING_TAMPERED."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import numpy as np
import soundfile as sf

from tests.conftest import frontdesk, frontdesk_json


def _stored_call(data_dir) -> str:
    from domain.calls import CallRecord
    from frontdesk.config import load_config
    from ledger import calls
    from ledger.db import open_database
    from recordings.archive import Archive

    cfg = load_config(data_dir)
    archive = Archive(cfg.recordings_dir)
    t0 = datetime.now(UTC) - timedelta(hours=1)
    dest = archive.final_path("deep-audit", t0)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tone = (np.sin(np.arange(16000) / 3) * 8000).astype(np.int16)
    sf.write(str(dest), np.stack([tone, tone], axis=1), 8000, subtype="PCM_16")
    rec = CallRecord(uuid="deep-audit", sip_call_id="deep-audit", caller="13900000000",
                     callee="8001", invited_at=t0, answered_at=t0 + timedelta(seconds=3),
                     ended_at=t0 + timedelta(seconds=5), rings=1, answered_by="agent",
                     outcome="answered", recording=archive.describe(dest))  # fmt: skip
    with open_database(cfg.database_url)() as s:
        calls.record_call(s, rec)
        s.commit()
    return str(dest)


def _tampered(rows) -> list:
    return [f for f in rows if f["kind"] == "RECORDING_TAMPERED"]


def test_verify_all_catches_an_edit_that_kept_size_and_mtime(tmp_path):
    d = tmp_path / "var"
    path = _stored_call(d)
    st = os.stat(path)
    with open(path, "r+b") as fh:  # one sample changed, same size
        fh.seek(st.st_size - 2)
        fh.write(b"\x01\x02")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the old mtime put back

    quick = frontdesk(d, "reconcile", "--format", "json", check=False)
    assert not _tampered(json.loads(quick.stdout))
    deep = frontdesk(d, "reconcile", "--verify-all", "--format", "json", check=False)
    assert deep.returncode == 1
    [finding] = _tampered(json.loads(deep.stdout))
    assert finding["status"] == "open"
    # the finding is kept: a later quick run lists it still
    assert _tampered(frontdesk_json(d, "reconcile", check=False))


def test_findings_are_explained_in_the_supervisors_words_in_every_format(tmp_path):
    """未登记来电: 3月9日 10:42 的来电 138****0001 没有台账登记; 登记超时: … 挂机后 31 分钟才登记:
    the same sentence, with local times and masked numbers, in the table, CSV and JSON."""
    import csv
    import io

    cdr = "".join(
        f'"","{src}","8001","from-trunk","","SIP/trunk-{uid}","SIP/8001-{uid}","Dial","SIP/8001",'
        f'"2026-03-09 {hhmm}:00","2026-03-09 {hhmm}:05","2026-03-09 {hhmm}:50",50,45,"ANSWERED",'
        f'"DOCUMENTATION","{uid}",""\n'
        for uid, src, hhmm in (("1.1", "13800000001", "10:42"), ("1.2", "13800000002", "11:00"))
    )  # fmt: skip
    master = tmp_path / "Master.csv"
    master.write_text(cdr, encoding="utf-8")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("登记时间,电话,类别,内容\n2026-03-09 11:31:50,13800000002,咨询,物业费怎么交\n",
                     encoding="utf-8")  # fmt: skip
    d = tmp_path / "var"
    frontdesk(d, "calls", "import", "--cdr", str(master))
    frontdesk(d, "ledger", "import", str(sheet))
    found = {f["kind"]: f for f in json.loads(frontdesk(d, "reconcile", "--format", "json",
                                                        check=False).stdout)}  # fmt: skip
    unlogged, late = found["UNLOGGED_CALL"], found["LATE_REGISTRATION"]
    assert unlogged["label"] == "未登记来电"
    assert unlogged["detail"] == "未登记来电: 3月9日 10:42 的来电 138****0001 没有台账登记"
    assert late["detail"].startswith(
        "登记超时: 3月9日 11:00 的来电 138****0002 挂机后 31 分钟才登记"
    )
    assert "13800000002" not in late["detail"]  # the resident's number is masked
    rows = list(csv.DictReader(io.StringIO(frontdesk(d, "reconcile", "--format", "csv",
                                                     check=False).stdout)))  # fmt: skip
    assert {r["label"]: r["detail"] for r in rows}["未登记来电"] == unlogged["detail"]
    table = frontdesk(d, "reconcile", check=False).stdout
    assert unlogged["detail"] in table and "31 分钟" in table
