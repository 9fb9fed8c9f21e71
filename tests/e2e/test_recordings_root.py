"""A desk on a shared recordings root (a NAS) that goes away and comes back, with a real
`frontdesk phone` and real SIPp callers: the call made while the root is away is recorded
into the desk's spool, and moved up when it returns, its hash checked and its row pointing
at the relative path; nothing is lost. The share "goes away" by its directory being renamed
(CI runs as root, which a read-only directory would not stop)."""

from __future__ import annotations

import time

import pytest

from recordings.archive import sha256_file
from tests.conftest import SPEECH
from tests.e2e.peers import FAST, PhoneProcess, calls_by_id, read_channel, sipp_call

pytestmark = [pytest.mark.e2e, pytest.mark.needs("sipp")]

SOURCE = SPEECH / "burst_pipe_8k_ulaw.wav"


def _call(phone, tmp_path) -> None:
    r = sipp_call(phone.port, "uac_rtp_stream.xml", tmp_path, wav=SOURCE, talk_ms=2500)
    assert r.returncode == 0, r.stdout[-2000:]


def test_calls_while_the_root_is_away_wait_in_the_spool_and_go_up_when_it_returns(var, tmp_path):
    nas, away = tmp_path / "nas", tmp_path / "nas-unmounted"
    nas.mkdir()
    (var / "frontdesk.toml").write_text(
        f'[recordings]\nroot = "{nas}"\nmove_every_s = 0.5\n', encoding="utf-8"
    )
    with PhoneProcess(var, "--answer-after-rings", "1", *FAST) as phone:
        _call(phone, tmp_path)
        phone.wait_for("stored as #")
        nas.rename(away)
        _call(phone, tmp_path)
        phone.wait_for("stored as #", count=2)
        first, second = calls_by_id(var)
        assert first["recording"]["path"].startswith("20")  # relative: on the root
        spooled = second["recording"]["path"]
        assert spooled.startswith(str(var / "spool" / ".spooled"))
        _, rate = read_channel(spooled, 0)  # a whole recording, on this desk only
        assert rate == 8000 and sha256_file(spooled) == second["recording"]["sha256"]
        time.sleep(1.5)  # the mover tries, the root is still away: the file stays
        assert calls_by_id(var)[1]["recording"]["path"] == spooled

        away.rename(nas)
        phone.wait_for("moved from the spool to the recordings root", timeout=20)
        moved = calls_by_id(var)[1]["recording"]
    assert moved["path"] == spooled.split("/.spooled/", 1)[1]
    assert sha256_file(nas / moved["path"]) == moved["sha256"] == second["recording"]["sha256"]
    assert not list((var / "spool" / ".spooled").rglob("*.wav"))
    assert not list((var / "spool" / ".partial").iterdir())
