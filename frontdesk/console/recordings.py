"""Recordings, served to the roles allowed to hear them: supervisors, trainers, admins.

The file's SHA-256 must match the Call row before a byte is sent (a tampered recording is
refused, and the reconciler flags it); HTTP Range requests are served so the browser can
seek; every playback and download is written to the access log.
"""

from __future__ import annotations

import threading
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response

from frontdesk.console.app import Ctx, guarded
from ledger.models import Call
from recordings.archive import Archive, sha256_file

LISTENERS = ("supervisor", "trainer")

# (path, size, mtime_ns) → its SHA-256; a changed file is hashed again. Bounded: the
# console runs for months and trainers replay many calls.
_verified: dict[tuple[str, int, int], str] = {}
_VERIFIED_MAX = 20_000
_lock = threading.Lock()


def verified_recording(ctx: Ctx, call: Call) -> Path:
    """The recording's path once its hash matches the ledger; 404/409 otherwise."""
    if not call.recording_path:
        raise HTTPException(404, f"call #{call.id} has no recording")
    try:
        path = Archive(ctx.console.cfg.recordings_dir).resolve(call.recording_path)
    except ValueError:
        raise HTTPException(404, f"call #{call.id}: recording path refused") from None
    try:
        st = path.stat()
    except OSError:
        raise HTTPException(404, f"call #{call.id}: the recording file is missing") from None
    key = (str(path), st.st_size, st.st_mtime_ns)
    with _lock:
        known = _verified.get(key)
    if known is None:
        known = sha256_file(path)
        with _lock:
            _verified[key] = known
            if len(_verified) > _VERIFIED_MAX:
                del _verified[next(iter(_verified))]  # the oldest
    if call.recording_sha256 and known != call.recording_sha256:
        ctx.log("play_refused", f"call:{call.id}", reason="sha256 mismatch")
        raise HTTPException(409, f"call #{call.id}: the recording does not match its SHA-256")
    return path


def recording(ctx: Ctx, call_id: int) -> Response:
    call = ctx.db.get(Call, call_id)
    if call is None:
        raise HTTPException(404, f"no call #{call_id}")
    path = verified_recording(ctx, call)
    download = ctx.query.get("download") == "1"
    # A browser asks for the first range again when seeking: log a playback once, at its start.
    rng = ctx.request.headers.get("range", "")
    if download or not rng or rng.startswith("bytes=0-"):
        ctx.log("download" if download else "play", f"call:{call.id}")
    return FileResponse(
        path,
        media_type="audio/wav",
        filename=f"call-{call.id}.wav" if download else None,
        content_disposition_type="attachment" if download else "inline",
    )


routes = [
    guarded("/recordings/{call_id:int}.wav", recording, roles=LISTENERS, methods=("GET", "HEAD"))
]
