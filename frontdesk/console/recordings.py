"""Recordings, served to the roles allowed to hear them: supervisors, trainers, admins.

The file's SHA-256 must match the Call row before a byte is sent (a tampered recording is
refused, and the reconciler flags it); HTTP Range requests are served so the browser can
seek. Trainers hear a copy with the spoken phone numbers bleeped, as in training packs
(made once per recording and transcript, kept under <data>/cache/bleeped); a call not yet
transcribed has no such copy, so they cannot hear it yet. Every download, and every
playback once whatever ranges the browser asks for, is written to the access log.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response

from frontdesk.console import logins, scope
from frontdesk.console.bleep import PAD, mask_wav, spoken_number_spans
from frontdesk.console.web import Ctx, guarded
from ledger.models import Call
from ledger.transcripts import load_transcript
from recordings.archive import Archive, sha256_file

LISTENERS = ("supervisor", "trainer")

# (path, size, mtime_ns) → its SHA-256; a changed file is hashed again. Bounded: the
# console runs for months and trainers replay many calls.
_verified: dict[tuple[str, int, int, int, int], str] = {}
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
    if not call.recording_sha256:  # nothing to check it against: never served as verified
        ctx.log("play_refused", f"call:{call.id}", reason="no sha256 in the call row")
        raise HTTPException(409, f"call #{call.id}: no SHA-256 is stored for its recording")
    # size and mtime can be put back after an edit (touch -d); the change time and the
    # inode cannot, so a rewritten file is hashed again
    key = (str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    with _lock:
        known = _verified.get(key)
    if known is None:
        known = sha256_file(path)
        with _lock:
            _verified[key] = known
            if len(_verified) > _VERIFIED_MAX:
                del _verified[next(iter(_verified))]  # the oldest
    if known != call.recording_sha256:
        ctx.log("play_refused", f"call:{call.id}", reason="sha256 mismatch")
        raise HTTPException(409, f"call #{call.id}: the recording does not match its SHA-256")
    return path


BLEEP_VERSION = 1  # bump when the bleeped copy's making changes


def bleeped_recording(ctx: Ctx, call: Call, path: Path) -> Path:
    """The recording with every number the transcript heard spoken replaced by the tone
    (bleep.mask_wav); 409 when the call has no transcript to find them in."""
    t = load_transcript(ctx.db, call.id)
    if t is None:
        raise HTTPException(
            409,
            f"call #{call.id} is not transcribed yet: trainers hear a recording with the "
            "spoken phone numbers bleeped, and they are found in its transcript",
        )
    spans = spoken_number_spans(t.to_dict())
    key = hashlib.sha256(
        json.dumps(
            [BLEEP_VERSION, call.recording_sha256 or str(path.stat().st_mtime_ns), PAD,
             [(s.channel, s.start, s.end) for s in spans]],
        ).encode()
    ).hexdigest()  # fmt: skip
    folder = ctx.console.cfg.data_dir / "cache" / "bleeped"
    out = folder / f"{key}.wav"
    if out.exists():
        return out
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(suffix=".tmp", dir=folder)  # 0600
    try:
        with os.fdopen(fd, "wb") as f:
            try:
                done = mask_wav(path, f, spans)
            except ValueError as exc:
                raise HTTPException(409, f"call #{call.id}: cannot bleep numbers: {exc}") from None
        if call.recording_sha256 and done.recording_sha256 != call.recording_sha256:
            raise HTTPException(409, f"call #{call.id}: the recording changed while it was read")
        os.replace(tmp, out)  # atomic: a concurrent request never serves half a copy
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


# A playback is one row in the access log however the browser fetches it (bytes=0-,
# bytes=00-, bytes=1-, a seek, a re-buffer): requests for the same call from the same
# log-in session belong to one playback until PLAYBACK_GAP_S pass without any.
PLAYBACK_GAP_S = 300.0
_playing: OrderedDict[tuple[str, int], float] = OrderedDict()
_PLAYING_MAX = 10_000


def _new_playback(ctx: Ctx, call_id: int) -> bool:
    token = ctx.request.cookies.get(logins.COOKIE, "")
    key = (hashlib.sha256(token.encode()).hexdigest(), call_id)
    now = time.monotonic()
    with _lock:
        last = _playing.pop(key, None)
        _playing[key] = now
        while len(_playing) > _PLAYING_MAX:
            _playing.popitem(last=False)
    return last is None or now - last > PLAYBACK_GAP_S


def recording(ctx: Ctx, call_id: int) -> Response:
    call = ctx.db.get(Call, call_id)
    scope.require(ctx, call.site if call else None, f"no call #{call_id}")  # as if none
    assert call is not None
    path = verified_recording(ctx, call)
    bleeped = not ctx.user.may("supervisor")  # trainers: the bleeped copy, never the original
    if bleeped:
        path = bleeped_recording(ctx, call, path)
    download = ctx.query.get("download") == "1"
    rng = ctx.request.headers.get("range", "")
    detail = {"range": rng[:64]} if rng else {}
    if bleeped:
        detail["bleeped"] = True
    if download:
        ctx.log("download", f"call:{call.id}", **detail)
    elif ctx.request.method == "GET" and _new_playback(ctx, call.id):
        ctx.log("play", f"call:{call.id}", **detail)
    return FileResponse(
        path,
        media_type="audio/wav",
        filename=f"call-{call.id}.wav" if download else None,
        content_disposition_type="attachment" if download else "inline",
    )


routes = [
    guarded("/recordings/{call_id:int}.wav", recording, roles=LISTENERS, methods=("GET", "HEAD"))
]
