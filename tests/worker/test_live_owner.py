"""Several workers, one follower per live call: two real `frontdesk worker` processes and a
call recording growing in `.partial/` as the phone writes it (the two-party fixture, at
twice real time). Exactly one worker follows the call; when it is killed (-9) the other
takes the call over and carries on from what the first had done."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import soundfile as sf

from tests.asr.growing import GrowingCall, stereo_call
from tests.conftest import SPEECH
from voice.asr.live import load_live


def _worker(data_dir):
    p = subprocess.Popen(
        [sys.executable, "-m", "frontdesk.cli", "--data-dir", str(data_dir), "worker", "--poll", "0.2"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    lines: list[tuple[float, str]] = []
    threading.Thread(
        target=lambda: [lines.append((time.monotonic(), ln)) for ln in p.stderr], daemon=True
    ).start()
    return p, lines


def _wait(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, what()
        time.sleep(0.1)


def test_one_worker_follows_a_live_call_and_another_takes_over_when_it_dies(data_dir):
    partial = data_dir / "recordings" / ".partial"
    partial.mkdir(parents=True)
    data, rate = sf.read(str(SPEECH / "call_two_party.wav"), dtype="int16", always_2d=True)
    workers = [_worker(data_dir) for _ in range(2)]
    uid = "c0ffee00-0000-4000-8000-000000000001"
    call = GrowingCall(partial.parent, uid, stereo_call(data[: 30 * rate]), rate, speed=2.0)

    def logs():
        return "\n".join(f"[{i}] {ln}" for i, (_, lines) in enumerate(workers) for _, ln in lines)

    def following(i):
        return [t for t, ln in workers[i][1] if uid in ln and ("following" in ln or "taking over" in ln)]  # fmt: skip

    try:
        call.start()
        _wait(lambda: following(0) or following(1), 20, logs)
        owner = 0 if following(0) else 1
        other = 1 - owner
        # the owner transcribes the greeting; the other worker only sees the lock
        _wait(lambda: load_live(partial, uid).segments, 20, logs)
        time.sleep(0.5)
        assert not following(other), logs()
        assert (partial / f"{uid}.lock").exists()
        done_before = len(load_live(partial, uid).segments)
        killed_at = time.monotonic()
        workers[owner][0].send_signal(signal.SIGKILL)
        workers[owner][0].wait(timeout=10)
        _wait(lambda: following(other), 10, logs)
        assert following(other)[0] > killed_at
        assert re.search(rf"{uid}: taking over a live call \(\d+ utterances already done\)", logs())
        call.join(timeout=30)
        # the phone finalizes the call: its folder goes; the follower hands its result over
        _wait(lambda: len(load_live(partial, uid).segments) > done_before, 15, logs)
        time.sleep(1.0)
        import shutil

        shutil.rmtree(partial / uid)
        _wait(lambda: not (partial / f"{uid}.lock").exists(), 10, logs)
    finally:
        call.stop_early.set()
        for p, _ in workers:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=20)
    live = load_live(partial, uid)
    starts = [(s.speaker, round(s.start, 1)) for s in live.segments]
    assert len(starts) == len(set(starts)), f"a segment was transcribed twice: {starts}"
    texts = {s.speaker: "".join(x.utterance.text for x in live.segments
                                 if x.speaker == s.speaker and x.utterance) for s in live.segments}  # fmt: skip
    assert "物业" in texts["agent"] and "四栋" in texts["caller"], texts
