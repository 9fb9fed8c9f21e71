"""Turns: a speaker's VAD segments joined while nobody else speaks. The draft pass
(``transcribe_file``) decodes each turn as one window; the refine pass
(``transcribe_turns(whole=True)``) decodes each channel whole and shares its words out among
the turns. The joining rule on plain numbers; the rest with the real Whisper base model on the
committed two-party call and the yardstick's dev recordings."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import DATA, SPEECH
from voice.asr.metrics import digit_runs, normalise_for_cer
from voice.asr.transcribe import transcribe_file, transcribe_turns
from voice.asr.turns import speech_turns, takes_turns


def _spans(turns):
    return [(t.channel, t.start, t.end) for t in turns]


def test_a_speakers_segments_are_joined_until_someone_else_speaks():
    caller = [(0.0, 2.0), (2.9, 4.0), (8.0, 9.0), (9.5, 10.0)]
    agent = [(4.5, 7.5)]
    # the agent speaks between 4.0 and 8.0: the caller's turn ends there
    assert _spans(speech_turns([caller, agent])) == [(0, 0.0, 4.0), (1, 4.5, 7.5), (0, 8.0, 10.0)]
    # a back-channel inside the caller's pause ends the turn too
    assert _spans(speech_turns([caller, [(2.2, 2.6)]])) == [
        (0, 0.0, 2.0), (1, 2.2, 2.6), (0, 2.9, 4.0), (0, 8.0, 10.0)
    ]  # fmt: skip
    # the ends of each turn are the segments'; the segments are kept in it
    [t] = [t for t in speech_turns([caller, agent]) if t.start == 8.0]
    assert t.segments == [(8.0, 9.0), (9.5, 10.0)]


def test_a_long_pause_or_a_long_turn_starts_a_new_one():
    assert _spans(speech_turns([[(0.0, 1.0), (4.5, 5.0)]], max_gap_s=3.0)) == [(0, 0.0, 1.0), (0, 4.5, 5.0)]
    assert _spans(speech_turns([[(0.0, 1.0), (3.5, 5.0)]], max_gap_s=3.0)) == [(0, 0.0, 5.0)]
    segs = [(i * 5.0, i * 5.0 + 4.0) for i in range(8)]  # 39 s of speech in 4 s pieces
    assert _spans(speech_turns([segs], max_s=27.0)) == [(0, 0.0, 24.0), (0, 25.0, 39.0)]
    assert speech_turns([[], []]) == []


def test_a_channel_takes_turns_when_someone_else_speaks_between_its_turns():
    caller = [(0.0, 2.0), (8.0, 9.0)]
    turns = speech_turns([caller, [(4.5, 7.5)]])
    mine = [t for t in turns if t.channel == 0]
    assert takes_turns(mine, turns) and takes_turns([t for t in turns if t.channel == 1], turns) is False
    # one speaker alone, its turns split by its own long pause: nobody to take turns with
    alone = speech_turns([caller, []])
    assert takes_turns([t for t in alone if t.channel == 0], alone) is False
    assert takes_turns([], turns) is False


PASSES = {
    "draft": lambda path, engine: transcribe_file(path, engine),
    "refined": lambda path, engine: transcribe_turns(path, engine, whole=True),
}


def _dev(item_id: str) -> dict:
    return next(i for i in json.loads((DATA / "asr_eval" / "dev.json").read_text()) if i["id"] == item_id)


@pytest.mark.slow
@pytest.mark.parametrize("kind", PASSES)
def test_a_two_party_call_keeps_its_turns_in_order(whisper, kind):
    ref = json.loads((SPEECH / "call_two_party.json").read_text(encoding="utf-8"))
    t = PASSES[kind](SPEECH / "call_two_party.wav", whisper)
    said = [u.speaker for u in t.utterances]
    # one utterance per turn, alternating as the two spoke
    assert said == [r["speaker"] for r in ref], [(u.speaker, u.start, u.text) for u in t.utterances]
    assert [u.start for u in t.utterances] == sorted(u.start for u in t.utterances)
    for u, r in zip(t.utterances, ref, strict=True):
        assert r["start"] - 0.5 <= u.start < u.end <= r["end"] + 0.5
    assert "水管" in t.text("caller") and "物业" in t.text("agent")


@pytest.mark.slow
@pytest.mark.parametrize("kind", PASSES)
def test_a_number_said_last_after_a_pause_is_kept(whisper, tmp_path, kind):
    """The caller gives the phone number 2 s after the rest, and hangs up on its last digit."""
    item = _dev("dev_tail_phone__band8k")
    audio, rate = sf.read(str(DATA / "asr_eval" / item["file"]))
    wav = tmp_path / "tail.wav"
    sf.write(wav, audio[: int((item["parts"][-1]["end"] + 0.15) * rate)], rate)
    t = PASSES[kind](wav, whisper)
    # the number is there to its last digit (how exactly Whisper hears it is the yardstick's
    # digit exactness, not this): eleven digits, heard up to where the recording ends
    assert len(digit_runs(t.text())[-1]) == 11, t.text()
    assert t.utterances[-1].end >= item["parts"][-1]["end"] - 1.0, t.utterances[-1]


@pytest.mark.slow
@pytest.mark.parametrize("kind", PASSES)
def test_no_text_is_invented_on_trailing_silence(whisper, tmp_path, kind):
    """Twenty seconds of line hiss after the caller's last word (a call the agent did not hang
    up at once): the transcript ends with what was said."""
    item = _dev("dev_tail_room__ulaw")
    audio, rate = sf.read(str(DATA / "asr_eval" / item["file"]))
    hiss = np.random.default_rng(0).normal(0, 0.002, 20 * rate)
    wav = tmp_path / "hiss.wav"
    sf.write(wav, np.concatenate([audio, hiss]), rate)
    t = PASSES[kind](wav, whisper)
    said = normalise_for_cer(t.text())
    assert said.endswith(normalise_for_cer("二零零三")), t.text()
    assert t.utterances[-1].end <= item["parts"][-1]["end"] + 1.0


@pytest.mark.slow
def test_words_heard_outside_every_turn_are_dropped(whisper):
    """The refine pass decodes the whole channel; a word Whisper puts more than a second away
    from every turn VAD found was heard on silence. Here the second turn (the phone number) is
    left out of the turns on purpose: its words must not be given to the first."""
    from voice.asr.audio import load_audio, to_asr_rate

    item = _dev("dev_tail_phone__band8k")
    data, rate = load_audio(DATA / "asr_eval" / item["file"])
    audio = to_asr_rate(data[:, 0], rate)
    first = item["parts"][0]
    [u] = whisper.transcribe_split(audio, 0.0, "unknown", [(first["start"] - 0.3, first["end"] + 0.3)])
    assert "单元" in u.text and all(len(r) < 7 for r in digit_runs(u.text)), u.text  # no phone number
    assert u.end <= first["end"] + 1.3
    [_, v] = whisper.transcribe_split(audio, 0.0, "unknown", [(first["start"], first["end"]),
                                                             (item["parts"][1]["start"], item["parts"][1]["end"])])  # fmt: skip
    assert len(digit_runs(v.text)[-1]) == 11, v.text  # given its turn, the number is there


class Counting:
    """The real engine, its decodes counted."""

    def __init__(self, engine) -> None:
        self.engine, self.decodes = engine, 0

    def __getattr__(self, name):
        return getattr(self.engine, name)

    def transcribe(self, *a, **kw):
        self.decodes += 1
        return self.engine.transcribe(*a, **kw)

    def transcribe_split(self, *a, **kw):
        self.decodes += 1
        return self.engine.transcribe_split(*a, **kw)


@pytest.mark.slow
def test_the_refine_pass_decodes_whole_only_the_channels_that_take_turns(whisper):
    """A caller alone (a request, then the phone number after a pause: two turns) keeps the
    draft's utterances, nothing decoded again; in the two-party call each channel is decoded
    whole once and nothing else (the draft's turns are not decoded again)."""
    path = DATA / "asr_eval" / _dev("dev_tail_phone__band8k")["file"]
    draft = transcribe_file(path, whisper)
    spy = Counting(whisper)
    refined = transcribe_turns(path, spy, draft=draft, whole=True)
    assert spy.decodes == 0 and refined.utterances == draft.utterances

    call = SPEECH / "call_two_party.wav"
    spy = Counting(whisper)
    refined = transcribe_turns(call, spy, draft=transcribe_file(call, whisper), whole=True)
    assert spy.decodes == 2, spy.decodes  # the two channels, each at once
    assert {u.speaker for u in refined.utterances} == {"caller", "agent"}


@pytest.mark.slow
def test_no_text_is_invented_on_a_calls_trailing_silence_when_refined(whisper, tmp_path):
    """The two-party call with twenty seconds of line hiss on both channels after the agent's
    goodbye: each channel decoded whole (the refine pass) ends with what was said."""
    ref = json.loads((SPEECH / "call_two_party.json").read_text(encoding="utf-8"))
    audio, rate = sf.read(str(SPEECH / "call_two_party.wav"))
    hiss = np.random.default_rng(0).normal(0, 0.002, (20 * rate, 2))
    wav = tmp_path / "hiss.wav"
    sf.write(wav, np.concatenate([audio, hiss]), rate)
    t = transcribe_turns(wav, whisper, whole=True)
    assert [u.speaker for u in t.utterances] == [r["speaker"] for r in ref], t.text()
    assert t.utterances[-1].end <= ref[-1]["end"] + 1.0
