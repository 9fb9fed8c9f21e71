"""Incremental transcription: the worker follows a live SIPp call's growing recording and
transcribes each speaker's turn once it has ended; at hangup those are reused, not redone."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.conftest import SPEECH, frontdesk_json
from tests.e2e.peers import PhoneProcess, sipp_call

pytestmark = [pytest.mark.e2e, pytest.mark.needs("sipp")]


def test_utterances_are_transcribed_during_the_call_and_reused_at_hangup(data_dir, tmp_path):
    worker = subprocess.Popen(
        [sys.executable, "-m", "frontdesk.cli", "--data-dir", str(data_dir), "worker", "--poll", "0.2"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    log: list[str] = []
    threading.Thread(target=lambda: log.extend(worker.stderr), daemon=True).start()
    try:
        with PhoneProcess(data_dir, "--answer-after-rings", "1", "--ring-on", "0.2") as phone:
            # 7 s of speech, then 6 s more on the line: time for the caller's turn to end (VAD
            # closes it, then turn_gap_s = 3 s of silence in which the caller might go on)
            r = sipp_call(phone.port, "uac_rtp_stream.xml", tmp_path, wav=SPEECH / "burst_pipe_8k_ulaw.wav",
                          talk_ms=13000)  # fmt: skip
            assert r.returncode == 0, r.stdout[-2000:]
            phone.wait_for("stored as #")
        deadline = time.monotonic() + 60
        while not frontdesk_json(data_dir, "ledger", "list"):
            assert time.monotonic() < deadline, "".join(log)
            time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    text = "".join(log)
    m = re.search(r"(\d+) segments transcribed while the call was live, reused", text)
    assert m and int(m.group(1)) >= 2, text  # the caller's sentence and the greeting
    ready = re.search(r"transcribed in ([\d.]+)s", text)
    print(
        f"transcript and draft ready {ready.group(1) if ready else '?'} s after the job was claimed"
    )
    [entry] = frontdesk_json(data_dir, "ledger", "list")
    assert entry["category"] == "报修" and entry["address"] == "4-2-301"
