"""The intake's fast paths give the very numbers of the plain ones they replace: the model's
vector read from n-grams as integers equals the one built from token strings (same columns in
the same order, same float32 values, same scores), on every dev row; the urgent words found by
sound equal a plain syllable-by-syllable search; the regular expressions with a first-character
lookahead find what the plain ones find; normalise equals plain NFKC and replacements; phone
digits start where a plain scan finds them; a model file is looked at once a second at most."""

from __future__ import annotations

import json
import re
import unicodedata

import numpy as np
import pytest

from voice.intake import features, numbers
from voice.intake.extract import URGENT_BY_SOUND, URGENT_WORDS, _said_urgent
from voice.intake.features import CUES, normalise, tokens
from voice.intake.model import load_model
from voice.intake.numbers import pinyin
from voice.intake.prefilter import first_chars, prefiltered
from voice.intake.training import TRAINING_DATA, examples_from_rows


def test_vectorize_call_equals_vectorize_of_tokens():
    model = load_model()
    rows = [json.loads(x) for x in (TRAINING_DATA / "dev.jsonl").read_text("utf-8").splitlines()]
    calls = [(e.caller, e.agent) for e in examples_from_rows(rows, "dev")]
    calls += [("", ""), ("水", ""), ("水管", "对"), ("Hello, my tap is leaking", ""),
              ("\U0001f600水管\ud800坏了\x00", "")]  # fmt: skip
    for caller, agent in calls:
        slow, fast = model.vectorize(tokens(caller, agent)), model.vectorize_call(caller, agent)
        assert np.array_equal(slow.cols, fast.cols), caller
        assert np.array_equal(slow.vals, fast.vals), caller
        assert np.array_equal(slow.scores, fast.scores), caller
        for name in model.heads:
            assert model.predict(name, slow, 3) == model.predict(name, fast, 3)


def _plain_sound_spans(text: str) -> list[tuple[int, int]]:
    sounds = [pinyin(c) if "\u4e00" <= c <= "\u9fff" else c for c in text]
    spans = []
    for phrase in URGENT_BY_SOUND:
        want, n = [pinyin(c) for c in phrase], len(phrase)
        spans += [(i, i + n) for i in range(len(sounds) - n + 1) if sounds[i : i + n] == want]
    return spans


def test_urgent_words_by_sound_match_a_plain_search():
    texts = ["我家水管报了快来", "睡觉的时候水管报了，水管暴了", "没事，水管报了已经修好了",
             "有股没器味", "天然器味很重", "关在电题里了", "a水管报了", "水管", ""]  # fmt: skip
    for t in texts:
        spans = _plain_sound_spans(t)
        got = _said_urgent(t)
        if not spans:
            assert got is None, t
        else:
            assert got is None or any(t[s:e] == got for s, e in spans), t
    assert _said_urgent("我家水管报了快来") == "水管报"


def test_prefiltered_patterns_find_what_the_plain_ones_find():
    rows = [json.loads(x) for x in (TRAINING_DATA / "dev.jsonl").read_text("utf-8").splitlines()]
    texts = [e.caller.lower() for e in examples_from_rows(rows, "dev")]
    texts += ["", "又又又", "AGAIN and again, KEEPS it", "\u212aeep", "ıt's ſtill smoke", "打不着火了，着火了"]
    for pattern in [*CUES.values(), URGENT_WORDS]:
        plain, fast = re.compile(pattern, re.I), prefiltered(pattern, re.I)
        assert fast.pattern != plain.pattern, "every cue has a known first character"
        for t in texts:
            assert [m.span() for m in plain.finditer(t)] == [m.span() for m in fast.finditer(t)], t
    assert first_chars(r"(?<!不)着火|起火|\b(burst|on fire)") == {"着", "起", "b", "o"}
    assert first_chars(r"a?b") is None and first_chars(r"\s+x") is None
    assert prefiltered(r"x*").pattern == r"x*"  # may match empty: compiled as it is


def test_a_model_file_is_looked_at_at_most_once_a_second(tmp_path, monkeypatch):
    from voice.intake import model as m

    path = tmp_path / "intake.npz"
    shipped = load_model()
    shipped.save(path)
    # the window counts from the look, before the load: a load that takes more than a second
    # on a busy machine would end it (1.7-1.9 s at a load of 11), so the window is made long
    monkeypatch.setattr(m, "CHECK_EVERY", 3600.0)
    first = m.load_model(path)
    path.unlink()
    assert m.load_model(path) is first  # within the window: the file is not looked at again
    monkeypatch.setattr(m, "CHECK_EVERY", 0.0)
    with pytest.raises(m.ModelError, match="missing"):
        m.load_model(path)
    m.IntakeModel(shipped.vocabulary, shipped.idf, shipped.heads, {"site": "new"}).save(path)
    assert m.load_model(path).meta == {"site": "new"}  # a new version of the file is read


def _plain_normalise(text: str) -> str:
    t = unicodedata.normalize("NFKC", text)
    t = features._SPACE_BETWEEN.sub("", t)
    for f in features.FILLERS:
        t = t.replace(f, "")
    return t.replace("，，", "，").strip()


def test_normalise_equals_plain_nfkc_and_replacements():
    rows = [json.loads(x) for x in (TRAINING_DATA / "dev.jsonl").read_text("utf-8").splitlines()]
    texts = [u["text"] for r in rows for u in r["utterances"]]
    texts += ["", "　你好　，我家 水管 坏了！", "Ａ\u0301 e\u0301 ﬁx ① ㍿ \uf900\ufa0e ｶﾞ ᄀ\u1161\u11a8",
              "嗯，那个，就是说，楼道灯 不亮", "\u0344\u0301\u0308 ſ K Å", "ﾟ\u3099か\u3099"]  # fmt: skip
    for t in texts:
        assert normalise(t) == _plain_normalise(t), t


def test_phone_digits_start_where_a_plain_scan_finds_them():
    rows = [json.loads(x) for x in (TRAINING_DATA / "dev.jsonl").read_text("utf-8").splitlines()]
    texts = [u["text"] for r in rows for u in r["utterances"]]
    texts += ["", "要3912345678", "幺三九，腰二三四，药五六七八", "one three nine double five",
              "１３９１２３４５６７８", "洞幺两〇", "ｙａｏ摇遥"]  # fmt: skip
    for t in texts:
        plain = [k for k, ch in enumerate(t) if numbers.digit_of(ch) is not None
                 or ("\u4e00" <= ch <= "\u9fff" and pinyin(ch) == "yao") or numbers._is_letter(ch)]  # fmt: skip
        assert numbers._starts(t) == plain, t
