"""The virtual sound devices of tests/e2e/sound.py, driven by pjsua2 directly (no phone):
pjmedia sees them as ALSA devices, plays and captures through them at real-time pace,
and each device's audio lands in its own sink."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.e2e.sound import HEADSET_PCM, RING_PCM, VirtualSound, available, no_realtime

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not available(), reason="needs pulseaudio pulseaudio-utils libasound2-plugins"
    ),
]

RUN_S = 3.0  # how long pjsua2 keeps its devices open
HEADSET_HZ, RING_HZ, MIC_HZ = 1000, 1500, 440
FRAME_S = 0.05

# Runs in a subprocess: HOME (.asoundrc) and PULSE_SERVER must be set before pjsua2
# initialises ALSA. Plays HEADSET_HZ to fdheadset, RING_HZ to fdring through an
# ExtraAudioDevice, records fdheadset's capture; prints the device list as JSON.
PJSUA2_SCRIPT = """
import json, sys, time
import pjsua2 as pj
mic_wav, run_s, headset_hz, ring_hz = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ep = pj.Endpoint(); ep.libCreate(); c = pj.EpConfig(); c.logConfig.consoleLevel = 0
c.logConfig.level = 0
c.uaConfig.threadCnt = 0; c.uaConfig.mainThreadOnly = True
c.medConfig.clockRate = 8000; c.medConfig.sndClockRate = 8000
c.medConfig.ecTailLen = 0  # the echo canceller would squash a steady tone
ep.libInit(c); m = ep.audDevManager()
devs = [m.getDevInfo(i) for i in range(m.getDevCount())]
names = [d.name for d in devs]
print("DEVICES", json.dumps({d.name: [d.inputCount, d.outputCount] for d in devs}), flush=True)
m.setCaptureDev(names.index("fdheadset")); m.setPlaybackDev(names.index("fdheadset"))
ep.libStart()

def tone(hz):
    tg = pj.ToneGenerator(); tg.createToneGenerator(8000)
    t = pj.ToneDesc(); t.freq1 = hz; t.freq2 = 0; t.on_msec = 1000; t.off_msec = 0
    v = pj.ToneDescVector(); v.append(t); tg.play(v, True)
    return tg

# rec_id -1 is the *default* capture device: pjmedia also opens ALSA "default" (here
# pulse -> fd_mic.monitor) for it: harmless here, and so for any caller passing -1
ring = pj.ExtraAudioDevice(names.index("fdring"), -1); ring.open()
tg = tone(headset_hz); tg.startTransmit(m.getPlaybackDevMedia())
tr = tone(ring_hz); tr.startTransmit(ring)
rec = pj.AudioMediaRecorder(); rec.createRecorder(mic_wav); m.getCaptureDevMedia().startTransmit(rec)
t0 = time.time()
while time.time() - t0 < run_s:
    ep.libHandleEvents(10)
# pjsua2 aborts if media objects outlive the library
tg = tr = rec = None
ring.close(); ring = None
ep.libDestroy()
"""


def _frames(path: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """Per 50 ms frame: RMS and dominant frequency (Hz)."""
    x, rate = sf.read(path, dtype="float32", always_2d=True)
    x = x[:, 0]
    n = int(rate * FRAME_S)
    frames = x[: len(x) // n * n].reshape(-1, n)
    rms = np.sqrt((frames**2).mean(axis=1))
    spec = np.abs(np.fft.rfft(frames * np.hanning(n), axis=1))
    peak = spec.argmax(axis=1) * rate / n
    return rms, peak, rate


def tone_seconds(path: Path, hz: float) -> float:
    """How long a tone at ``hz`` (±40 Hz, above -40 dBFS) is present in the WAV."""
    rms, peak, _ = _frames(path)
    return float(((rms > 0.01) & (np.abs(peak - hz) <= 40)).sum() * FRAME_S)


def loud_seconds(path: Path) -> float:
    rms, _, _ = _frames(path)
    return float((rms > 0.01).sum() * FRAME_S)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One pjsua2 session over the virtual devices, with every sink recorded."""
    tmp = tmp_path_factory.mktemp("vsound")
    mic_src = tmp / "mic_440.wav"
    t = np.arange(int(16000 * (RUN_S + 4))) / 16000  # outlasts pjsua2's whole session
    sf.write(mic_src, (0.5 * np.sin(2 * np.pi * MIC_HZ * t)).astype(np.float32), 16000,
             subtype="PCM_16")  # fmt: skip
    got = tmp / "pjsua2_capture.wav"
    with VirtualSound(tmp) as vs:
        with vs.record("headset") as headset, vs.record("ring") as ring:
            player = vs.play_into_mic(mic_src)
            proc = subprocess.run(
                no_realtime([sys.executable, "-c", PJSUA2_SCRIPT, str(got), str(RUN_S),
                             str(HEADSET_HZ), str(RING_HZ)]),
                env={**os.environ, **vs.env}, capture_output=True, text=True, timeout=30,
            )  # fmt: skip
            assert player.poll() is None, "the mic WAV ended before pjsua2 did"
        assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr[-3000:]}\n{vs.log()}"
        [line] = [x for x in proc.stdout.splitlines() if x.startswith("DEVICES ")]
        devices = json.loads(line.removeprefix("DEVICES "))
    return {"devices": devices, "headset": headset.path, "ring": ring.path, "capture": got}


def test_pjmedia_lists_the_virtual_alsa_devices(run):
    assert run["devices"][HEADSET_PCM] == [1, 1]  # [inputs, outputs]
    assert run["devices"][RING_PCM] == [0, 1]


def test_headset_playback_is_real_time_paced(run):
    secs = tone_seconds(run["headset"], HEADSET_HZ)
    assert abs(secs - RUN_S) <= 0.6, f"{HEADSET_HZ} Hz on the headset for {secs:.2f} s"
    # nothing else reaches the headset: not the ring tone, not the mic
    assert tone_seconds(run["headset"], RING_HZ) == 0
    assert tone_seconds(run["headset"], MIC_HZ) == 0


def test_audio_played_into_the_mic_reaches_pjsua2(run):
    info = sf.info(run["capture"])
    assert abs(info.duration - RUN_S) <= 0.6, f"pjsua2 captured {info.duration:.2f} s"
    secs = tone_seconds(run["capture"], MIC_HZ)
    assert secs >= RUN_S - 0.8, f"{MIC_HZ} Hz in pjsua2's capture for {secs:.2f} s"
    assert loud_seconds(run["capture"]) - secs <= 0.2  # and nothing but it


def test_extra_device_plays_on_the_ring_sink_only(run):
    secs = tone_seconds(run["ring"], RING_HZ)
    assert abs(secs - RUN_S) <= 0.6, f"{RING_HZ} Hz on the ring device for {secs:.2f} s"
    assert loud_seconds(run["ring"]) - secs <= 0.2
    assert tone_seconds(run["ring"], HEADSET_HZ) == 0
