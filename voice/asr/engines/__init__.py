"""Speech engines behind one small interface; the model folder says which one to load."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from domain.transcript import Speaker, Utterance
from voice.asr.models import ModelError, ModelInfo


class Engine(Protocol):
    name: str  # "whisper" | "vosk"
    model: str

    def transcribe(self, audio: np.ndarray, offset_s: float, speaker: Speaker) -> Utterance | None:
        """One speech segment (16 kHz mono float) → an utterance with absolute word times."""
        ...


def load_engine(
    info: ModelInfo,
    engine: str = "auto",
    language: str | None = "zh",
    initial_prompt: str | None = None,
    threads: int = 2,
    phrases: list[str] | None = None,
    hotwords: str | None = None,
    **whisper_options,
) -> Engine:
    """``whisper_options``: beam_size, pad_s, word_timestamps, without_timestamps (bench)."""
    kind = info.engine if engine in ("auto", "", None) else engine
    if kind != info.engine:
        raise ModelError(f"model {info.name} is a {info.engine} model, not {kind}")
    if kind == "whisper":
        from voice.asr.engines.whisper_engine import WhisperEngine

        return WhisperEngine(
            info,
            language=language,
            initial_prompt=initial_prompt,
            threads=threads,
            hotwords=hotwords,
            **whisper_options,
        )
    if kind == "vosk":
        from voice.asr.engines.vosk_engine import VoskEngine

        return VoskEngine(info, phrases=phrases)
    raise ModelError(f"unknown engine {kind!r}")
