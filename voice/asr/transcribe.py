"""A recording → a Transcript: per channel VAD, per segment the engine, merged in time."""

from __future__ import annotations

from pathlib import Path

from voice.asr.audio import ASR_RATE, load_audio, to_asr_rate
from voice.asr.engines import Engine
from voice.asr.transcript import Speaker, Transcript, Utterance
from voice.asr.vad import VadOptions, speech_segments

STEREO_SPEAKERS: tuple[Speaker, Speaker] = ("caller", "agent")  # our recordings' contract


def transcribe_file(
    path: str | Path,
    engine: Engine,
    aggressiveness: int = 2,
    frame_ms: int = 30,
    language: str | None = None,
) -> Transcript:
    """Stereo: channel 0 is the caller, 1 the agent; mono: one "unknown" speaker.

    Raises AudioError for a missing, empty, corrupt or absurdly long file. Silence
    yields a transcript with no utterances (not an error).
    """
    data, rate = load_audio(path)
    opts = VadOptions(aggressiveness=aggressiveness, frame_ms=frame_ms)
    if data.shape[1] == 2:
        speakers: list[Speaker] = list(STEREO_SPEAKERS)
    else:
        speakers = ["unknown"] * data.shape[1]
    utterances: list[Utterance] = []
    for ch, speaker in enumerate(speakers):
        audio = to_asr_rate(data[:, ch], rate)
        for start, end in speech_segments(audio, opts):
            piece = audio[int(start * ASR_RATE) : int(end * ASR_RATE)]
            u = engine.transcribe(piece, start, speaker)
            if u is not None:
                utterances.append(u)
    utterances.sort(key=lambda u: (u.start, u.speaker))
    return Transcript(
        utterances=utterances,
        engine=engine.name,
        model=engine.model,
        language=language or getattr(engine, "language", None),
        duration_s=round(len(data) / rate, 3),
    )
