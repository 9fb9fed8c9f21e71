"""The live follower resamples only what a growing recording appended; the result must be
the same audio as resampling the finished file (so live VAD segments match at hangup)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import SPEECH
from voice.asr.audio import to_asr_rate
from voice.asr.live import _Resampled


@pytest.mark.parametrize("step", [160, 4000, 12345])
def test_incremental_resampling_equals_resampling_the_whole_file(step):
    pcm, rate = sf.read(str(SPEECH / "call_two_party.wav"), dtype="int16", always_2d=True)
    x = pcm[: 20 * rate, 0]
    r = _Resampled()
    for end in range(step, len(x) + step, step):
        audio = r.update(x[:end], rate)
        assert len(audio) == 2 * min(end, len(x))
    whole = to_asr_rate(x.astype(np.float32) / 32768.0, rate)
    assert np.array_equal(audio, whole)
    assert len(r.out) < len(whole)  # the last samples stay open until more audio comes


def test_rates_that_do_not_divide_16k_are_redone_whole():
    x = (np.sin(np.arange(44100) / 10) * 8000).astype(np.int16)
    r = _Resampled()
    a = r.update(x[:22050], 44100)
    b = r.update(x, 44100)
    assert len(a) == 8000 and len(b) == 16000
