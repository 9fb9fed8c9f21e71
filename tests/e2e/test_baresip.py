"""A baresip caller (Debian package, a real SIP user agent other than SIPp) against the
real `frontdesk phone` on 127.0.0.1: it dials non-interactively, sends a WAV through its
aufile source as PCMU and hangs up when the file ends; the phone answers at ring 1 and the
recording's caller channel correlates with the source."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import SPEECH, free_port, frontdesk_json
from tests.e2e.peers import PhoneProcess, best_correlation, read_channel

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.needs("baresip"),
]

SOURCE = SPEECH / "burst_pipe_8k.wav"  # 8 kHz 16-bit mono, what baresip's aufile reads


def baresip_config(cfg, wav, heard, sip_port: int, rtp_port: int) -> None:
    cfg.mkdir()
    (cfg / "config").write_text(
        "\n".join(
            [
                "poll_method epoll",
                f"sip_listen 127.0.0.1:{sip_port}",
                "net_interface 127.0.0.1",  # an address, not `lo`
                f"rtp_ports {rtp_port}-{rtp_port + 9}",
                f"audio_source aufile,{wav}",
                f"audio_player aufile,{heard}",
                "audio_alert aufile,/dev/null",
                "ausrc_srate 8000",
                "auplay_srate 8000",
                "ausrc_channels 1",
                "auplay_channels 1",
                "module_path /usr/lib/baresip/modules",
                "module g711.so",
                "module aufile.so",
                "module account.so",
                "module menu.so",
            ]
        )
        + "\n"  # fmt: skip
    )
    (cfg / "accounts").write_text("<sip:13500135000@127.0.0.1>;regint=0;audio_codecs=PCMU\n")
    (cfg / "contacts").write_text("")


def test_baresip_caller_is_answered_and_recorded_faithfully(tmp_path, var):
    src, rate = sf.read(str(SOURCE))
    # baresip hangs up when its source file ends: 1 s of silence after the speech keeps the
    # end of the sentence from being cut by the call's own teardown
    padded = tmp_path / "source_padded.wav"
    sf.write(str(padded), np.concatenate([src, np.zeros(rate)]), rate, subtype="PCM_16")
    cfg = tmp_path / "baresip"
    baresip_config(cfg, padded, tmp_path / "heard.wav", free_port(), free_port())
    with PhoneProcess(var, "--answer-after-rings", "1", "--ring-on", "0.2") as phone:
        ua = subprocess.Popen(
            ["baresip", "-f", str(cfg), "-e", f"/dial sip:frontdesk@127.0.0.1:{phone.port}",
             "-t", "30"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
        )  # fmt: skip
        try:
            phone.wait_for("stored as #", timeout=30)  # baresip hangs up at the end of the file
        finally:
            ua.terminate()  # baresip stays up after the call; -t is only the safety net
            out = ua.communicate(timeout=10)[0]
        assert "Call established" in out, out[-3000:]
    [call] = frontdesk_json(var, "calls", "list")
    assert (call["outcome"], call["answered_by"], call["rings"]) == ("answered", "auto", 1)
    assert call["caller"] == "13500135000" and call["codec"].startswith("PCMU")
    caller, rec_rate = read_channel(var / "recordings" / call["recording"]["path"], 0)
    assert rec_rate == rate == 8000
    assert best_correlation(caller, src) >= 0.99
