"""Phone options against real SIPp callers on 127.0.0.1: SIP over TCP, RFC 5373
Answer-Mode / answer-after (honoured only when configured), sound devices named in the
config but absent on this machine (no sound card here: the null device is used)."""

from __future__ import annotations

from datetime import datetime

import pytest
import soundfile as sf

from tests.conftest import SPEECH
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
TALK_MS = int(sf.info(str(SOURCE)).duration * 1000) + 800


def _delay(call) -> float:
    a, b = datetime.fromisoformat(call["invited_at"]), datetime.fromisoformat(call["answered_at"])
    return (b - a).total_seconds()


def _assert_faithful(var, call) -> None:
    caller, _ = read_channel(var / "recordings" / call["recording"]["path"], 0)
    src, _ = sf.read(str(SOURCE))
    assert best_correlation(caller, src) >= 0.99


def test_call_over_tcp_is_answered_and_recorded_and_missing_devices_are_one_log_line(var, tmp_path):
    (var / "frontdesk.toml").write_text(
        '[phone]\ntransport = "both"\nheadset = "USB Headset"\nring_device = "Ring Speaker"\n',
        encoding="utf-8",
    )
    with PhoneProcess(var, "--answer-after-rings", "1", *FAST) as phone:
        assert "/both" in "".join(phone.log)
        r = sipp_call(phone.port, "uac_rtp_stream.xml", tmp_path, wav=SOURCE, talk_ms=TALK_MS,
                      extra=("-t", "t1"))  # fmt: skip
        assert r.returncode == 0, r.stdout[-2000:]
        phone.wait_for("stored as #")
    device_lines = [line for line in phone.log if "null device" in line]
    assert len(device_lines) == 1, device_lines
    assert "'USB Headset'" in device_lines[0] and "'Ring Speaker'" in device_lines[0]
    [call] = calls_by_id(var)
    assert call["outcome"] == "answered" and call["answered_by"] == "auto"
    _assert_faithful(var, call)


def test_answer_mode_auto_and_answer_after_are_honoured_when_enabled(var, tmp_path):
    (var / "frontdesk.toml").write_text("[phone]\nhonour_answer_mode = true\n", encoding="utf-8")
    with PhoneProcess(var, "--answer-after-rings", "0", *FAST) as phone:  # agent-only policy
        for i, hdr in enumerate(
            ("Answer-Mode: Auto", "Call-Info: <sip:x@127.0.0.1>;answer-after=1")
        ):
            d = tmp_path / f"c{i}"
            d.mkdir()
            talk = TALK_MS if i == 0 else 300  # the recording is checked on the first call
            r = sipp_call(phone.port, "uac_answer_mode.xml", d, wav=SOURCE, talk_ms=talk,
                          subs={"HEADER": hdr, "WAIT_MS": "3000"}, timeout=20)  # fmt: skip
            assert r.returncode == 0, r.stdout[-2000:]
            phone.wait_for("stored as #", count=i + 1)
    auto, after = calls_by_id(var)
    for call in (auto, after):
        assert (call["outcome"], call["answered_by"]) == ("answered", "auto")
        assert "RFC 5373" in call["cause"]
    assert _delay(auto) < 0.5
    assert 0.95 <= _delay(after) < 1.6
    _assert_faithful(var, auto)


def test_answer_mode_is_ignored_by_default(var, tmp_path):
    with PhoneProcess(var, "--answer-after-rings", "0", *FAST) as phone:
        r = sipp_call(phone.port, "uac_answer_mode.xml", tmp_path, wav=SOURCE, talk_ms=TALK_MS,
                      subs={"HEADER": "Answer-Mode: Auto", "WAIT_MS": "1200"}, timeout=20)  # fmt: skip
        assert r.returncode == 0, r.stdout[-2000:]  # the caller gave up: nobody answered
        phone.wait_for("stored as #")
        assert any("honour_answer_mode is off" in line for line in phone.log)
    [call] = calls_by_id(var)
    assert call["outcome"] == "missed" and call["answered_at"] is None
