"""Replay start: how long until a trainer can press play and see both channels.

Makes a data directory with two recorded calls (a 55 s one and a long one, default 60 min,
8 kHz stereo PCM, speech-like bursts), starts the real `frontdesk console`, logs in as a
trainer and times, per call: the replay page, /calls/{id}/peaks.json the first time (SHA-256
check + peaks computed) and again (cached), and the first 64 KB Range of the recording;
then in Chromium, navigation to waveform drawn. Prints one JSON document with the load.

  python bench/replay.py                 # 55 s and 60 min calls
  python bench/replay.py --long-min 10
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-1"


def make_data(data_dir: Path, long_min: float) -> dict[str, int]:
    from domain.calls import CallRecord
    from frontdesk.config import load_config
    from frontdesk.console.accounts import add_user
    from ledger import calls
    from ledger.db import open_database
    from recordings.archive import Archive

    cfg = load_config(data_dir)
    sessions = open_database(cfg.database_url)
    archive = Archive(cfg.recordings_dir)
    rng = np.random.default_rng(1)
    now = datetime.now(UTC).replace(microsecond=0)
    ids = {}
    with sessions() as s:
        add_user(s, "bench-trainer", "trainer", PASSWORD, "Bench")
        for name, seconds in (("short", 55.0), ("long", long_min * 60)):
            n = int(seconds * 8000)
            dest = archive.final_path(f"bench-{name}", now)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with sf.SoundFile(str(dest), "w", 8000, 2, "PCM_16") as f:
                for at in range(0, n, 8000 * 60):  # a minute at a time: bounded memory
                    m = min(8000 * 60, n - at)
                    env = (np.sin(np.arange(m) / 8000 * 2 * np.pi * 0.2) > 0).astype(np.float32)
                    noise = rng.standard_normal((m, 2)).astype(np.float32) * 3000
                    noise[:, 0] *= env
                    noise[:, 1] *= 1 - env
                    f.write(noise.astype(np.int16))
            rec = CallRecord(
                uuid=f"bench-{name}", sip_call_id=f"bench-{name}@127.0.0.1", caller="13912345678",
                callee="8001", invited_at=now - timedelta(minutes=5), answered_at=now,
                ended_at=now + timedelta(seconds=seconds), rings=1, answered_by="agent",
                outcome="answered", cause="caller hung up", codec="PCMU/8000",
                recording=archive.describe(dest),
            )  # fmt: skip
            ids[name] = calls.record_call(s, rec).id
        s.commit()
    return ids


def timed(c: httpx.Client, url: str, **kw) -> float:
    t = time.perf_counter()
    r = c.get(url, **kw)
    r.raise_for_status()
    return (time.perf_counter() - t) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--long-min", type=float, default=60.0)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fd-replay-bench-"))
    data = tmp / "var"
    data.mkdir()
    ids = make_data(data, args.long_min)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "frontdesk.cli", "--data-dir", str(data), "console",
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    out: dict = {"load_before": os.getloadavg()}
    try:
        for _ in range(300):
            try:
                httpx.get(url + "/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        with httpx.Client(base_url=url, timeout=60) as c:
            token = c.get("/login").cookies["fd_login"]
            r = c.post("/login", data={"username": "bench-trainer", "password": PASSWORD,
                                       "csrf": token}, headers={"Cookie": f"fd_login={token}"})  # fmt: skip
            cookie = {"Cookie": f"fd_session={r.cookies['fd_session']}"}
            for name, cid in ids.items():
                first_page = timed(c, f"/calls/{cid}", headers=cookie)  # hashes the file once
                first_peaks = timed(c, f"/calls/{cid}/peaks.json", headers=cookie)
                pages = [timed(c, f"/calls/{cid}", headers=cookie) for _ in range(args.repeat)]
                peaks = [timed(c, f"/calls/{cid}/peaks.json", headers=cookie)
                         for _ in range(args.repeat)]  # fmt: skip
                rng = {**cookie, "Range": "bytes=0-65535"}
                ranges = [timed(c, f"/recordings/{cid}.wav", headers=rng)
                          for _ in range(args.repeat)]  # fmt: skip
                starts = [a + b + d for a, b, d in zip(pages, peaks, ranges, strict=True)]
                out[name] = {
                    "recording_mb": round(
                        (data / "recordings").rglob(f"bench-{name}.wav").__next__().stat().st_size
                        / 1e6,
                        1,
                    ),  # fmt: skip
                    "first_page_ms": round(first_page, 1),
                    "first_peaks_ms": round(first_peaks, 1),
                    "page_p50_ms": round(statistics.median(pages), 1),
                    "peaks_cached_p50_ms": round(statistics.median(peaks), 1),
                    "range_64k_p50_ms": round(statistics.median(ranges), 1),
                    "replay_start_p50_ms": round(statistics.median(starts), 1),
                    "replay_start_max_ms": round(max(starts), 1),
                }
        out["browser_ms"] = browser_times(url, ids)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        out["load_after"] = os.getloadavg()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(out, indent=2))


def browser_times(url: str, ids: dict[str, int]) -> dict[str, float] | str:
    """Navigation start → waveform drawn, in Chromium (peaks cached by then)."""
    chromium = os.environ.get("FRONTDESK_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        return "no chromium"
    from playwright.sync_api import sync_playwright

    res = {}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        pg = b.new_page()
        pg.goto(url + "/login")
        pg.fill("input[name=username]", "bench-trainer")
        pg.fill("input[name=password]", PASSWORD)
        pg.click("button[type=submit]")
        pg.wait_for_load_state()
        for name, cid in ids.items():
            times = []
            for _ in range(5):
                pg.goto(f"{url}/calls/{cid}")
                pg.wait_for_selector("#wave[data-ready='1']")
                times.append(float(pg.get_attribute("#wave", "data-ready-ms")))
            res[name] = round(statistics.median(times), 1)
        b.close()
    return res


if __name__ == "__main__":
    main()
