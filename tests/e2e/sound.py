"""Real-time-paced virtual sound devices for end-to-end tests of the phone's audio.

A private PulseAudio daemon (unix socket under the test's tmp dir, nothing on the network,
no hardware probing), reached from ALSA through the `pulse` plugin:

* ALSA PCM ``fdheadset``: playback -> sink ``fd_headset``; capture <- ``fd_mic.monitor``,
  i.e. whatever `VirtualSound.play_into_mic` plays into sink ``fd_mic``.
* ALSA PCM ``fdring``: playback only -> sink ``fd_ring``.

All three sinks are pipe sinks clocked by the system clock: they consume audio at
real-time pace (ALSA's ``file``/``null`` plugins do not) and write every sample, silence
included, to a FIFO that `VirtualSound.record` taps. (Null sinks render nothing while no
stream plays, so their monitors stall; parecord of a monitor also drops its tail at SIGINT.)
Debian packages: pulseaudio pulseaudio-utils libasound2-plugins.

Run the process that uses the devices through `no_realtime` (see there: as root, pjmedia's
real-time threads otherwise starve the daemon) and with ``vs.env`` set from its start:

    with VirtualSound(tmp_path) as vs:              # 16 kHz mono s16 sinks by default
        with vs.record("headset") as rec:
            vs.play_into_mic(caller_wav)            # returns at once
            subprocess.run(no_realtime([...phone...]), env={**os.environ, **vs.env})
        samples, rate = sf.read(rec.path)
"""

from __future__ import annotations

import ctypes
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import wave
from pathlib import Path
from typing import Literal

import pytest

PACKAGES = "pulseaudio pulseaudio-utils libasound2-plugins"
HEADSET_PCM = "fdheadset"
RING_PCM = "fdring"
SINKS = {"headset": "fd_headset", "mic": "fd_mic", "ring": "fd_ring"}
RECORDABLE = ("headset", "ring", "mic")  # all pipe sinks
Which = Literal["headset", "ring", "mic"]
ALSA_PULSE_PLUGIN = "libasound_module_pcm_pulse.so"
# A sun_path holds 108 bytes; pytest's tmp_path can be longer than that.
MAX_SOCKET_PATH = 100


def _missing() -> list[str]:
    missing = [b for b in ("pulseaudio", "pactl", "paplay") if not shutil.which(b)]
    dirs = ("/usr/lib/*/alsa-lib", "/usr/lib/alsa-lib", "/usr/lib64/alsa-lib")
    if not any(p for d in dirs for p in Path("/").glob(f"{d[1:]}/{ALSA_PULSE_PLUGIN}")):
        missing.append(ALSA_PULSE_PLUGIN)
    return missing


CAP_SETPCAP, CAP_SYS_NICE = 8, 23


def _effective_caps() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return int(line.split()[1], 16)
    return 0


def no_realtime(argv: list[str]) -> list[str]:
    """``argv`` run without CAP_SYS_NICE, for any process that opens pjmedia's ALSA devices.

    pjmedia gives its ALSA threads SCHED_RR at top priority when it may (root with
    CAP_SYS_NICE, e.g. a VM; Docker withholds it); they then spin in the pulse plugin and
    starve the normal-priority daemon: underruns, half the audio lost. setpriv (util-linux)
    drops the capability so that pthread_setschedparam fails and pjmedia runs normally.
    """
    caps = _effective_caps()
    if not caps & (1 << CAP_SYS_NICE):
        return list(argv)
    if not caps & (1 << CAP_SETPCAP) or not shutil.which("setpriv"):
        raise RuntimeError("cannot drop CAP_SYS_NICE for pjmedia (needs setpriv, CAP_SETPCAP)")
    return ["setpriv", "--inh-caps=-sys_nice", "--bounding-set=-sys_nice", "--", *argv]


def _die_with_parent() -> None:
    """In the daemon's child before exec: SIGTERM it if pytest dies without `stop` (kill -9)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def available() -> bool:
    """For ``skipif``: are the daemon, its client tools and ALSA's pulse plugin installed?"""
    return not _missing()


class Recording:
    """What one sink plays from `VirtualSound.record` until `stop`, as a mono s16 WAV at
    the sink's rate. Silence counts: the WAV's length is the wall-clock time recorded."""

    def __init__(self, tap: _Tap, path: Path) -> None:
        self.path = path
        self.rate = tap.rate
        self._tap: _Tap | None = tap
        self._chunks: list[bytes] = []
        tap.attach(self._chunks)

    def stop(self) -> Path:
        """Stop recording and write the WAV; returns its path. Idempotent."""
        if self._tap is not None:
            tap, self._tap = self._tap, None
            tap.detach(self._chunks)
            with wave.open(str(self.path), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(self.rate)
                w.writeframes(b"".join(self._chunks))
        return self.path

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Tap:
    """Drains one pipe sink's FIFO for as long as the daemon runs (the sink drops audio
    once the FIFO is full) and hands the bytes to the recordings attached right now."""

    def __init__(self, fifo: Path, rate: int) -> None:
        self.rate = rate
        self._fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # the daemon holds the writer
        self._lock = threading.Lock()
        self._sinks: list[list[bytes]] = []
        self._stopping = False
        self._odd = b""  # keep s16 frames whole across reads
        self._thread = threading.Thread(target=self._run, name=f"tap-{fifo.name}", daemon=True)
        self._thread.start()

    def attach(self, chunks: list[bytes]) -> None:
        self._drain()  # what was rendered before record() belongs to no one
        with self._lock:
            self._sinks.append(chunks)

    def detach(self, chunks: list[bytes]) -> None:
        self._drain()
        with self._lock:
            self._sinks.remove(chunks)

    def _drain(self) -> bool:
        """Read what is buffered; False once the daemon has closed the FIFO."""
        with self._lock:
            while True:
                try:
                    data = os.read(self._fd, 65536)
                except BlockingIOError:
                    return True
                if not data:
                    return False
                data, self._odd = self._odd + data, b""
                if len(data) % 2:
                    data, self._odd = data[:-1], data[-1:]
                for chunks in self._sinks:
                    chunks.append(data)

    def _run(self) -> None:
        while not self._stopping:
            ready, _, _ = select.select([self._fd], [], [], 0.1)
            if ready and not self._drain():
                return

    def close(self) -> None:
        self._stopping = True
        self._thread.join()
        os.close(self._fd)


class VirtualSound:
    """Private PulseAudio with virtual headset, mic and ring devices; see the module doc.

    ``env`` is what a process using ALSA (pjsua2) needs; give it to the process *before*
    it initialises ALSA. ``rate`` is the sample rate of the sinks and of `record`.
    """

    def __init__(self, tmp_path: Path, rate: int = 16000) -> None:
        self.root = Path(tmp_path) / "vsound"
        self.rate = rate
        self.home = self.root / "home"
        self.asoundrc = self.home / ".asoundrc"
        self.daemon: subprocess.Popen | None = None
        self._recordings: list[Recording] = []
        self._players: list[subprocess.Popen] = []
        self._taps: dict[str, _Tap] = {}
        self._log_file = None
        self._short_dir: Path | None = None
        sock_dir = self.root / "s"
        if len(str(sock_dir / "native")) > MAX_SOCKET_PATH:
            self._short_dir = Path(tempfile.mkdtemp(prefix="fdpa-"))
            sock_dir = self._short_dir
        self.socket = sock_dir / "native"
        run = self.root / "run"
        # Everything the daemon or a client reads or writes stays under root: no user
        # config, no other daemon's runtime dir, no autospawn, no desktop D-Bus.
        self.env: dict[str, str] = {
            "HOME": str(self.home),
            "XDG_RUNTIME_DIR": str(run),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_STATE_HOME": str(self.home / ".local/state"),
            "PULSE_RUNTIME_PATH": str(run / "pulse"),
            "PULSE_STATE_PATH": str(self.root / "state"),
            "PULSE_CLIENTCONFIG": str(self.root / "client.conf"),
            "PULSE_SERVER": f"unix:{self.socket}",
            "PULSE_COOKIE": str(self.root / "cookie"),
            # an address no bus has: never reach a desktop session's bus
            "DBUS_SESSION_BUS_ADDRESS": "disabled:",
            # ALSA's device scan opens the jack PCM too; never let libjack start a jackd
            "JACK_NO_START_SERVER": "1",
        }

    # -- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> VirtualSound:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start the daemon (use the context manager, which also stops it on errors)."""
        missing = _missing()
        if missing:
            pytest.fail(
                f"virtual sound needs {', '.join(missing)}: apt-get install {PACKAGES}",
                pytrace=False,
            )
        run = Path(self.env["XDG_RUNTIME_DIR"])
        for d in (self.home, self.socket.parent, self.root / "state", run / "pulse"):
            d.mkdir(parents=True, exist_ok=True)
        for d in (self.socket.parent, run, run / "pulse"):
            d.chmod(0o700)
        self._write_configs()
        self._log_file = open(self.root / "pulseaudio.log", "wb")  # closed in stop()
        # -n: no default.pa, so no udev/alsa/bluetooth/x11/dbus modules, only ours. No shm
        # or CPU limit: CI containers lack /dev/shm room and rlimits. No realtime: next to
        # pjmedia's own real-time threads it made underruns far worse (calls took 30+ s).
        self.daemon = subprocess.Popen(
            ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--system=no",
             "--use-pid-file=no", "--disable-shm=yes", "--realtime=no", "--high-priority=no",
             "--no-cpu-limit", "--log-target=stderr", "--log-level=notice",
             "-F", str(self.root / "daemon.pa")],
            env=self._client_env(), stdin=subprocess.DEVNULL,
            stdout=self._log_file, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
        )  # fmt: skip
        self._wait_ready()
        for which in RECORDABLE:
            self._taps[which] = _Tap(self.root / f"{which}.fifo", self.rate)

    def _write_configs(self) -> None:
        spec = f"rate={self.rate} channels=1 format=s16le"
        mic = SINKS["mic"]
        lines = [
            f"load-module module-native-protocol-unix auth-anonymous=1 socket={self.socket}",
            # Pipe sinks, unlike null sinks, render continuously (silence too) to their
            # FIFO and monitor, so the mic's monitor never stalls pjmedia's capture.
            *(f"load-module module-pipe-sink sink_name={SINKS[w]} {spec} "
              f"file={self.root / f'{w}.fifo'} use_system_clock_for_timing=yes"
              for w in RECORDABLE),
            f"set-default-sink {SINKS['headset']}",
            f"set-default-source {mic}.monitor",
        ]  # fmt: skip
        (self.root / "daemon.pa").write_text("\n".join(lines) + "\n")
        (self.root / "client.conf").write_text(
            f"default-server = unix:{self.socket}\nautospawn = no\nenable-shm = no\n"
        )
        server = f'server "unix:{self.socket}"'
        # asym: one pulse stream per direction; fdring has no capture side, so pjmedia
        # lists it as output-only. The hints make snd_device_name_hint list both.
        self.asoundrc.write_text(f"""\
pcm.{HEADSET_PCM} {{
    type asym
    playback.pcm {{ type pulse {server} device "{SINKS["headset"]}" }}
    capture.pcm {{ type pulse {server} device "{mic}.monitor" }}
    hint {{ show on description "Frontdesk Test Headset" }}
}}
pcm.{RING_PCM} {{
    type asym
    playback.pcm {{ type pulse {server} device "{SINKS["ring"]}" }}
    hint {{ show on description "Frontdesk Test Ring Device" ioid Output }}
}}
""")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 10
        while True:
            if self.daemon is None or self.daemon.poll() is not None:
                raise RuntimeError(f"pulseaudio exited early:\n{self.log()}")
            if self.socket.exists():
                out = subprocess.run(
                    ["pactl", "list", "short", "sinks"], env=self._client_env(),
                    capture_output=True, text=True, timeout=5,
                )  # fmt: skip
                if out.returncode == 0 and all(s in out.stdout for s in SINKS.values()):
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"pulseaudio did not come up:\n{self.log()}")
            time.sleep(0.05)

    def _client_env(self) -> dict[str, str]:
        # drop the caller's PULSE_* so nothing points at another daemon
        base = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
        return {**base, **self.env}

    def log(self) -> str:
        """The daemon's output so far (for assertion messages)."""
        p = self.root / "pulseaudio.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def stop(self) -> None:
        """Finish recordings (their WAVs stay valid), kill players and the daemon.
        Idempotent; the context manager calls it, also when the test fails."""
        for rec in self._recordings:
            rec.stop()
        for p in self._players:
            if p.poll() is None:
                p.kill()
            p.wait()
        self._players.clear()
        if self.daemon is not None:
            daemon, self.daemon = self.daemon, None
            if daemon.poll() is None:
                daemon.terminate()
                try:
                    daemon.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    daemon.kill()
                    daemon.wait()
        for tap in self._taps.values():
            tap.close()
        self._taps.clear()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self._short_dir is not None:
            shutil.rmtree(self._short_dir, ignore_errors=True)
            self._short_dir = None

    # -- audio ---------------------------------------------------------------------------

    def play_into_mic(self, wav_path: Path | str) -> subprocess.Popen:
        """Start playing a sound file into the virtual mic and return at once (non-blocking);
        ``.wait()`` on the returned Popen to know it has been played (real-time pace).
        `stop` kills players still running."""
        if self.daemon is None:
            raise RuntimeError("VirtualSound is not started")
        proc = subprocess.Popen(
            ["paplay", f"--device={SINKS['mic']}", "--latency-msec=20", str(wav_path)],
            env=self._client_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._players.append(proc)
        return proc

    def record(self, which: Which, path: Path | str | None = None) -> Recording:
        """Record what is played on the "headset" or "ring" device (or into the "mic") from
        now until the Recording's `stop` or the end of its ``with``, as a mono s16 WAV at
        ``rate`` Hz whose length is the wall-clock time recorded (~20 ms of latency)."""
        if which not in self._taps:
            raise RuntimeError(f"cannot record {which!r}: not started or not one of {RECORDABLE}")
        out = Path(path) if path else self.root / f"{which}-{len(self._recordings)}.wav"
        rec = Recording(self._taps[which], out)
        self._recordings.append(rec)
        return rec
