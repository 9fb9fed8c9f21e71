"""The intake's fast paths give the very numbers of the plain ones they replace: the model's
vector read from n-grams as integers equals the one built from token strings (same columns in
the same order, same float32 values, same scores), on every dev row; the urgent words found by
sound equal a plain syllable-by-syllable search; the regular expressions with a first-character
lookahead find what the plain ones find; normalise equals plain NFKC and replacements; phone
digits start where a plain scan finds them; a model file is looked at once a second at most;
many transcripts drafted at once (extract_many) give the drafts of one by one."""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from domain.intake import PriorEntry
from domain.transcript import Transcript, Utterance
from voice.intake import address, features, numbers
from voice.intake.evaluation import transcript_of
from voice.intake.extract import URGENT_BY_SOUND, URGENT_WORDS, _said_urgent, extract, extract_many
from voice.intake.features import CUES, normalise, token_parts, token_parts_many, tokens
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
    texts += ["Double five, oh two, ONE tree, twentyone, ſix, \u212aone, seven8nine", "oh", "xone one"]
    for t in texts:
        plain = [k for k, ch in enumerate(t) if numbers.digit_of(ch) is not None
                 or ("\u4e00" <= ch <= "\u9fff" and pinyin(ch) == "yao") or numbers._is_letter(ch)]  # fmt: skip
        starts = numbers._starts(t)
        # every place a token begins is looked at; a Latin letter is skipped only where no
        # token begins (inside a word, or a word that is no digit)
        assert starts == sorted(set(starts)) and set(starts) <= set(plain), t
        assert [k for k in plain if numbers._token_at(t, k)] == [k for k in starts if numbers._token_at(t, k)], t


def _training_rows() -> list[dict]:
    return [json.loads(x) for p in sorted(TRAINING_DATA.glob("*.jsonl"))
            for x in p.read_text("utf-8").splitlines() if x.strip()]  # fmt: skip


ODD_CALLS = [("", ""), ("水", ""), ("水管", "对"), ("Hello, my tap is leaking", ""),
             ("\U0001f600水管\ud800坏了\x00", ""), ("要是\n就好，又坏了\n", "again\n"),
             ("again and AGAIN, still", "")]  # fmt: skip


def test_vectorize_calls_equals_vectorize_call_one_by_one():
    model = load_model()
    calls = [(e.caller, e.agent) for e in examples_from_rows(_training_rows(), "train")]
    calls += ODD_CALLS
    assert len(calls) > 2 * 64  # more than one group of calls summed together
    batch = model.vectorize_calls(calls, reasons=[("category", 6), ("department", 3)])
    assert len(batch) == len(calls) and model.vectorize_calls([]) == []
    # the category's and the department's reasons ranked ahead for every call (equals in the
    # order first heard, as _reasons ranks them one by one)
    assert all(len(v.ranked) == 2 for v in batch if len(v.cols))
    for (caller, agent), many in zip(calls, batch, strict=True):
        one = model.vectorize_call(caller, agent)
        assert np.array_equal(one.cols, many.cols), caller
        assert one.vals.tobytes() == many.vals.tobytes(), caller  # bit for bit
        assert one.contrib.tobytes() == many.contrib.tobytes(), caller
        assert one.scores.tobytes() == many.scores.tobytes(), caller
        assert one.outputs == many.outputs, caller
        for name in model.heads:
            for n in (1, 3, 6, 8):
                assert model.predict(name, one, n) == model.predict(name, many, n), caller
    assert token_parts_many(ODD_CALLS) == [token_parts(c, a) for c, a in ODD_CALLS]


def test_extract_many_gives_the_drafts_of_one_by_one():
    rows = _training_rows() + [json.loads(x) for x in (TRAINING_DATA.parents[2] / "tests/data/intake/dev.jsonl")
                               .read_text("utf-8").splitlines() if x.strip()]  # fmt: skip
    sources = [transcript_of(r) for r in rows] + [c for c, _ in ODD_CALLS]
    many = extract_many(sources)
    assert len(many) == len(sources)
    for source, draft in zip(sources, many, strict=True):
        assert dataclasses.asdict(draft) == dataclasses.asdict(extract(source)), source


def test_extract_many_takes_each_call_its_number_and_history():
    now = datetime(2026, 5, 1, 9, tzinfo=UTC)
    earlier = [PriorEntry(7, now - timedelta(days=3), "报修", "厨房水管漏水", "4", "2", "301")]
    sources = ["我是四栋二单元三零一的，厨房水管又漏水了", "我是四栋二单元三零一的，厨房水管又漏水了",
               "三号楼电梯坏了"]  # fmt: skip
    numbers_, histories = ["13800138000", None, "13900139000"], [earlier, (), earlier]
    many = extract_many(sources, caller_numbers=numbers_, histories=histories, now=now)
    one = [extract(s, caller_number=n, history=h, now=now)
           for s, n, h in zip(sources, numbers_, histories, strict=True)]  # fmt: skip
    assert [dataclasses.asdict(d) for d in many] == [dataclasses.asdict(d) for d in one]
    assert many[0].category == "投诉" and many[0].caller.phone == "13800138000"
    assert many[1].caller.phone is None
    with pytest.raises(ValueError, match="histories: 1 for 3"):
        extract_many(sources, histories=[()])


def _plain_number_spans(text: str, min_digits: int = 7) -> list[numbers.NumberSpan]:
    spans = []
    for raw in numbers._runs(text):
        for part in numbers._split_mobiles(raw):
            run = numbers._trim(part)
            digits = numbers._digits(run)
            if len(digits) >= min_digits:
                places = tuple((t.start, t.end) for t in run for _ in t.digits)
                spans.append(numbers.NumberSpan(run[0].start, run[-1].end, digits, places))
    return spans


def test_number_spans_skip_only_texts_too_short_of_digits():
    texts = [u["text"] for r in _training_rows() for u in r["utterances"]]
    texts += ["double five triple one double two", "Triple nine double eight one", "三零一，四栋",
              "一三九", "13912345678", "要3912345678", "one two three four five six", ""]  # fmt: skip
    for t in texts:
        for k in (3, 7, 11):
            assert numbers.number_spans(t, k) == _plain_number_spans(t, k), t
    assert numbers.number_spans("double five triple one double two")[0].digits == "5511122"


def _plain_public_area(text: str) -> tuple[str, int, int] | None:
    """find_public_area as it was: the readings by sound, then each word looked up in turn."""
    syl = numbers.syllables(text)
    for i in range(len(syl) - 2):
        if syl[i] in address.LOU_PY and syl[i + 1] == "dao" and syl[i + 2] in {"deng", "dou", "dong", "den"}:
            return "楼道灯", i, i + 3
    best, best_key = None, None
    for name, words in address.PUBLIC_AREAS.items():
        for w in words:
            i = text.find(w)
            while i >= 0 and text.startswith("卡", i + len(w)):  # 门禁卡: a card, not a place
                i = text.find(w, i + 1)
            # a fixture (路灯) before a place that locates it, then the longest, then the first
            key = (name in address._FIXTURES, len(w), -i)
            if i >= 0 and (best_key is None or key > best_key):
                best, best_key = (name, i, i + len(w)), key
    if best is not None:
        return best
    for i in range(len(syl) - 1):
        if syl[i] in address.LOU_PY and syl[i + 1] == "dao":
            return "楼道", i, i + 2
    for w in address.OTHER_PLACES:
        i = text.find(w)
        if i >= 0:
            return "其他", i, i + len(w)
    return None


def test_public_area_words_found_in_one_scan_as_word_by_word():
    texts = [normalise(u["text"]) for r in _training_rows() for u in r["utterances"]]
    texts += ["楼道灯楼道", "走廊灯不亮，楼道的灯也不亮", "东门西门小区大门", "车库车位停车场", "楼楼道道灯",
              "罗道里", "廊灯", "花园里的滑梯", "门禁卡丢了，单元门门禁坏了", "电梯卡电梯",
              "东门的路灯", "楼道灯在楼道", ""]  # fmt: skip
    for t in texts:
        assert address.find_public_area(t) == _plain_public_area(t), t
    assert address.parse_address("4-2-301").address.code() == "4-2-301"  # a code has dashes


LATIN_FREE_TEXTS = ["", "又又又", "打不着火了，着火了", "点不着火", "不着火", "着火", "，不，是五栋", "不，四栋",
                    "不对不不，不,应该是", "要是有人管就好", "第二次了还是", "一三九幺二", "我是老王，王先生",
                    "是李老师", "谢谢师傅", "老张", "的陈女士", "，，王先生", "楼道灯楼道的灯", "电梯里出不来"]  # fmt: skip


def _texts() -> list[str]:
    rows = _training_rows()
    texts = [normalise(u["text"]) for r in rows for u in r["utterances"]]
    return texts + [t.lower() for t in texts] + LATIN_FREE_TEXTS


def test_latin_free_patterns_find_what_the_whole_ones_find_where_no_latin_letter_is():
    from voice.intake.prefilter import LATIN, alternatives, latin_free

    texts = [t for t in _texts() if not LATIN.search(t)]
    assert len(texts) > 5000
    patterns = [(p, re.I) for p in [*CUES.values(), URGENT_WORDS]] + [(numbers._TOKEN_START.pattern, re.I | re.A)]
    for pattern, flags in patterns:
        assert "|".join(alternatives(pattern)) == pattern
        whole, free = re.compile(pattern, flags), latin_free(pattern, flags)
        assert len(free.pattern) < len(pattern)
        for t in texts:
            assert [m.span() for m in whole.finditer(t)] == [m.span() for m in free.finditer(t)], t
    # every character that re.I matches to an ASCII letter is one LATIN finds
    every = "".join(map(chr, [*range(0xD800), *range(0xE000, 0x110000)]))
    folds = {m.group() for m in re.finditer("[a-z]", every, re.I)}
    assert all(LATIN.fullmatch(c) for c in folds) and len(folds) == 56
    assert alternatives(r"a|(b|c)[|)]d|\|e") == ["a", r"(b|c)[|)]d", r"\|e"]


def test_rewritten_patterns_match_as_the_plain_ones():
    from voice.intake import names

    correction = re.compile(r"不对|说错了|哦不|呃不|不不|[，,]不[，,]|^不[，,]|应该是|记错了|我是说")
    self_said = re.compile(r"(?:^|[是我叫，,的])(老)?([\u4e00-\u9fff])(" + names._HON + r")?")
    fire = (re.compile("(?<![不唔没冇])着火"), re.compile(URGENT_WORDS.split("|")[0]))
    for t in _texts():
        assert [m.span() for m in fire[0].finditer(t)] == [m.span() for m in fire[1].finditer(t)], t
        assert [m.span() for m in correction.finditer(t)] == [m.span() for m in address.CORRECTION.finditer(t)], t
        plain = [(m.span(2), m.group(0).lstrip("是我叫，,的")) for m in self_said.finditer(t)]
        fast = [((m.start(2) - 1, m.end(2) - 1), m.group(0).lstrip("是我叫，,的"))
                for m in names._SELF_SAID.finditer("，" + t)]  # fmt: skip
        assert plain == fast, t
    spaces = "".join(c for c in map(chr, range(0x3100)) if c.isspace()) + "\u3000"
    for t in [spaces, f"a{spaces}b c\td", "楼道 灯\u00a0坏了\u2028"]:
        assert "".join(t.split()) == re.sub(r"\s+", "", t)


def test_surname_of_the_whole_call_read_from_the_agent_part_when_the_caller_said_none():
    from voice.intake.extract import _read
    from voice.intake.names import surname

    sources = [transcript_of(r) for r in _training_rows()]
    sources += [Transcript([Utterance("caller", 0, 1, c), Utterance("agent", 1, 2, a)], "test", "none") for c, a in [
        ("我姓", "王，对吗"), ("复", "姓王"), ("欧", "阳先生您好"), ("是老", "王先生"), ("我是", "陈女士"),
        ("hello this is", "John Smith"), ("Hi, building four", "This is Mary Jones, ok"), ("王", "王先生"),
        ("我的", "老张"), ("欧阳", "先生")]]  # fmt: skip
    seen = 0
    for source in sources:
        call = _read(source)
        if call.caller_text and call.agent_idx and surname(call.caller_text)[0] is None:
            whole = "，".join(call.texts[i] for i in call.caller_idx + call.agent_idx)
            assert surname(call.agent_text, english=whole) == surname(whole), whole
            seen += 1
    assert seen > 500


def test_reasons_of_equal_weight_come_in_one_fixed_order():
    """Features that always went together in training weigh the same: the longest character
    grams first (the words evidence shows), then single characters, cues and the agent's words,
    each kind in the order first heard; one by one and in a batch alike (argsort would order
    equals by its own algorithm, which numpy picks by CPU)."""
    from voice.intake.model import Head, IntakeModel

    names = ["c:钥", "c:匙", "c:在", "c:钥匙", "c:匙在", "c:钥匙在", "cue:help", "c:门"]
    vocab = {t: i for i, t in enumerate(names)}
    coef = np.array([[1.0] * 7 + [2.0], [-1.0] * 7 + [-2.0]], np.float32)
    model = IntakeModel(vocab, np.ones(len(names), np.float32),
                        {"category": Head(["报修", "求助"], coef, np.zeros(2, np.float32))})  # fmt: skip
    want = ["c:门", "c:钥匙在", "c:钥匙", "c:匙在", "c:钥", "c:匙", "c:在", "cue:help"]
    one = model.vectorize_call("钥匙在门", "")
    assert [model._keys[c] for c in one.cols] == ["c:钥", "c:匙", "c:在", "c:门", "c:钥匙", "c:匙在", "c:钥匙在"]
    assert model.predict("category", one, 8).reasons == want[:7]
    for n in (1, 2, 3, 4):
        assert model.predict("category", one, n).reasons == want[:n]
    many = model.vectorize_calls([("钥匙在门", ""), ("门", "")], reasons=[("category", 3)])
    assert len(many[0].ranked) == 1
    assert model.predict("category", many[0], 3).reasons == want[:3]
