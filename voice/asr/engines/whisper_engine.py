"""faster-whisper (CTranslate2) on segments VAD has already cut: Mandarin and more."""

from __future__ import annotations

import contextvars
import re

import numpy as np

from domain.transcript import Speaker, Utterance, Word
from voice.asr.models import ModelInfo
from voice.asr.normalise import display_text

# Whisper base writes these on noise and trailing silence (subtitle credits from its training data).
_HALLUCINATIONS = re.compile(r"作词|作曲|编曲|字幕|这次的节目|请不吝|点赞|订阅|谢谢观看|明镜")
# The same 1-4 characters four or more times; digits are left alone (phone numbers repeat).
_LOOP = re.compile(r"([^\d零〇一二三四五六七八九幺两]{1,4}?)\1{3,}")


# Whisper's encoder always sees a 30 s window: a 4 s utterance is padded with 26 s of
# silence, and encoding that padding was most of the time spent per utterance. The
# CTranslate2 encoder accepts shorter inputs, so the window is cut to the utterance plus
# ``pad_s`` of silence (with no trailing silence at all Whisper loops or cuts the last word;
# 3 s gave the fixtures' best CER). faster-whisper pads inside ``generate_segments`` with its
# module-level ``pad_or_trim``; it is wrapped once, and only calls that set the context
# variable below (ours) get the shorter window.
_window_frames: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "whisper_window_frames", default=None
)


def _install_short_window() -> bool:
    import faster_whisper.transcribe as fwt

    original = getattr(fwt, "pad_or_trim", None)
    if original is None:
        return False  # another faster-whisper layout: keep the 30 s window
    if getattr(original, "_frontdesk_short_window", False):
        return True

    def pad_or_trim(array, length: int = 3000, *, axis: int = -1):
        n = _window_frames.get()
        if n is not None and length == 3000:
            length = min(3000, array.shape[axis] + n)
        return original(array, length, axis=axis)

    pad_or_trim._frontdesk_short_window = True  # type: ignore[attr-defined]
    fwt.pad_or_trim = pad_or_trim
    return True


def clean(text: str) -> str:
    text = _LOOP.sub(r"\1", text)
    parts = re.split(r"(?<=[。！？，,.!?])", text)
    return "".join(p for p in parts if not _HALLUCINATIONS.search(p)).strip()


class WhisperEngine:
    name = "whisper"

    def __init__(
        self,
        info: ModelInfo,
        language: str | None = "zh",
        initial_prompt: str | None = None,
        threads: int = 2,
        beam_size: int = 1,
        pad_s: float | None = 3.0,
        word_timestamps: bool = True,
        without_timestamps: bool = False,
        hotwords: str | None = None,
    ) -> None:
        from faster_whisper import WhisperModel

        self.model = info.name
        self.language = language
        # The prompt biases toward the front desk's words and, for Mandarin, simplified script.
        self.initial_prompt = initial_prompt
        self.hotwords = hotwords
        self.beam_size = beam_size
        # None: the full 30 s window (slow, as faster-whisper does it)
        self.pad_frames = None if pad_s is None or not _install_short_window() else int(pad_s * 100)
        self.word_timestamps = word_timestamps  # the console's replay highlights words
        self.without_timestamps = without_timestamps
        self._m = WhisperModel(
            str(info.path), device="cpu", compute_type="int8", cpu_threads=threads
        )

    def transcribe(self, audio: np.ndarray, offset_s: float, speaker: Speaker) -> Utterance | None:
        token = _window_frames.set(self.pad_frames)
        try:
            return self._transcribe(audio, offset_s, speaker)
        finally:
            _window_frames.reset(token)

    def _transcribe(self, audio: np.ndarray, offset_s: float, speaker: Speaker) -> Utterance | None:
        segments, _ = self._m.transcribe(
            audio,
            language=self.language,
            initial_prompt=self.initial_prompt,
            hotwords=self.hotwords,
            beam_size=self.beam_size,
            word_timestamps=self.word_timestamps,
            without_timestamps=self.without_timestamps,
            # Speech is at most ~7 tokens/s; a loop on the trailing silence ran to 224 tokens
            # (1.1 s of decoding each). The cap keeps a loop short; ``clean`` removes it.
            # (at most 200: with the longest prompt Whisper keeps, 223 tokens, the two must
            # stay within its 448)
            max_new_tokens=min(200, int(16 + 10 * len(audio) / 16000)),
            vad_filter=False,
            condition_on_previous_text=False,
            # No temperature fallback: re-decoding doubled the time (RTF 0.37 → 0.21 with word
            # times); the loops it would catch are cut by ``clean``.
            temperature=0.0,
        )
        words: list[Word] = []
        texts = []
        # the segments generator decodes lazily: consume it while the short window is set
        for seg in list(segments):
            probs = [w.probability for w in seg.words or []]
            if (
                (seg.no_speech_prob > 0.8 and seg.avg_logprob < -1.0)
                or seg.compression_ratio > 2.4
                or (probs and sum(probs) / len(probs) < 0.3)
            ):
                continue  # Whisper inventing text on noise or on the silence after speech
            texts.append(seg.text)
            for w in seg.words or []:
                words.append(Word(display_text(w.word), round(float(offset_s + w.start), 3),
                                  round(float(offset_s + w.end), 3), round(float(w.probability), 3)))  # fmt: skip
        text = clean(display_text("".join(texts)))
        if not text:
            return None
        conf = float(np.mean([w.conf for w in words])) if words else 0.0
        start = words[0].start if words else offset_s
        end = words[-1].end if words else offset_s + len(audio) / 16000
        return Utterance(speaker, start, end, text, [w for w in words if w.w], round(conf, 3))
