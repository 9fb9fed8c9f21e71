"""Bad input from real SIPp peers on 127.0.0.1: a caller that never sends RTP, and an
INVITE flood far over the line limit. The phone keeps running, every INVITE that reaches
it becomes a row, and the next ordinary call is answered and recorded faithfully."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import soundfile as sf

from tests.conftest import SPEECH, frontdesk_json
from tests.e2e.peers import (
    FAST,
    PhoneProcess,
    best_correlation,
    read_channel,
    sipp_call,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.needs("sipp"),
]

SOURCE = SPEECH / "burst_pipe_8k_ulaw.wav"


def _seconds(a: str, b: str) -> float:
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds()


def test_caller_that_never_sends_rtp_is_hung_up_with_a_row_and_its_recording(var, tmp_path):
    with PhoneProcess(var, "--answer-after-rings", "1", "--media-timeout", "1.5", *FAST) as phone:
        # the caller waits up to 10 s for the phone's BYE; SIPp fails if it never comes
        r = sipp_call(phone.port, "uac_no_rtp.xml", tmp_path, talk_ms=10000, timeout=20)
        assert r.returncode == 0, r.stdout[-2000:]
        phone.wait_for("stored as #")
        assert phone.proc.poll() is None
    [call] = frontdesk_json(var, "calls", "list")
    assert call["outcome"] == "answered" and call["caller"] == "13600136000"
    assert "no RTP from the caller for 1.5 s" in call["cause"]
    assert 1.4 <= _seconds(call["answered_at"], call["ended_at"]) <= 3.5
    rec = call["recording"]
    assert rec is not None and rec["channels"] == 2
    wav = var / "recordings" / rec["path"]
    caller, _ = read_channel(wav, 0)
    agent, _ = read_channel(wav, 1)
    assert abs(caller).max() < 0.01, "nothing was received from the caller"
    assert abs(agent).max() > 0.01, "the greeting is kept on the agent channel"


def _one_more_call(phone: PhoneProcess, tmp_path, stored: int) -> None:
    """After a flood: one ordinary call, answered and stored as row ``stored + 1``."""
    after = tmp_path / "after"
    after.mkdir()
    r = sipp_call(phone.port, "uac_rtp_stream.xml", after, wav=SOURCE,
                  talk_ms=int(sf.info(str(SOURCE)).duration * 1000) + 800)  # fmt: skip
    assert r.returncode == 0, r.stdout[-2000:]
    phone.wait_for("stored as #", count=stored + 1)


def _assert_faithful(var, call) -> None:
    assert call["outcome"] == "answered"
    caller, _ = read_channel(var / "recordings" / call["recording"]["path"], 0)
    src, _ = sf.read(str(SOURCE))
    assert best_correlation(caller, src) >= 0.99


def test_invite_flood_every_invite_is_a_row_excess_gets_486_and_the_phone_still_answers(
    var, tmp_path
):
    """40 INVITEs at 100/s against 2 lines (loopback only, bounded count and time)."""
    n = 40
    with PhoneProcess(var, "--answer-after-rings", "1", "--max-lines", "2", *FAST) as phone:
        flood = sipp_call(phone.port, "uac_flood.xml", tmp_path, talk_ms=300, calls=n,
                          timeout=30, extra=("-r", "100", "-l", str(n)))  # fmt: skip
        assert flood.returncode == 0, flood.stdout[-3000:]
        phone.wait_for("stored as #", count=n, timeout=20)
        assert phone.proc.poll() is None, "".join(phone.log)
        _one_more_call(phone, tmp_path, stored=n)
    calls = sorted(frontdesk_json(var, "calls", "list"), key=lambda c: c["id"])
    assert len(calls) == n + 1
    flood_rows, last = calls[:n], calls[-1]
    assert len({c["sip_call_id"] for c in flood_rows}) == n
    busy = [c for c in flood_rows if c["outcome"] == "busy"]
    answered = [c for c in flood_rows if c["outcome"] == "answered"]
    assert len(busy) + len(answered) == n, {c["outcome"] for c in flood_rows}
    assert answered and len(busy) >= n // 2
    assert all(c["cause"].startswith("486") for c in busy)
    _assert_faithful(var, last)


def test_invite_cancel_churn_at_150_a_second_is_survived_with_a_row_each(var, tmp_path):
    """300 callers at 150/s who each give up 50 ms after their INVITE, against 32 lines: each
    ringing call opens and closes its RTP sockets. With the PyPI pjsua2 (64 socket handles)
    this aborted the phone after 30-60 calls; our build has 1024 (scripts/pjsua2). A pjsua2
    Call deleted after pjsua had given its id to the next INVITE answered that caller 603 and
    left its line ringing for ever; the phone now drops each Call in its DISCONNECTED callback."""
    n = 300
    with PhoneProcess(var, "--answer-after-rings", "3", "--max-lines", "32", *FAST) as phone:
        churn = sipp_call(phone.port, "uac_cancel.xml", tmp_path, talk_ms=50, calls=n,
                          timeout=60, extra=("-r", "150", "-l", "64", "-trace_err"))  # fmt: skip
        errors = "".join(f.read_text()[-3000:] for f in tmp_path.glob("*_errors.log"))
        assert churn.returncode == 0, errors or churn.stdout[-3000:]
        phone.wait_for("stored as #", count=n, timeout=30)
        assert phone.proc.poll() is None, "".join(phone.log[-50:])
        _one_more_call(phone, tmp_path, stored=n)
    calls = sorted(frontdesk_json(var, "calls", "list"), key=lambda c: c["id"])
    assert len(calls) == n + 1 and len({c["sip_call_id"] for c in calls}) == n + 1
    outcomes = [c["outcome"] for c in calls[:n]]
    assert set(outcomes) <= {"missed", "busy"}  # busy: 486 when every line was taken
    assert outcomes.count("missed") >= n // 3, "most callers should have heard it ring"
    _assert_faithful(var, calls[-1])


def test_unknown_codec_gets_488_and_a_failed_row(var, tmp_path):
    """pjsua refuses the offer before our code sees a call; the row comes from its report."""
    with PhoneProcess(var, "--answer-after-rings", "1", *FAST) as phone:
        r = sipp_call(phone.port, "uac_unknown_codec.xml", tmp_path, timeout=15)
        assert r.returncode == 0, r.stdout[-2000:]
        phone.wait_for("stored as #")
    [call] = frontdesk_json(var, "calls", "list")
    assert call["outcome"] == "failed" and call["caller"] == "13500135999"
    assert call["cause"].startswith("488") and call["recording"] is None


def test_a_recorder_that_cannot_start_is_retried_and_the_row_says_so(var, tmp_path):
    """The caller channel's file cannot be created (a directory is in its way, as a full or
    broken disk would do): the call is still answered, the error is logged and kept in the
    row, and recording starts as soon as the file can be created."""
    with PhoneProcess(var, "--answer-after-rings", "2", *FAST) as phone:
        with ThreadPoolExecutor(1) as pool:
            fut = pool.submit(sipp_call, phone.port, "uac_rtp_stream.xml", tmp_path, wav=SOURCE,
                              talk_ms=int(sf.info(str(SOURCE)).duration * 1000) + 800)  # fmt: skip
            deadline = time.monotonic() + 10
            while not (metas := list((var / "recordings" / ".partial").glob("*/meta.json"))):
                assert time.monotonic() < deadline, "".join(phone.log)
                time.sleep(0.02)
            blocker = metas[0].parent / "caller.wav"
            blocker.mkdir()  # before the answer (ring 2 ends 0.7 s after the INVITE)
            phone.wait_for("is NOT being recorded")
            time.sleep(1.0)
            blocker.rmdir()
            phone.wait_for("recording started late")
            r = fut.result()
        assert r.returncode == 0, r.stdout[-2000:]
        phone.wait_for("stored as #")
    [call] = frontdesk_json(var, "calls", "list")
    assert call["outcome"] == "answered"
    assert "recording could not start" in call["cause"] and "started late" in call["cause"]
    caller, _ = read_channel(var / "recordings" / call["recording"]["path"], 0)
    src, _ = sf.read(str(SOURCE))
    assert best_correlation(caller, src[-3 * 8000 :]) >= 0.99  # the rest of the call, faithfully
