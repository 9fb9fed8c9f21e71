"""Real SIP peers for the tests: the `frontdesk phone` process and SIPp callers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from tests.conftest import free_port, frontdesk_json

SCENARIOS = Path(__file__).parent / "scenarios"
FAST = ("--ring-on", "0.2", "--ring-off", "0.3")  # ring N starts at (N-1)*0.5 s


class PhoneProcess:
    """`frontdesk phone` on 127.0.0.1 in a subprocess; its output (our log and, with
    ``verbose``, pjsip's SIP trace) is collected for asserts."""

    def __init__(
        self,
        data_dir: Path,
        *args: str,
        port: int | None = None,
        env: dict[str, str] | None = None,
        verbose: bool = False,
        wrap: Callable[[list[str]], list[str]] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.env = env or {}
        self.argv = [
            sys.executable, "-m", "frontdesk.cli", "--data-dir", str(data_dir),
            *(["-v"] if verbose else []),
            "phone", "--bind", "127.0.0.1", "--sip-port", str(self.port), *args,
        ]  # fmt: skip
        if wrap is not None:  # e.g. tests.e2e.sound.no_realtime
            self.argv = wrap(self.argv)
        self.log: list[str] = []
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> PhoneProcess:
        self.proc = subprocess.Popen(
            self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 20
        while not any("listening on" in line for line in self.log):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()  # __exit__ is not called: a slow start must not leave it running
                self.proc.wait(timeout=10)
                raise RuntimeError("phone did not start:\n" + "".join(self.log))
            time.sleep(0.05)
        return self

    def _read(self) -> None:
        assert self.proc and self.proc.stdout
        for line in self.proc.stdout:  # our log (stderr) and pjsip's (stdout, with -v)
            self.log.append(line)

    def wait_for(self, text: str, count: int = 1, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while sum(text in line for line in self.log) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"phone never logged {text!r} x{count}:\n" + "".join(self.log))
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=20)

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.stop()


def sipp_available() -> bool:
    return shutil.which("sipp") is not None


def sipp_call(
    phone_port: int,
    scenario: str,
    tmp: Path,
    *,
    wav: Path | None = None,
    talk_ms: int = 1000,
    calls: int = 1,
    timeout: float = 60,
    extra: tuple[str, ...] = (),
    subs: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Place calls with a SIPp scenario from tests/e2e/scenarios (placeholders filled in)."""
    text = (SCENARIOS / scenario).read_text()
    text = text.replace("__WAV__", str(wav or "")).replace("__TALK_MS__", str(talk_ms))
    for key, value in (subs or {}).items():
        text = text.replace(f"__{key}__", value)
    sf_path = tmp / f"sipp-{scenario}"
    sf_path.write_text(text)
    argv = [
        "sipp", f"127.0.0.1:{phone_port}", "-sf", str(sf_path), "-m", str(calls),
        "-s", "frontdesk", "-i", "127.0.0.1", "-p", str(free_port()),
        "-mi", "127.0.0.1", "-mp", str(free_port()), "-nostdin",
        "-timeout", f"{int(timeout)}s", "-timeout_error", *extra,
    ]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 10, cwd=tmp)


def best_correlation(recorded: np.ndarray, source: np.ndarray) -> float:
    """Peak normalised cross-correlation of ``source`` within ``recorded`` (any lag).

    The recording must hold the whole source: one shorter than what was said fails here
    (correlating it the other way round would let a recording of the first second pass
    every "recorded faithfully" check). To find a piece of a recording in a longer
    source, say so with ``piece_in_source``."""
    rec = recorded.astype(np.float64)
    src = source.astype(np.float64)
    assert len(rec) >= len(src), (
        f"the recording holds {len(rec)} samples, less than the {len(src)} said"
    )
    return _correlation(rec, src)


def piece_in_source(piece: np.ndarray, source: np.ndarray) -> float:
    """Peak normalised cross-correlation of a piece of a recording within a longer source
    (e.g. the minute of a looping microphone that a line heard)."""
    return best_correlation(source, piece)


def _correlation(rec: np.ndarray, src: np.ndarray) -> float:
    from scipy.signal import correlate

    cc = correlate(rec, src, mode="valid")
    lag = int(np.argmax(np.abs(cc)))
    a = rec[lag : lag + len(src)]
    return float(np.corrcoef(a, src)[0, 1])


def read_channel(path: Path, channel: int) -> tuple[np.ndarray, int]:
    data, rate = sf.read(str(path), always_2d=True)
    return data[:, channel], rate


def calls_by_id(data_dir: Path) -> list[dict]:
    """The stored calls, oldest row first."""
    return sorted(frontdesk_json(data_dir, "calls", "list"), key=lambda c: c["id"])
