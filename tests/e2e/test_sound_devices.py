"""The phone on sound devices chosen by name: a headset and a separate ring device.

This machine has no sound card, so the devices are virtual but real-time: a private
PulseAudio with clocked sinks behind ALSA PCMs (tests/e2e/sound.py), opened by pjsua2's
ALSA backend exactly as a USB headset would be. A real SIPp caller streams speech; the
agent's "microphone" plays another recording. Checked: the ring tone sounds on the ring
device with the configured cadence and never in the headset; the agent hears the caller in
the headset; what the agent says is in the recording's agent channel.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from tests.conftest import SPEECH, frontdesk_json
from tests.e2e.peers import (
    PhoneProcess,
    best_correlation,
    piece_in_source,
    read_channel,
    sipp_call,
)
from tests.e2e.sound import HEADSET_PCM, RING_PCM, VirtualSound, available, no_realtime
from voice.sip.control import send_command

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.needs("sipp"),
    pytest.mark.skipif(not available(), reason="PulseAudio (Debian pulseaudio) not installed"),
]

CALLER = SPEECH / "burst_pipe_8k_ulaw.wav"
AGENT = SPEECH / "noise_complaint.wav"  # 8.4 s: the agent talks through the call
TALK_MS = int(sf.info(str(CALLER)).duration * 1000) + 800
RING_ON, RING_OFF, RINGS = 0.4, 0.6, 2  # answered at the end of ring 2: 1.4 s after INVITE
TONE_HZ = 450  # the China ring tone (the default cadence's tone)


def _tone_share(x: np.ndarray, rate: int, hz: float) -> np.ndarray:
    """Per 50 ms frame: the share of its energy within ±40 Hz of ``hz`` (0 for silence)."""
    n = rate // 20
    frames = x[: len(x) // n * n].reshape(-1, n)
    spec = np.abs(np.fft.rfft(frames * np.hanning(n), axis=1)) ** 2
    freqs = np.fft.rfftfreq(n, 1 / rate)
    band = spec[:, np.abs(freqs - hz) <= 40].sum(axis=1)
    total = spec.sum(axis=1)
    loud = np.sqrt(np.mean(frames**2, axis=1)) > 0.01
    return np.where(loud, band / np.maximum(total, 1e-12), 0.0)


def _bursts(on: np.ndarray, frame_s: float = 0.05) -> list[tuple[float, float]]:
    """(start, length) in seconds of each run of True frames."""
    runs, start = [], None
    for i, v in enumerate([*on, False]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            runs.append((start * frame_s, (i - start) * frame_s))
            start = None
    return runs


def _load(path, rate_out: int = 8000) -> np.ndarray:
    x, rate = sf.read(str(path), always_2d=True)
    x = x[:, 0]
    return resample_poly(x, rate_out, rate) if rate != rate_out else x


def _configure(var, tmp_path, extra: str) -> None:
    """The virtual headset, plus ``extra``; a 0.3 s greeting leaves the agent channel to the
    microphone almost at once."""
    beep = tmp_path / "greeting.wav"
    t = np.arange(int(0.3 * 8000)) / 8000
    sf.write(str(beep), 0.2 * np.sin(2 * np.pi * 1000 * t), 8000, subtype="PCM_16")
    (var / "frontdesk.toml").write_text(
        f'[phone]\nheadset = "{HEADSET_PCM}"\ngreeting = "{beep}"\n{extra}\n', encoding="utf-8"
    )


def test_headset_hears_the_caller_agent_is_recorded_and_ring_tone_is_on_the_ring_device(
    tmp_path, var
):
    _configure(var, tmp_path, f'ring_device = "{RING_PCM}"')
    with VirtualSound(tmp_path) as vs:
        ring, ear = vs.record("ring"), vs.record("headset")
        args = ("--answer-after-rings", str(RINGS), "--ring-on", str(RING_ON),
                "--ring-off", str(RING_OFF))  # fmt: skip
        with PhoneProcess(var, *args, env=vs.env, wrap=no_realtime) as phone:
            assert not any("null device" in line for line in phone.log), "".join(phone.log)
            mic = vs.play_into_mic(AGENT)  # the agent talks from the start
            r = sipp_call(phone.port, "uac_rtp_stream.xml", tmp_path, wav=CALLER,
                          talk_ms=TALK_MS)  # fmt: skip
            assert r.returncode == 0, r.stdout[-2000:]
            phone.wait_for("stored as #")
            mic.wait(timeout=30)
        ring_wav, ear_wav = ring.stop(), ear.stop()

    [call] = frontdesk_json(var, "calls", "list")
    assert (call["outcome"], call["answered_by"], call["rings"]) == ("answered", "auto", RINGS)

    # The ring device: exactly RINGS bursts of the tone, each RING_ON long, RING_OFF apart.
    rx, rate = sf.read(str(ring_wav))
    bursts = _bursts(_tone_share(rx, rate, TONE_HZ) > 0.8)
    assert len(bursts) == RINGS, bursts
    for _, length in bursts:
        assert abs(length - RING_ON) <= 0.1, bursts
    gap = bursts[1][0] - (bursts[0][0] + bursts[0][1])
    assert abs(gap - RING_OFF) <= 0.1, bursts

    # The headset: no ring tone in the agent's ear, and the caller, faithfully.
    ex, erate = sf.read(str(ear_wav))
    tones = [b for b in _bursts(_tone_share(ex, erate, TONE_HZ) > 0.8) if b[1] >= 0.2]
    assert not tones, f"ring tone in the headset: {tones}"  # (a 50 ms vowel may match)
    src, _ = sf.read(str(CALLER))
    assert best_correlation(_load(ear_wav), src) >= 0.9

    # The recording: the caller on channel 0 (bit-faithful), the agent's microphone on 1.
    path = var / "recordings" / call["recording"]["path"]
    caller_ch, _ = read_channel(path, 0)
    assert best_correlation(caller_ch, src) >= 0.99
    agent_ch, _ = read_channel(path, 1)
    said = _load(AGENT)
    heard = agent_ch[int(0.4 * 8000) :]  # the mic, after the greeting
    window = said[3 * 8000 : 6 * 8000]  # 3 s of what the agent said, found anywhere in ch 1
    assert best_correlation(heard, window) >= 0.8


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2))) if len(x) else 0.0


def test_the_headset_follows_one_line_a_waiting_caller_hears_nothing_until_taken(tmp_path, var):
    """Two lines, one agent. Line A is answered by the policy and gets the headset; line B is
    answered by the policy while A talks and waits, hearing only the greeting; `take` brings
    B into the headset and puts A on hold. The agent channels show who heard the agent."""
    _configure(var, tmp_path, "max_lines = 2")
    results: dict[str, object] = {}

    def place(name: str, scenario: str, talk_ms: int, **kw) -> None:
        d = tmp_path / name
        d.mkdir()
        results[name] = sipp_call(phone.port, scenario, d, wav=CALLER, talk_ms=talk_ms, **kw)

    with VirtualSound(tmp_path) as vs:
        with PhoneProcess(var, "--answer-after-rings", "1", "--ring-on", "0.2", "--ring-off",
                          "0.3", env=vs.env, wrap=no_realtime) as phone:  # fmt: skip
            mic = vs.play_into_mic(AGENT)
            a = threading.Thread(target=place, args=("a", "uac_rtp_hold.xml", 1000),
                                 kwargs={"subs": {"WAIT_MS": "7000"}})  # fmt: skip
            a.start()
            phone.wait_for("answered by auto")
            b = threading.Thread(target=place, args=("b", "uac_rtp_stream.xml", 5000))
            b.start()
            phone.wait_for("answered by auto", count=2)
            time.sleep(2.5)  # B waits (greeted) while A has the headset
            taken_at = datetime.now(UTC)
            reply = send_command(var / "phone.sock", {"cmd": "take"})
            assert reply["ok"] and reply["call"]["focused"], reply
            a.join(timeout=40)
            b.join(timeout=40)
            phone.wait_for("stored as #", count=2)
            mic.wait(timeout=30)
    for name in ("a", "b"):
        assert results[name].returncode == 0, results[name].stdout[-2000:]

    line_a, line_b = sorted(frontdesk_json(var, "calls", "list"), key=lambda c: c["invited_at"])
    said = _load(AGENT)

    def agent(call) -> tuple[np.ndarray, float]:
        """The call's agent channel and the time of the take within it (s)."""
        ch, _ = read_channel(var / "recordings" / call["recording"]["path"], 1)
        return ch, (taken_at - datetime.fromisoformat(call["answered_at"])).total_seconds()

    ch_a, take_a = agent(line_a)
    ch_b, take_b = agent(line_b)
    sec = 8000
    # A had the headset until the take, then was on hold and heard nothing more.
    assert piece_in_source(ch_a[int(0.5 * sec) : int((take_a - 0.2) * sec)], said) >= 0.8
    assert _rms(ch_a[int((take_a + 0.4) * sec) :]) < 0.003
    # B waited in silence after its greeting (nothing of A's conversation), then had it.
    waited = ch_b[int(0.5 * sec) : int((take_b - 0.2) * sec)]
    assert len(waited) >= sec and _rms(waited) < 0.003
    assert piece_in_source(ch_b[int((take_b + 0.4) * sec) :], said) >= 0.8
