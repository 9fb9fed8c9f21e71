"""A recording → a Transcript: per channel VAD, the segments joined into each speaker's turns,
per turn the engine, merged in time (``transcribe_file``, the fast draft); each channel that
takes turns with another decoded whole, its words shared out among the turns
(``transcribe_turns(whole=True)``, the refine pass: every word decoded with the words around
it, the turns kept); or each channel whole as one utterance (``transcribe_whole``, measured
by bench/asr.py, not used by the worker)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from domain.transcript import Speaker, Transcript, Utterance
from voice.asr.audio import ASR_RATE, load_audio, to_asr_rate
from voice.asr.engines import Engine
from voice.asr.live import LiveResult
from voice.asr.turns import decode_turn, speech_turns, takes_turns
from voice.asr.vad import VadOptions, speech_segments

log = logging.getLogger("frontdesk.asr")

STEREO_SPEAKERS: tuple[Speaker, Speaker] = ("caller", "agent")  # our recordings' contract


def transcribe_file(
    path: str | Path,
    engine: Engine,
    aggressiveness: int = 2,
    frame_ms: int = 30,
    language: str | None = None,
    live: LiveResult | None = None,
) -> Transcript:
    """Stereo: channel 0 is the caller, 1 the agent; mono: one "unknown" speaker.

    Raises AudioError for a missing, empty, corrupt or absurdly long file. Silence
    yields a transcript with no utterances (not an error). ``live`` holds what was
    transcribed while the call was live: a turn with the same start is not done again, and
    a channel's audio before ``live.done_until`` (Vosk streaming) is not looked at.

    Each speaker's turn (``voice.asr.turns``: VAD segments less than ``turn_gap_s`` apart
    with nobody else speaking between them) is decoded as one window: an utterance per turn,
    in the order they were said.
    """
    reuse = live.segments if live else []
    done_until = live.done_until if live else {}
    data, rate = load_audio(path)
    opts = VadOptions(aggressiveness=aggressiveness, frame_ms=frame_ms)
    if data.shape[1] == 2:
        speakers: list[Speaker] = list(STEREO_SPEAKERS)
    else:
        speakers = ["unknown"] * data.shape[1]
    utterances: list[Utterance] = []
    reused = 0
    channels: list[tuple[Speaker, np.ndarray, list[tuple[float, float]]]] = []
    for ch, speaker in enumerate(speakers):
        audio = to_asr_rate(data[:, ch], rate)
        skip = done_until.get(speaker, 0.0)
        if skip:  # streamed while live: those utterances as they were, then the tail
            streamed = [r for r in reuse if r.speaker == speaker and r.end <= skip + 0.05]
            reused += len(streamed)
            utterances.extend(r.utterance for r in streamed if r.utterance is not None)
        tail = audio[int(skip * ASR_RATE) :]
        channels.append((speaker, audio, [(s + skip, e + skip) for s, e in speech_segments(tail, opts)]))
    for turn in speech_turns([c[2] for c in channels], opts.turn_gap_s):
        speaker, audio, _ = channels[turn.channel]
        start = turn.start
        # a turn done live (same start): reuse it, and transcribe only what the finished
        # recording added after it (packet-loss concealment can extend the end)
        seen = [r for r in reuse if r.speaker == speaker and turn.start - 0.05 <= r.start < turn.end
                and r.end <= turn.end + 0.05]  # fmt: skip
        if any(abs(r.start - turn.start) < 0.05 for r in seen):
            reused += len(seen)
            utterances.extend(r.utterance for r in seen if r.utterance is not None)
            start = max(r.end for r in seen)
            if turn.end - start < 0.5:
                continue
        u, extra = decode_turn(engine, audio, speaker, start, turn.end,
                               [g for g in turn.segments if g[1] > start], flush=True)  # fmt: skip
        utterances.extend(([u] if u is not None else []) + extra)
    utterances.sort(key=lambda u: (u.start, u.speaker))
    if reuse:
        log.info("%s: %d segments transcribed while the call was live, reused", path, reused)
    return Transcript(
        utterances=utterances,
        engine=engine.name,
        model=engine.model,
        language=language or getattr(engine, "language", None),
        duration_s=round(len(data) / rate, 3),
    )


def transcribe_turns(
    path: str | Path,
    engine: Engine,
    aggressiveness: int = 2,
    frame_ms: int = 30,
    language: str | None = None,
    max_gap_s: float = 3.0,
    flush: bool = True,
    draft: Transcript | None = None,
    whole: bool = False,
) -> Transcript:
    """Each speaker's turn (``voice.asr.turns``) decoded as one window: an utterance per turn,
    in the order they were said. With ``flush``, a VAD segment of a turn that none of the
    decoded words falls in (Whisper stopping before a number said last, after a pause) is
    decoded alone and kept as an utterance of its own. ``draft``: this recording's
    ``transcribe_file`` transcript with the same engine, which decoded the same turns: a turn
    not decoded again here keeps its utterances. ``whole`` (Whisper): each channel that takes
    turns with another (``takes_turns``) decoded at once and its words shared out among its
    turns by time (a turn given no word keeps the draft's, or is decoded alone); a channel
    whose speech is one turn, or turns split only by its own pauses, is decoded turn by turn
    as the draft pass does: the whole channel's context is what a two-party call's short
    turns lack (dev split calls: CER 0.182 → 0.130); on the dev split's single speakers,
    decoding whole was the worse (CER 0.156 → 0.159, addresses 15 → 13 of 22, phones 6 → 5 of
    12) at twice the CPU. Raises AudioError."""
    data, rate = load_audio(path)
    speakers = list(STEREO_SPEAKERS) if data.shape[1] == 2 else ["unknown"] * data.shape[1]
    opts = VadOptions(aggressiveness=aggressiveness, frame_ms=frame_ms)
    audio = [to_asr_rate(data[:, ch], rate) for ch in range(data.shape[1])]
    utts: list[Utterance] = []
    turns = speech_turns([speech_segments(a, opts) for a in audio], max_gap_s)
    split: dict[int, Utterance | None] = {}  # id(turn) → its share of the whole channel
    if whole and hasattr(engine, "transcribe_split"):
        for ch in range(len(audio)):
            mine = [t for t in turns if t.channel == ch]
            if takes_turns(mine, turns):
                got = engine.transcribe_split(audio[ch], 0.0, speakers[ch], [(t.start, t.end) for t in mine])
                split.update({id(t): u for t, u in zip(mine, got, strict=True)})
    for turn in turns:
        who, a = speakers[turn.channel], audio[turn.channel]
        if split.get(id(turn)) is not None:
            utts.append(split[id(turn)])  # type: ignore[arg-type]
            continue
        if draft is not None:  # the draft pass decoded this turn as one window already
            utts.extend(u for u in draft.utterances
                        if u.speaker == who and turn.start - 0.05 <= u.start < turn.end)  # fmt: skip
            continue
        u, extra = decode_turn(engine, a, who, turn.start, turn.end, turn.segments, flush)
        utts.extend(([u] if u is not None else []) + extra)
    utts.sort(key=lambda u: (u.start, u.speaker))
    return Transcript(
        utterances=utts,
        engine=engine.name,
        model=engine.model,
        language=language or getattr(engine, "language", None),
        duration_s=round(len(data) / rate, 3),
    )


def transcribe_whole(
    path: str | Path,
    engine: Engine,
    aggressiveness: int = 2,
    frame_ms: int = 30,
    language: str | None = None,
    trim: bool = False,
) -> Transcript:
    """Each channel given to the engine whole, with no VAD cuts: one utterance per channel
    (a two-party call loses the order of its turns; ``transcribe_turns(whole=True)`` keeps it).

    Dev split of the yardstick: CER 0.179 → 0.158, numbers said after a pause 0.212 → 0.154,
    at 0.26 CPU s per audio s (VAD cuts: 0.23). Raises AudioError.
    """
    data, rate = load_audio(path)
    speakers = list(STEREO_SPEAKERS) if data.shape[1] == 2 else ["unknown"] * data.shape[1]
    utts = []
    for ch, who in enumerate(speakers):
        audio = to_asr_rate(data[:, ch], rate)
        # a channel with no speech at all is not decoded: Whisper invents text on silence
        # (我认为你认为… on a silent agent channel)
        segs = speech_segments(audio, VadOptions(aggressiveness=aggressiveness, frame_ms=frame_ms))
        if segs:
            # ``trim``: from the first segment's start to the last one's end (trailing
            # silence is where Whisper invents text)
            s, e = (segs[0][0], segs[-1][1]) if trim else (0.0, len(audio) / ASR_RATE)
            utts.append(engine.transcribe(audio[int(s * ASR_RATE) : int(e * ASR_RATE)], s, who))
    utts = sorted((u for u in utts if u is not None), key=lambda u: (u.start, u.speaker))
    return Transcript(
        utterances=utts,
        engine=engine.name,
        model=engine.model,
        language=language or getattr(engine, "language", None),
        duration_s=round(len(data) / rate, 3),
    )
