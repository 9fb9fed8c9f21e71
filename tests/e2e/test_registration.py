"""Registration through a real registrar: kamailio (Debian package, its default config,
REGISTER without auth) on 127.0.0.1; calls to the line are routed through it."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.conftest import SPEECH, free_port, frontdesk_json, tool
from tests.e2e.peers import SCENARIOS, PhoneProcess, sipp_call

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.needs("sipp", "kamailio"),
]


class Kamailio:
    def __init__(self, tmp, port: int) -> None:
        self.tmp, self.port = tmp, port
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        run = self.tmp / "kamailio"
        run.mkdir(exist_ok=True)
        self.proc = subprocess.Popen(
            [tool("kamailio") or "kamailio", "-f", "/etc/kamailio/kamailio.cfg", "-l", f"udp:127.0.0.1:{self.port}",
             "-n", "1", "-DD", "-E", "-P", str(run / "pid"), "-Y", str(run)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(1.0)
        assert self.proc.poll() is None, "kamailio did not start"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def test_registers_and_takes_calls_routed_by_the_registrar(tmp_path, var):
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


def _registrar(tmp, port: int, password: str, expires: int) -> subprocess.Popen:
    """A SIPp registrar over TCP that demands digest auth (see uas_registrar_auth.xml)."""
    text = (SCENARIOS / "uas_registrar_auth.xml").read_text()
    for key, value in {"USER": "frontdesk", "PASS": password, "EXPIRES": str(expires)}.items():
        text = text.replace(f"__{key}__", value)
    path = tmp / f"registrar-{expires}.xml"
    path.write_text(text)
    return subprocess.Popen(
        ["sipp", "-sf", str(path), "-t", "t1", "-i", "127.0.0.1", "-p", str(port), "-m", "1",
         "-nostdin", "-timeout", "30s", "-timeout_error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp,
    )  # fmt: skip


def test_digest_auth_and_recovery_when_the_registrar_goes_away_and_returns(tmp_path, var):
    """A real SIPp peer plays the registrar: 401 with a digest challenge, then 200 only for
    a correct Authorization. It grants 3 s and exits; the refresh fails, the phone retries
    after 2 s (then 4, 8…) and registers again with the second registrar. The password (given through
    the environment) appears nowhere in the phone's output, pjsip's SIP trace included."""
    (var / "frontdesk.toml").write_text(
        '[phone]\ntransport = "both"\nusername = "frontdesk"\nregister_expires = 60\n'
        "register_retry_s = 2\n",
        encoding="utf-8",
    )
    password = "Zq7-front-desk-secret"
    port = free_port()
    first = _registrar(tmp_path, port, password, expires=3)
    second = None
    try:
        with PhoneProcess(var, "--registrar", f"sip:127.0.0.1:{port};transport=tcp",
                          env={"FRONTDESK_SIP_PASSWORD": password}, verbose=True) as phone:  # fmt: skip
            phone.wait_for("registration: registered", timeout=10)
            assert first.wait(timeout=10) == 0
            assert any("Authorization: Digest" in line for line in phone.log)
            phone.wait_for("registration: not registered", timeout=15)  # the registrar is gone
            second = _registrar(tmp_path, port, password, expires=60)
            t0 = time.monotonic()
            phone.wait_for("registration: registered", count=2, timeout=15)
            recovered_s = time.monotonic() - t0
            assert second.wait(timeout=10) == 0
            assert phone.proc.poll() is None
    finally:
        for p in (first, second):
            if p is not None and p.poll() is None:
                p.kill()
    assert recovered_s < 8  # the first retry comes 2 s ± 25 % after the failure
    assert password not in "".join(phone.log)
