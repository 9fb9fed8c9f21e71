"""Agent first, else auto — together: the agent answers during ring 2 while the phone is
armed to answer itself at the end of ring 3, and the agent answers at the very moment the
phone does. Real phone, real SIPp caller, the real control socket; one 200 OK either way."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import SPEECH
from tests.e2e.peers import PhoneProcess, calls_by_id, sipp_call
from voice.sip.control import send_command

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.needs("sipp"),
]

SOURCE = SPEECH / "burst_pipe_8k_ulaw.wav"
CADENCE = ("--answer-after-rings", "3", "--ring-on", "1", "--ring-off", "1")
AUTO_AT = 5.0  # end of ring 3: rings start at 0, 2 and 4 s and last 1 s


def _two_hundreds(log: list[str]) -> int:
    return sum(bool(re.search(r"TX .*Response msg 200/INVITE", line)) for line in log)


def _call_and_answer_at(phone: PhoneProcess, tmp_path, at: float) -> dict:
    with ThreadPoolExecutor(1) as pool:
        fut = pool.submit(sipp_call, phone.port, "uac_rtp_stream.xml", tmp_path,
                          wav=SOURCE, talk_ms=1500)  # fmt: skip
        phone.wait_for("ringing")
        t0 = time.monotonic()
        time.sleep(max(0.0, at - (time.monotonic() - t0)))
        reply = send_command(phone_dir(phone) / "phone.sock", {"cmd": "answer"})
        r = fut.result()
    assert r.returncode == 0, r.stdout[-2000:]  # SIPp refuses a second, different 200 OK
    phone.wait_for("stored as #")
    return reply


def phone_dir(phone: PhoneProcess):
    from pathlib import Path

    return Path(phone.argv[phone.argv.index("--data-dir") + 1])


def test_the_agent_answers_in_ring_2_before_the_armed_auto_answer(var, tmp_path):
    with PhoneProcess(var, *CADENCE, verbose=True) as phone:
        reply = _call_and_answer_at(phone, tmp_path, 2.3)
        time.sleep(AUTO_AT - 2.3 + 0.5)  # past the moment auto would have answered
        log = list(phone.log)
    assert reply["ok"] and reply["call"]["answered_by"] == "agent"
    [call] = calls_by_id(var)
    assert (call["answered_by"], call["rings"]) == ("agent", 2)
    assert sum("answered by" in line for line in log) == 1
    assert _two_hundreds(log) == 1


def test_agent_and_auto_at_the_same_moment_answer_once(var, tmp_path):
    with PhoneProcess(var, *CADENCE, verbose=True) as phone:
        reply = _call_and_answer_at(phone, tmp_path, AUTO_AT - 0.01)
        log = list(phone.log)
    [call] = calls_by_id(var)
    answered = [line for line in log if "answered by" in line]
    assert len(answered) == 1 and _two_hundreds(log) == 1, answered
    # whoever won, the row says so, and the agent's reply agrees
    by = "agent" if reply["ok"] else "auto"  # too late: no ringing call left to answer
    assert call["answered_by"] == by and f"answered by {by}" in answered[0]
    assert call["rings"] == 3
