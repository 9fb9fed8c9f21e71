"""Nothing lost at the end of a call: a caller gives the phone number last, after a 2 s
pause, and the line drops right after the last digit. A real SIPp caller streams it as
PCMU to a real phone; the worker follows the live call as `frontdesk run` does; the
stored transcript must end with the number, down to its last digit.

The speech is the yardstick's dev recording dev_tail_phone (band-limited, 8 kHz), its
trailing silence cut to 0.15 s and written as mu-law for SIPp; nothing is synthesised."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import soundfile as sf

from tests.conftest import DATA, frontdesk_json
from tests.e2e.peers import PhoneProcess, sipp_available, sipp_call
from voice.asr.metrics import digit_runs

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not sipp_available(), reason="needs SIPp")]

ITEM = "dev_tail_phone__band8k"


def test_digits_said_after_a_pause_at_the_very_end_of_a_call_are_kept(data_dir, tmp_path):
    [item] = [i for i in json.loads((DATA / "asr_eval" / "dev.json").read_text()) if i["id"] == ITEM]
    audio, rate = sf.read(str(DATA / "asr_eval" / item["file"]))
    last = item["parts"][-1]
    audio = audio[: int((last["end"] + 0.15) * rate)]  # the caller hangs up on the last digit
    wav = tmp_path / "tail.wav"
    sf.write(wav, audio, rate, subtype="ULAW")
    worker = subprocess.Popen(
        [sys.executable, "-m", "frontdesk.cli", "--data-dir", str(data_dir), "worker", "--poll", "0.2"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    log: list[str] = []
    threading.Thread(target=lambda: log.extend(worker.stderr), daemon=True).start()
    try:
        with PhoneProcess(data_dir, "--answer-after-rings", "1", "--ring-on", "0.2") as phone:
            r = sipp_call(phone.port, "uac_rtp_stream.xml", tmp_path, wav=wav,
                          talk_ms=int(len(audio) / rate * 1000) + 100)  # fmt: skip
            assert r.returncode == 0, r.stdout[-2000:]
            phone.wait_for("stored as #")
        deadline = time.monotonic() + 120
        while not frontdesk_json(data_dir, "ledger", "list"):
            assert time.monotonic() < deadline, "".join(log)
            time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    from ledger.db import open_database
    from ledger.transcripts import load_transcript

    [call] = frontdesk_json(data_dir, "calls", "list")
    with open_database(f"sqlite:///{data_dir / 'frontdesk.db'}")() as s:
        transcript = load_transcript(s, call["id"])
    caller = [u for u in transcript.utterances if u.speaker == "caller"]
    assert caller, "".join(log)
    said_last = caller[-1]
    # the last utterance is the number, heard to its end (the call ended 0.15 s after it)
    assert said_last.end >= transcript.duration_s - 2.5, (said_last, transcript.duration_s)
    # every digit said after the first group is there, to the last one: nothing lost at the
    # end (how exactly Whisper hears 幺五零 is the yardstick's digit exactness, not this)
    runs = digit_runs(said_last.text)
    tail = item["expect"]["phone"][3:]
    # a repeated digit heard once (五五 → 5) is the yardstick's digit exactness, not a loss at
    # the end; a number cut short before its last digits is
    heard_tail = {tail} | {tail[:i] + tail[i + 1 :] for i in range(len(tail) - 1)
                           if tail[i] == tail[i + 1]}  # fmt: skip
    assert runs and any(runs[-1].endswith(t) for t in heard_tail), transcript.text("caller")
