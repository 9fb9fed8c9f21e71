"""No call goes missing between its recording and its row: a real phone and a real SIPp
caller, with the ledger refusing the Call row (a SQLite trigger stands in for a database
failure or a crash between the recording's rename and the row's commit)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import SPEECH, frontdesk
from tests.e2e.peers import FAST, PhoneProcess, calls_by_id, sipp_call

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.needs("sipp"),
]

SOURCE = SPEECH / "burst_pipe_8k_ulaw.wav"


def _open_findings(var, kind: str) -> list[dict]:
    r = frontdesk(var, "reconcile", "--grace", "0", "--format", "json", check=False)
    return [f for f in json.loads(r.stdout) if f["kind"] == kind and f["status"] == "open"]


def test_a_call_whose_row_fails_to_commit_keeps_its_recording_and_gets_its_row(var, tmp_path):
    with PhoneProcess(var, "--answer-after-rings", "1", *FAST) as phone:
        with sqlite3.connect(var / "frontdesk.db") as db:
            db.execute("CREATE TRIGGER refuse BEFORE INSERT ON calls "
                       "BEGIN SELECT RAISE(ABORT, 'the ledger is down'); END")  # fmt: skip
        r = sipp_call(phone.port, "uac_rtp_stream.xml", tmp_path, wav=SOURCE, talk_ms=3000)
        assert r.returncode == 0, r.stdout[-2000:]
        phone.wait_for("storing the call failed")
        assert calls_by_id(var) == []
        [wav] = list((var / "recordings").glob("[0-9]*/*/*/*.wav"))
        uuid = wav.stem
        # the partial folder and the call's record stay until a row names the recording
        assert (var / "recordings" / ".partial" / uuid / "record.json").exists()
        # meanwhile the reconciler reports the recording no row names
        [f] = _open_findings(var, "RECORDING_UNLOGGED")
        assert f["call_id"] is None and wav.name in f["detail"]
    with sqlite3.connect(var / "frontdesk.db") as db:
        db.execute("DROP TRIGGER refuse")
    with PhoneProcess(var) as phone:
        phone.wait_for("recovered call")
        phone.wait_for("stored as #")
    [call] = calls_by_id(var)
    # stored as the call it was (answered by auto at ring 1), not as "interrupted"
    assert (call["outcome"], call["answered_by"], call["rings"]) == ("answered", "auto", 1)
    assert call["recording"]["path"] == str(wav.relative_to(var / "recordings"))
    assert not (var / "recordings" / ".partial" / uuid).exists()
    assert _open_findings(var, "RECORDING_UNLOGGED") == []
