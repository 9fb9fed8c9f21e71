"""The phone's events, fanned out to browsers.

The console subscribes once to the phone's control socket (``voice.sip.control``) and
hands every event (ringing, answered, ended) to each connected browser's queue; it
reconnects by itself when the phone restarts. Commands (answer, hang up …) go to the
phone over the same socket, one connection per command.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool

from voice.sip.control import send_command

log = logging.getLogger("frontdesk.console.phone")


class PhoneHub:
    def __init__(self, socket_path: Path) -> None:
        self.socket_path = Path(socket_path)
        self.connected = False
        self._queues: set[asyncio.Queue[dict[str, Any]]] = set()

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=256)
        self._queues.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue[dict[str, Any]]) -> None:
        self._queues.discard(q)

    def _broadcast(self, event: dict[str, Any]) -> None:
        for q in list(self._queues):
            try:
                q.put_nowait(event)
            except asyncio.QueueFull:  # a stalled browser must not hold up the others
                self._queues.discard(q)

    async def run(self, retry_s: float = 0.5) -> None:
        """Follow the phone forever (cancelled at shutdown)."""
        while True:
            try:
                reader, writer = await asyncio.open_unix_connection(str(self.socket_path))
            except OSError:
                await asyncio.sleep(retry_s)
                continue
            try:
                writer.write(b'{"cmd": "subscribe"}\n')
                await writer.drain()
                await reader.readline()  # {"ok": true, "subscribed": true}
                self.connected = True
                self._broadcast({"event": "phone", "connected": True})
                log.info("following the phone's events at %s", self.socket_path)
                while line := await reader.readline():
                    try:
                        event = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(event, dict) and "event" in event:
                        self._broadcast(event)
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()
                if self.connected:
                    self.connected = False
                    self._broadcast({"event": "phone", "connected": False})
                    log.warning("lost the phone's control socket; reconnecting")
            await asyncio.sleep(retry_s)

    async def command(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Send one command to the phone; a phone that is not running is a stated error."""
        try:
            return await run_in_threadpool(send_command, self.socket_path, msg)
        except (ConnectionError, OSError, ValueError) as exc:
            return {"ok": False, "error": str(exc)}
