"""Registration through a real registrar: kamailio (Debian package, its default config,
REGISTER without auth) on 127.0.0.1; calls to the line are routed through it."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from tests.conftest import SPEECH, free_port, frontdesk_json
from tests.e2e.peers import PhoneProcess, sipp_available, sipp_call

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (sipp_available() and shutil.which("kamailio")), reason="needs SIPp and kamailio"
    ),
]


class Kamailio:
    def __init__(self, tmp, port: int) -> None:
        self.tmp, self.port = tmp, port
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        run = self.tmp / "kamailio"
        run.mkdir(exist_ok=True)
        self.proc = subprocess.Popen(
            ["kamailio", "-f", "/etc/kamailio/kamailio.cfg", "-l", f"udp:127.0.0.1:{self.port}",
             "-n", "1", "-DD", "-E", "-P", str(run / "pid"), "-Y", str(run)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(1.0)
        assert self.proc.poll() is None, "kamailio did not start"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def test_registers_and_takes_calls_routed_by_the_registrar(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    (var / "frontdesk.toml").write_text("[phone]\nregister_expires = 60\n", encoding="utf-8")
    kam = Kamailio(tmp_path, free_port())
    registrar = f"sip:127.0.0.1:{kam.port}"
    kam.start()
    try:
        with PhoneProcess(var, "--registrar", registrar, "--username", "frontdesk",
                          "--answer-after-rings", "1", "--ring-on", "0.2") as phone:  # fmt: skip
            phone.wait_for("registration: registered", timeout=20)
            r = sipp_call(kam.port, "uac_rtp_stream.xml", tmp_path,
                          wav=SPEECH / "burst_pipe_8k_ulaw.wav", talk_ms=1500)  # fmt: skip
            assert r.returncode == 0, r.stdout[-2000:]
            phone.wait_for("stored as #")
    finally:
        kam.stop()
    [call] = frontdesk_json(var, "calls", "list")
    assert call["outcome"] == "answered" and call["caller"] == "13800138000"
