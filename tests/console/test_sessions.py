"""Sessions and the log-in limiter against a real console process: the live feed stops for
a disabled user, sessions end when idle or when the password is reset, the cookie dies with
the browser, and the limiter counts every attempt, from the socket's address."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import frontdesk
from tests.console.conftest import PASSWORD, login
from tests.console.test_security import _post_login


@contextmanager
def _session(console, username: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=console.url, timeout=30) as c:
        r = _post_login(c, username, PASSWORD)
        assert r.status_code == 303, r.text
        c.headers["Cookie"] = f"fd_session={r.cookies['fd_session']}"
        yield c


class RingingPhone:
    """A stand-in for the phone's control socket (voice.sip.control's protocol) that sends a
    ringing event every 0.2 s, with a caller's number in it — a steady stream of calls no
    real line gives on demand. Everything on the console's side is real."""

    def __init__(self, path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(8)
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _client(self, conn: socket.socket) -> None:
        with closing(conn):
            msg = json.loads(conn.makefile().readline())
            if msg.get("cmd") != "subscribe":
                conn.sendall(b'{"ok": true, "calls": []}\n')
                return
            conn.sendall(b'{"ok": true, "subscribed": true}\n')
            n = 0
            while not self.stop.is_set():
                n += 1
                event = {"event": "ringing", "call": {"uuid": str(n), "caller": "13912345678"}}
                try:
                    conn.sendall(json.dumps(event).encode() + b"\n")
                except OSError:
                    return
                time.sleep(0.2)


def test_a_disabled_user_stops_receiving_the_live_feed_at_once(console):
    phone = RingingPhone(console.data_dir / "phone.sock")
    try:
        with _session(console, "agent1") as c, c.stream("GET", "/events") as r:
            assert r.status_code == 200
            lines = r.iter_lines()
            while "ringing" not in next(lines):  # the feed is live
                pass
            frontdesk(console.data_dir, "users", "disable", "agent1")
            disabled_at = time.monotonic()
            after = []
            for line in lines:  # ends when the console closes the stream
                if "ringing" in line:
                    after.append(time.monotonic() - disabled_at)
                assert time.monotonic() - disabled_at < 8, "the feed went on after disable"
            # at most what was already on its way when the command returned
            assert all(t < 0.5 for t in after), after
    finally:
        phone.stop.set()


def test_the_session_cookie_is_not_kept_after_the_browser_closes(console, page):
    login(page, console, "agent1")
    [cookie] = [c for c in page.context.cookies() if c["name"] == "fd_session"]
    assert cookie["expires"] == -1  # a session cookie: no Expires, no Max-Age


def test_an_idle_session_ends(console):
    with _session(console, "agent1") as c:
        assert c.get("/desk").status_code == 200
        with sqlite3.connect(console.data_dir / "frontdesk.db") as db:
            idle = (datetime.now(UTC) - timedelta(minutes=31)).replace(tzinfo=None)
            db.execute("UPDATE console_sessions SET last_seen_at = ?", (idle.isoformat(" "),))
        r = c.get("/desk", follow_redirects=False)
        assert r.status_code == 303 and "/login" in r.headers["location"]


def test_a_password_reset_ends_the_old_sessions(console):
    with _session(console, "agent1") as c:
        assert c.get("/desk").status_code == 200
        subprocess.run(
            [*frontdesk_cmd(console), "users", "passwd", "agent1", "--password-stdin"],
            input="a-new-password-1\n", text=True, check=True, capture_output=True,
        )  # fmt: skip
        r = c.get("/desk", follow_redirects=False)
        assert r.status_code == 303 and "/login" in r.headers["location"]


def frontdesk_cmd(console) -> list[str]:
    import sys

    return [sys.executable, "-m", "frontdesk.cli", "--data-dir", str(console.data_dir)]


def _access(console, action: str) -> list[tuple[str, str]]:
    with sqlite3.connect(console.data_dir / "frontdesk.db") as db:
        return list(db.execute(
            "SELECT username, remote FROM access_log WHERE action = ? ORDER BY id", (action,)))  # fmt: skip


def test_x_forwarded_for_does_not_choose_the_address(console):
    with httpx.Client(base_url=console.url) as c:
        codes = []
        for i in range(6):
            c.headers["X-Forwarded-For"] = f"10.0.0.{i}"
            codes.append(_post_login(c, "super1", "guess-guess").status_code)
    assert codes == [401] * 5 + [429]
    assert {remote for _, remote in _access(console, "login_failed")} == {"127.0.0.1"}


def test_parallel_wrong_passwords_cannot_outrun_the_limiter(console):
    def attempt(_) -> int:
        with httpx.Client(base_url=console.url, timeout=60) as c:
            return _post_login(c, "super1", "guess-guess").status_code

    with ThreadPoolExecutor(30) as pool:
        codes = list(pool.map(attempt, range(30)))
    assert codes.count(401) <= 5 and codes.count(429) >= 25, codes


def test_strangers_wrong_user_names_do_not_lock_everyone_out(console):
    with httpx.Client(base_url=console.url) as c:
        for _ in range(25):
            assert _post_login(c, uuid.uuid4().hex[:12], "guess-guess").status_code == 401
        assert _post_login(c, "agent1", PASSWORD).status_code == 303


def test_refused_log_ins_do_not_grow_the_database(console):
    with httpx.Client(base_url=console.url) as c:
        codes = [_post_login(c, "super1", "guess-guess").status_code for _ in range(45)]
        assert codes.count(429) == 40
        for _ in range(60):  # a flood of user names from one address
            _post_login(c, uuid.uuid4().hex[:12], "guess-guess")
    assert len(_access(console, "login_refused")) == 1
    assert len(_access(console, "login_failed")) <= 4 * 5 + 1
