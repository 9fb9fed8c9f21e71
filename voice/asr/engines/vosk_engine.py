"""Vosk (Kaldi): streaming recognition with word times; phrase lists on small models."""

from __future__ import annotations

import json

import numpy as np

from domain.transcript import Speaker, Utterance, Word
from voice.asr.audio import ASR_RATE, to_pcm16
from voice.asr.models import ModelInfo
from voice.asr.normalise import display_text


class VoskEngine:
    name = "vosk"

    def __init__(self, info: ModelInfo, phrases: list[str] | None = None) -> None:
        import vosk

        vosk.SetLogLevel(-1)
        self.model = info.name
        self._m = vosk.Model(str(info.path))
        # Small models accept a runtime phrase list; "[unk]" keeps other words possible.
        self._grammar = json.dumps([*phrases, "[unk]"], ensure_ascii=False) if phrases else None

    def recognizer(self, rate: int = ASR_RATE):
        """A fresh KaldiRecognizer for audio at ``rate`` (Kaldi resamples to the model's rate)."""
        import vosk

        rec = vosk.KaldiRecognizer(self._m, rate, self._grammar) if self._grammar else (
            vosk.KaldiRecognizer(self._m, rate))  # fmt: skip
        rec.SetWords(True)
        return rec

    def transcribe(self, audio: np.ndarray, offset_s: float, speaker: Speaker) -> Utterance | None:
        rec = self.recognizer()
        pcm = to_pcm16(audio)
        step = ASR_RATE // 5 * 2  # 200 ms of int16 per call: how a live stream would feed it
        results = []
        for i in range(0, len(pcm), step):
            if rec.AcceptWaveform(pcm[i : i + step]):
                results.append(json.loads(rec.Result()))
        results.append(json.loads(rec.FinalResult()))
        return self.utterance(results, offset_s, speaker, offset_s + len(audio) / ASR_RATE)

    def utterance(self, results: list[dict], offset_s: float, speaker: Speaker,
                  end_s: float) -> Utterance | None:  # fmt: skip
        """Vosk results (word times relative to ``offset_s``) → one utterance, or None."""
        words = [
            Word(display_text(w["word"]), round(offset_s + w["start"], 3),
                 round(offset_s + w["end"], 3), round(float(w.get("conf", 1.0)), 3))
            for r in results for w in r.get("result", []) if w.get("word") != "[unk]"
        ]  # fmt: skip
        text = display_text(" ".join(r.get("text", "") for r in results if r.get("text")))
        if not text.strip():
            return None
        conf = float(np.mean([w.conf for w in words])) if words else 0.0
        start = words[0].start if words else offset_s
        end = words[-1].end if words else end_s
        return Utterance(speaker, start, end, text, words, round(conf, 3))
