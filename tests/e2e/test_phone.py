"""The phone against real SIPp callers on 127.0.0.1: ring policy, agent control,
missed and busy calls, malformed SIP and crash recovery. Every call ends as a row."""

from __future__ import annotations

import json
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import soundfile as sf

from tests.conftest import SPEECH, frontdesk, frontdesk_json
from tests.e2e.peers import (
    FAST,
    PhoneProcess,
    best_correlation,
    calls_by_id,
    read_channel,
    sipp_call,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.needs("sipp"),
]

SOURCE = SPEECH / "burst_pipe_8k_ulaw.wav"


def test_caller_who_gives_up_during_ring_2_is_a_missed_call_with_2_rings(var, tmp_path):
    with PhoneProcess(var, "--answer-after-rings", "3", *FAST) as phone:
        r = sipp_call(phone.port, "uac_cancel.xml", tmp_path, talk_ms=700)
        assert r.returncode == 0, r.stdout[-2000:]
        phone.wait_for("stored as #")
    [call] = calls_by_id(var)
    assert call["outcome"] == "missed"
    assert call["rings"] == 2
    assert call["answered_at"] is None and call["recording"] is None
    assert call["caller"] == "13900139000"


def test_agent_answers_before_the_policy_through_the_control_socket(var, tmp_path):
    # ring N starts at (N-1)*2 s; the agent answers 2.2 s in, during ring 2
    with PhoneProcess(
        var, "--answer-after-rings", "0", "--ring-on", "1", "--ring-off", "1"
    ) as phone:
        with ThreadPoolExecutor(1) as pool:
            fut = pool.submit(sipp_call, phone.port, "uac_rtp_stream.xml", tmp_path,
                              wav=SOURCE, talk_ms=2000)  # fmt: skip
            phone.wait_for("ringing")
            t0 = time.monotonic()
            status = frontdesk_json(var, "line", "status")
            assert [c["state"] for c in status["calls"]] == ["ringing"]
            time.sleep(max(0.0, 2.2 - (time.monotonic() - t0)))
            answered = frontdesk_json(var, "line", "answer")
            assert answered["ok"] and answered["call"]["answered_by"] == "agent"
            r = fut.result()
        assert r.returncode == 0, r.stdout[-2000:]
        phone.wait_for("stored as #")
    [call] = calls_by_id(var)
    assert (call["outcome"], call["answered_by"], call["rings"]) == ("answered", "agent", 2)


def test_line_command_without_a_phone_says_so(var):
    r = frontdesk(var, "line", "status", check=False)
    assert r.returncode == 2
    assert "no phone is running" in r.stderr


def test_third_concurrent_call_gets_486_and_a_busy_row(var, tmp_path):
    with PhoneProcess(var, "--answer-after-rings", "1", "--max-lines", "2", *FAST) as phone:
        with ThreadPoolExecutor(2) as pool:
            dirs = [tmp_path / "c1", tmp_path / "c2"]
            for d in dirs:
                d.mkdir()
            long_calls = [
                pool.submit(
                    sipp_call, phone.port, "uac_rtp_stream.xml", d, wav=SOURCE, talk_ms=4000
                )
                for d in dirs
            ]
            phone.wait_for("answered by auto", count=2)
            busy = sipp_call(phone.port, "uac_expect_busy.xml", tmp_path)
            assert busy.returncode == 0, busy.stdout[-2000:]
            assert all(f.result().returncode == 0 for f in long_calls)
        phone.wait_for("stored as #", count=3)
    outcomes = sorted(c["outcome"] for c in calls_by_id(var))
    assert outcomes == ["answered", "answered", "busy"]


def test_malformed_sip_is_survived_and_the_next_call_answered(var, tmp_path):
    with PhoneProcess(var, "--answer-after-rings", "1", *FAST) as phone:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for junk in (
                b"\x00\xff garbage",
                b"INVITE sip:x SIP/2.0\r\nVia: broken\r\n\r\n",
                b"INVITE sip:frontdesk@127.0.0.1 SIP/2.0\r\nContent-Length: 99999\r\n\r\nv=0",
                b"OPTIONS sip:frontdesk@127.0.0.1 SIP/2.0\r\n" + b"X: " + b"a" * 3000 + b"\r\n\r\n",
            ):
                s.sendto(junk, ("127.0.0.1", phone.port))
        time.sleep(0.3)
        assert phone.proc.poll() is None, "".join(phone.log)
        r = sipp_call(phone.port, "uac_rtp_stream.xml", tmp_path, wav=SOURCE, talk_ms=1500)
        assert r.returncode == 0, r.stdout[-2000:]
        phone.wait_for("stored as #")
    [call] = calls_by_id(var)
    assert call["outcome"] == "answered"


def test_kill_9_mid_call_loses_no_recording(var, tmp_path):
    """After kill -9 the next start repairs the unfinished WAV, stores the call as
    interrupted with its audio, and queues it for transcription."""
    talk = sf.info(str(SOURCE)).duration
    with ThreadPoolExecutor(1) as pool:
        with PhoneProcess(var, "--answer-after-rings", "1", *FAST) as phone:
            fut = pool.submit(sipp_call, phone.port, "uac_rtp_stream.xml", tmp_path,
                              wav=SOURCE, talk_ms=int(talk * 1000) + 6000, timeout=30)  # fmt: skip
            phone.wait_for("answered by auto")
            time.sleep(talk + 1.0)  # the whole sentence has been recorded
            phone.stop(signal.SIGKILL)
            assert calls_by_id(var) == []
        fut.result()  # the caller notices the dead phone and gives up
    with PhoneProcess(var) as phone:
        phone.wait_for("recovered call")
        phone.wait_for("stored as #")
    [call] = calls_by_id(var)
    assert call["outcome"] == "interrupted"
    wav = var / "recordings" / call["recording"]["path"]
    recorded, _ = read_channel(wav, 0)
    src, _ = sf.read(str(SOURCE))
    assert best_correlation(recorded, src) >= 0.9
    shown = json.loads(frontdesk(var, "calls", "show", str(call["id"]), "--format", "json").stdout)
    assert [(j["kind"], j["status"]) for j in shown["jobs"]] == [("transcribe", "queued")]


def test_four_concurrent_calls_are_each_recorded_faithfully_as_a_whole(var, tmp_path):
    """Whole-call correlation, not per-second chunks: a frame the jitter buffer drops or
    inserts shifts the rest of the call (the pjsua defaults did that under load)."""
    talk = int(sf.info(str(SOURCE)).duration * 1000) + 800
    with PhoneProcess(var, "--answer-after-rings", "1", "--max-lines", "4", *FAST) as phone:
        r = sipp_call(phone.port, "uac_rtp_stream.xml", tmp_path, wav=SOURCE, talk_ms=talk,
                      calls=4, extra=("-l", "4", "-r", "20"))  # fmt: skip
        assert r.returncode == 0, r.stdout[-2000:]
        phone.wait_for("stored as #", count=4)
    calls = calls_by_id(var)
    assert [c["outcome"] for c in calls] == ["answered"] * 4
    src, _ = sf.read(str(SOURCE))
    for call in calls:
        caller, _ = read_channel(var / "recordings" / call["recording"]["path"], 0)
        assert best_correlation(caller, src) >= 0.99, call["uuid"]


def _sockets_of(pid: int) -> list[str]:
    """Local addresses of every UDP and TCP socket the process holds (from `ss`)."""
    import subprocess

    out = subprocess.run(["ss", "-H", "-a", "-n", "-p", "-u", "-t"], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    return [line.split()[4] for line in out.splitlines() if f"pid={pid}," in line]


@pytest.mark.needs("ss")
def test_sip_and_rtp_listen_only_on_the_bound_address(var, tmp_path):
    """Residents' audio must not be reachable from the network when the phone is bound to
    127.0.0.1: during a call every socket of the phone (SIP, RTP, RTCP) is on 127.0.0.1."""
    with PhoneProcess(var, "--answer-after-rings", "1", *FAST) as phone:
        with ThreadPoolExecutor(1) as pool:
            fut = pool.submit(sipp_call, phone.port, "uac_rtp_stream.xml", tmp_path,
                              wav=SOURCE, talk_ms=3000)  # fmt: skip
            phone.wait_for("answered by auto")
            local = _sockets_of(phone.proc.pid)
            assert fut.result().returncode == 0
    assert len(local) >= 3, local  # SIP + the call's RTP and RTCP
    assert all(addr.startswith("127.0.0.1:") for addr in local), local
