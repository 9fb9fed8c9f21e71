"""The e2e tests' own yardstick can fail: a recording that holds only the start of what was
said is not "recorded faithfully" (no SIP here: the committed speech fixture itself)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import SPEECH
from tests.e2e.peers import best_correlation, piece_in_source


def test_a_recording_of_only_the_first_second_fails_the_faithfulness_check():
    src, rate = sf.read(str(SPEECH / "burst_pipe_8k.wav"))
    whole = np.concatenate([np.zeros(rate // 2), src, np.zeros(rate)])  # lead-in and tail
    assert best_correlation(whole, src) > 0.999
    with pytest.raises(AssertionError, match="less than"):
        best_correlation(whole[: rate // 2 + rate], src)  # the first second only
    # a piece is found in its source when that is what is asked
    assert piece_in_source(src[rate : 2 * rate], src) > 0.999
