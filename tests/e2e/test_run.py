"""`frontdesk run` — the product as `make run` starts it: phone, worker and console supervised;
a SIPp call ends as a draft entry without anyone running the worker by hand."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import SPEECH, free_port, frontdesk_json
from tests.e2e.peers import sipp_call

pytestmark = [pytest.mark.e2e, pytest.mark.needs("sipp")]


def test_run_answers_records_transcribes_and_drafts(data_dir, tmp_path):
    port, web = free_port(), free_port(socket.SOCK_STREAM)
    (data_dir / "frontdesk.toml").write_text(
        f"[phone]\nsip_port = {port}\nanswer_after_rings = 1\nring_on = 0.2\nring_off = 0.3\n"
        f"[console]\nport = {web}\n[ledger]\nregistration_grace_s = 0\n",
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "frontdesk.cli", "--data-dir", str(data_dir), "run",
         "--reconcile-every", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while not (data_dir / "phone.sock").exists():
            assert proc.poll() is None and time.monotonic() < deadline, (
                "frontdesk run did not start"
            )
            time.sleep(0.1)
        # the console is served too, on its configured port, asking for a log-in
        deadline = time.monotonic() + 20
        while True:
            try:
                login = httpx.get(f"http://127.0.0.1:{web}/", follow_redirects=True)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "frontdesk run served no console"
                time.sleep(0.2)
        assert login.status_code == 200 and 'name="password"' in login.text
        r = sipp_call(
            port,
            "uac_rtp_stream.xml",
            tmp_path,
            wav=SPEECH / "burst_pipe_8k_ulaw.wav",
            talk_ms=8000,
        )
        assert r.returncode == 0, r.stdout[-2000:]
        deadline = time.monotonic() + 90
        while True:
            drafts = frontdesk_json(data_dir, "ledger", "list")
            if drafts or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert drafts and drafts[0]["category"] == "报修", drafts
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=30)[1]
    assert proc.returncode == 0, out
    # the periodic reconciler ran on the live ledger and flagged the unconfirmed draft's call
    assert "reconciler run failed" not in out, out
    assert "open findings" in out, out
    assert not (data_dir / "phone.sock").exists(), "the phone shut down cleanly"
    [call] = frontdesk_json(data_dir, "calls", "list")
    assert call["outcome"] == "answered" and call["recording"] is not None
    assert (data_dir / "recordings" / call["recording"]["path"]).is_file()
