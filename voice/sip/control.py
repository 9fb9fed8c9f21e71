"""The phone's local control socket: commands in, events out, one JSON object per line.

A Unix socket (mode 0600) beside the data, served from the phone's own loop with
non-blocking sockets, so no extra thread ever touches pjsua2.
The commands are carried out by voice/sip/commands.py (which line one means: ``pick``).

Commands:  {"cmd": "status"}            → {"ok": true, "calls": [call, …]}
           {"cmd": "answer" | "hangup" | "reject" | "mute" | "unmute" | "hold" | "unhold"
                   | "take", "call": "<uuid>"}
                                     (call may be omitted when exactly one call fits; take
                                      brings a waiting or held line to the headset)
           {"cmd": "subscribe"}      the connection then receives every event
Replies:   {"ok": true, ...} or {"ok": false, "error": "..."}
Events:    {"event": "ringing" | "answered" | "headset" | "ended", "call": call}
           (headset: a line came to or left the agent's headset)
A call:    {"uuid", "state": "ringing" | "active" | "ended", "line": LineState (ringing,
            refused, on_headset, waiting, held, ended: voice/sip/line_state.py), "caller",
            "caller_name", "callee", "invited_at", "answered_at", "rings", "answered_by",
            "muted", "held", "focused", "outcome"}
A line is at most MAX_LINE bytes; a longer or malformed one gets an error reply.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("frontdesk.control")

MAX_LINE = 4096


class _Conn:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.inbuf = b""
        self.outbuf = b""
        self.subscribed = False


class ControlServer:
    def __init__(self, path: Path, handle: Callable[[dict], dict]) -> None:
        self.path = Path(path)
        self.handle = handle
        self.conns: list[_Conn] = []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() or self.path.is_symlink():
            self.path.unlink()  # a socket left by a phone that died
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # created 0600: only the phone's user may command it
        try:
            self.server.bind(str(self.path))
        finally:
            os.umask(old)
        self.server.listen(16)
        self.server.setblocking(False)

    def poll(self) -> None:
        """Accept, read and answer whatever is ready; never blocks."""
        while True:
            try:
                s, _ = self.server.accept()
            except BlockingIOError:
                break
            s.setblocking(False)
            self.conns.append(_Conn(s))
        for c in list(self.conns):
            self._read(c)
            self._flush(c)

    def publish(self, event: dict) -> None:
        line = (json.dumps(event, ensure_ascii=False, default=str) + "\n").encode()
        for c in self.conns:
            if c.subscribed:
                c.outbuf += line
                self._flush(c)

    def close(self) -> None:
        for c in self.conns:
            c.sock.close()
        self.conns.clear()
        self.server.close()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass

    def _read(self, c: _Conn) -> None:
        try:
            chunk = c.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._drop(c)
            return
        c.inbuf += chunk
        while b"\n" in c.inbuf:
            line, c.inbuf = c.inbuf.split(b"\n", 1)
            if len(line) > MAX_LINE:  # however it arrived: one chunk or many
                answer = {"ok": False, "error": "command line too long"}
            else:
                answer = self._answer(c, line)
            c.outbuf += (json.dumps(answer, ensure_ascii=False) + "\n").encode()
        if len(c.inbuf) > MAX_LINE:
            c.outbuf += b'{"ok": false, "error": "command line too long"}\n'
            c.inbuf = b""

    def _answer(self, c: _Conn, line: bytes) -> dict:
        try:
            msg = json.loads(line)
            if not isinstance(msg, dict) or not isinstance(msg.get("cmd"), str):
                raise ValueError("expected a JSON object with a 'cmd' string")
        except ValueError as exc:
            return {"ok": False, "error": f"bad command: {exc}"}
        except RecursionError:  # [[[[…]]]]: nested deeper than the parser goes
            return {"ok": False, "error": "bad command: nested too deeply"}
        if msg["cmd"] == "subscribe":
            c.subscribed = True
            return {"ok": True, "subscribed": True}
        try:
            return self.handle(msg)
        except Exception as exc:  # a bad command must never take the phone down
            log.exception("control command %r failed", msg.get("cmd"))
            return {"ok": False, "error": str(exc)}

    def _flush(self, c: _Conn) -> None:
        while c.outbuf:
            try:
                n = c.sock.send(c.outbuf)
            except BlockingIOError:
                return
            except OSError:
                self._drop(c)
                return
            c.outbuf = c.outbuf[n:]

    def _drop(self, c: _Conn) -> None:
        c.sock.close()
        if c in self.conns:
            self.conns.remove(c)


def send_command(path: Path, msg: dict, timeout: float = 5.0) -> dict:
    """Client side: send one command and read its reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError):
            raise ConnectionError(f"no phone is running (no control socket at {path})") from None
        s.sendall((json.dumps(msg) + "\n").encode())
        buf = b""
        while b"\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("the phone closed the control connection")
            buf += chunk
        return json.loads(buf.split(b"\n", 1)[0])
