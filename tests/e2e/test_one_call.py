"""One call, end to end, with real parts only: SIPp streams Mandarin speech as G.711
RTP to a real `frontdesk phone` (pjsua2) on 127.0.0.1; the real worker transcribes it
with Whisper base; intake pre-fills the draft; the reconciler flags the call until the
entry is confirmed."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import soundfile as sf

from tests.conftest import SPEECH, frontdesk, frontdesk_json
from tests.e2e.peers import PhoneProcess, best_correlation, read_channel, sipp_call

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.needs("sipp"),
]

RING_ON, RING_OFF = 0.2, 0.3  # short test cadence: ring 3 ends 1.2 s after the INVITE


def test_call_is_answered_recorded_transcribed_drafted_and_reconciled(data_dir, tmp_path):
    # `worker --once` runs before the agent confirms, and the 1-minute rule counts from
    # hangup: the refine pass (tests/worker/test_refine.py) would be part of that wait here,
    # where a running worker does it after the draft is on the desk
    (data_dir / "frontdesk.toml").write_text("[asr]\nrefine = false\n", encoding="utf-8")
    source = SPEECH / "burst_pipe_8k_ulaw.wav"
    talk_ms = int(sf.info(str(source)).duration * 1000) + 800
    with PhoneProcess(
        data_dir,
        "--answer-after-rings",
        "3",
        "--ring-on",
        str(RING_ON),
        "--ring-off",
        str(RING_OFF),
    ) as phone:
        result = sipp_call(phone.port, "uac_rtp_stream.xml", tmp_path, wav=source, talk_ms=talk_ms)
        assert result.returncode == 0, result.stdout + result.stderr
        phone.wait_for("stored as #")
        assert phone.stop() == 0

    # The call row: answered by the phone itself at the end of ring 3.
    [call] = frontdesk_json(data_dir, "calls", "list")
    assert call["outcome"] == "answered"
    assert call["answered_by"] == "auto"
    assert call["rings"] == 3
    delay = (
        datetime.fromisoformat(call["answered_at"]) - datetime.fromisoformat(call["invited_at"])
    ).total_seconds()
    assert (
        2 * (RING_ON + RING_OFF) + RING_ON - 0.05
        <= delay
        <= 2 * (RING_ON + RING_OFF) + RING_ON + 0.4
    )
    assert call["caller"] == "13800138000"

    # The recording holds the caller's speech on channel 0, bit-faithful G.711.
    rec = call["recording"]
    assert rec["channels"] == 2 and rec["sample_rate"] == 8000
    wav = data_dir / "recordings" / rec["path"]
    caller, rate = read_channel(wav, 0)
    src, src_rate = sf.read(str(source))
    assert rate == src_rate == 8000
    assert best_correlation(caller, src) >= 0.9
    agent, _ = read_channel(wav, 1)
    assert abs(agent).max() > 0.01, "the greeting should be on the agent channel"

    # The worker transcribes it and pre-fills the draft.
    frontdesk(data_dir, "worker", "--once")
    from ledger.db import open_database
    from ledger.transcripts import load_transcript

    sessions = open_database(f"sqlite:///{data_dir / 'frontdesk.db'}")
    with sessions() as s:
        transcript = load_transcript(s, call["id"])
    caller_text = transcript.text("caller")
    assert "水管" in caller_text, caller_text
    assert any(u.speaker == "agent" for u in transcript.utterances), "greeting transcribed"

    [entry] = frontdesk_json(data_dir, "ledger", "list")
    assert entry["status"] == "draft"
    assert entry["call_id"] == call["id"]
    assert entry["category"] == "报修"
    assert (entry["building"], entry["unit"], entry["room"]) == ("4", "2", "301")
    assert entry["urgent"] is True

    # The reconciler flags the recorded call until its entry is confirmed (grace 0: at once).
    flagged = frontdesk(data_dir, "reconcile", "--grace", "0", "--format", "json", check=False)
    assert flagged.returncode == 1, flagged.stderr
    kinds = {(f["kind"], f["call_id"]) for f in json.loads(flagged.stdout)}
    assert ("UNLOGGED_CALL", call["id"]) in kinds

    frontdesk(data_dir, "ledger", "confirm", str(entry["id"]), "--by", "agent-test")
    # Confirmed well within the front desk's 1-minute rule: nothing is open any more.
    clean = frontdesk(data_dir, "reconcile", "--format", "json", check=False)
    assert ("UNLOGGED_CALL", call["id"]) not in {
        (f["kind"], f["call_id"]) for f in json.loads(clean.stdout) if f["status"] == "open"
    }
    assert clean.returncode == 0, clean.stdout
