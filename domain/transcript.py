"""A call's transcript: utterances per speaker with word times (plain dataclasses)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Speaker = Literal["caller", "agent", "unknown"]


@dataclass
class Word:
    w: str
    start: float  # seconds from the start of the recording
    end: float
    conf: float


@dataclass
class Utterance:
    speaker: Speaker
    start: float
    end: float
    text: str  # normalised for display (no spaces between Chinese words, simplified)
    words: list[Word] = field(default_factory=list)
    confidence: float = 0.0


@dataclass
class Transcript:
    utterances: list[Utterance]
    engine: str  # "vosk" | "whisper"
    model: str  # model name as installed
    language: str | None = None
    duration_s: float = 0.0

    def text(self, speaker: Speaker | None = None) -> str:
        """All utterance texts (of one speaker, if given) joined in time order."""
        return "，".join(u.text for u in self.utterances if speaker is None or u.speaker == speaker)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Transcript:
        utts = [
            Utterance(
                speaker=u["speaker"],
                start=u["start"],
                end=u["end"],
                text=u["text"],
                words=[Word(**w) for w in u.get("words", [])],
                confidence=u.get("confidence", 0.0),
            )
            for u in d.get("utterances", [])
        ]
        return cls(
            utterances=utts,
            engine=d.get("engine", ""),
            model=d.get("model", ""),
            language=d.get("language"),
            duration_s=d.get("duration_s", 0.0),
        )
