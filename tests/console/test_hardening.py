"""Smaller hardening, each against the real part: the phone's control socket, the console's
date handling, Host checks and recording verification, the settings' repr."""

from __future__ import annotations

import json
import socket
import time

import httpx

from frontdesk.config import PhoneConfig, load_config
from voice.sip.control import MAX_LINE, ControlServer


def _ask(server: ControlServer, sock: socket.socket, payload: bytes) -> dict:
    sock.sendall(payload)
    buf = b""
    deadline = time.monotonic() + 5
    while b"\n" not in buf and time.monotonic() < deadline:
        server.poll()
        try:
            buf += sock.recv(65536)
        except BlockingIOError:
            time.sleep(0.01)
    return json.loads(buf.split(b"\n", 1)[0])


def test_the_control_socket_survives_deep_nesting_and_enforces_its_line_limit(tmp_path):
    server = ControlServer(tmp_path / "phone.sock", lambda msg: {"ok": True, "cmd": msg["cmd"]})
    try:
        with socket.socket(socket.AF_UNIX) as c:
            c.connect(str(tmp_path / "phone.sock"))
            c.setblocking(False)
            deep = b"[" * 2000 + b"]" * 2000 + b"\n"  # within MAX_LINE, beyond the parser
            assert len(deep) <= MAX_LINE
            r = _ask(server, c, deep)
            assert not r["ok"] and "nested" in r["error"]
            long = b'{"cmd": "status", "pad": "' + b"x" * (MAX_LINE * 4) + b'"}\n'  # one send
            r = _ask(server, c, long)
            assert not r["ok"] and "too long" in r["error"]
            assert _ask(server, c, b'{"cmd": "status"}\n') == {"ok": True, "cmd": "status"}
    finally:
        server.close()


def test_the_sip_password_is_not_in_the_settings_repr(tmp_path):
    (tmp_path / "frontdesk.toml").write_text("[phone]\npassword = 's3cret-sip'\n")
    cfg = load_config(tmp_path)
    assert cfg.phone.password == "s3cret-sip"
    assert "s3cret-sip" not in repr(cfg) and "s3cret-sip" not in repr(PhoneConfig(password="s3cret-sip"))


def test_dates_at_the_edge_of_the_calendar_are_a_400_not_a_500(console):
    from tests.console.test_security import _post_login

    with httpx.Client(base_url=console.url) as c:
        cookie = _post_login(c, "admin1", "correct-horse-9").cookies["fd_session"]
        c.headers["Cookie"] = f"fd_session={cookie}"
        for url in ("/calls?to=9999-12-31", "/ledger?date=9999-12-31", "/audit?to=9999-12-31",
                    "/kpi?period=month&date=9999-12-31", "/access?to=9999-12-31"):  # fmt: skip
            r = c.get(url)
            assert r.status_code in (200, 400), (url, r.status_code)
        assert c.get("/calls?to=9999-12-31").status_code == 400


def test_a_foreign_host_is_refused(console):
    with httpx.Client(base_url=console.url) as c:
        assert c.get("/login").status_code == 200
        r = c.get("/login", headers={"Host": "evil.example"})
        assert r.status_code == 400 and "unknown Host" in r.text
        assert c.get("/login", headers={"Host": f"localhost:{console.port}"}).status_code == 200


def test_a_recording_no_row_names_shows_on_the_audit_pages(console):
    """RECORDING_UNLOGGED has neither call nor entry: its pages still open and say which file."""
    from tests.console.test_security import _post_login

    with console.sql() as db:
        db.execute(
            "INSERT INTO findings (key, kind, call_id, entry_id, detail, evidence, status, "
            "detected_at) VALUES ('RECORDING_UNLOGGED:2026/11/20/x.wav', 'RECORDING_UNLOGGED', "
            "NULL, NULL, 'recording 2026/11/20/x.wav is not named by any call row', "
            "'{\"path\": \"2026/11/20/x.wav\"}', 'open', '2026-11-20 10:00:00')"
        )
        (fid,) = db.execute("SELECT id FROM findings").fetchone()
    with httpx.Client(base_url=console.url) as c:
        cookie = _post_login(c, "super1", "correct-horse-9").cookies["fd_session"]
        c.headers["Cookie"] = f"fd_session={cookie}"
        listed = c.get("/audit?kind=RECORDING_UNLOGGED")
        assert listed.status_code == 200 and "录音无通话记录" in listed.text
        page = c.get(f"/audit/{fid}")
        assert page.status_code == 200 and "2026/11/20/x.wav" in page.text
