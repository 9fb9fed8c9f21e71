"""What the intake model sees of a call: character n-grams of the caller's words, English
words, and cues (generic ways of saying "again", "could you", "right now" …).

Characters, not a word list: callers never say a problem the way a list expects, and a
recogniser's homophones still share most of their n-grams with the right words. The cues are
rules as features: the model learns from data how much each one counts.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from voice.intake.prefilter import LATIN, latin_free, prefiltered

FILLERS = ("那个", "嗯", "呃", "啊", "就是说", "就是", "然后", "这个", "哎", "喂", "那么")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SPACE_BETWEEN = re.compile(
    r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff\d])|(?<=\d)\s+(?=[\u4e00-\u9fff])"
)

# How people say things, not what the problem is: these carry across every topic.
CUES: dict[str, str] = {
    # the problem was reported before (the seeds: raised again → a complaint)
    "again": r"又|再次|再一次|还是|反映过|反映了|反应过|报过|报了|打过|说过|讲过|多少遍|多少次|好几次|"
             r"好几回|几次|几回|第[二三四五两]次|第[二三四五两]回|上次|上回|上周|上礼拜|上个月|前天|"
             r"前几天|一直没|到现在|还没人|至今|老是|总是|三番五次|每次|催|again|already|before|"
             r"still|(second|third) time|keeps?",
    "question": r"请问|吗|么|？|\?|怎么|什么|哪|几点|多少|是否|能不能|可不可以|可以吗|想问|问一下|"
                r"咨询|how|what|when|where|can i|do i|is there",
    "suggest": r"建议|希望|是不是可以|可不可以|要是.{0,12}就好|最好|考虑|增加|多装|多安排|加装|加个|"
               r"提个意见|suggest|would be nice|should|consider|why not",
    "help": r"帮|麻烦|求助|救|help|please",
    "complain": r"投诉|举报|不满|太差|什么态度|不像话|受不了|气死|怎么回事|到底|管不管|complain|"
                r"unacceptable|ridiculous",
    "now": r"现在|正在|马上|赶紧|快点|快来|立刻|紧急|急|right now|urgent|hurry|quick",
    "negated": r"没有|不是|没事|已经好了|已经修好|不用|no longer|not anymore",
}  # fmt: skip
_CUES = [(name, prefiltered(rx, re.I)) for name, rx in CUES.items()]
_CUES_LATIN_FREE = [(name, latin_free(rx, re.I)) for name, rx in CUES.items()]
_LATIN = re.compile(r"[A-Za-z]")
_ANY_SPACE = re.compile(r"\s")
GRAM_SIZES = (1, 2, 3)


def normalise(text: str) -> str:
    """Full-width → half-width, no spaces between Chinese words, no fillers."""
    t = unicodedata.normalize("NFKC", _compatible(text))
    if _ANY_SPACE.search(t):  # the lookbehinds cost at every character: only where needed
        t = _SPACE_BETWEEN.sub("", t)
    for f in FILLERS:
        t = t.replace(f, "")
    return t.replace("，，", "，").strip()


def _compatible(text: str) -> str:
    """``text`` with the characters of the forms blocks that NFKC changes (full-width
    punctuation and letters, the ideographic space) already replaced by their NFKC forms.
    NFKC of the result is NFKC of ``text`` (a character and its NFKC form decompose alike),
    but a Chinese sentence then passes NFKC's quick check instead of being decomposed and
    recomposed character by character."""
    for ch in set(_FORMS_RX.findall(text)):
        text = text.replace(ch, _FORMS[ch])
    return text


_FORMS = {ch: nf for ch in map(chr, [0x3000, *range(0xFE10, 0xFE70), *range(0xFF00, 0xFFF0)])
          if (nf := unicodedata.normalize("NFKC", ch)) != ch}  # fmt: skip
_FORMS_RX = re.compile("[" + "".join(map(re.escape, _FORMS)) + "]")


def is_english(text: str) -> bool:
    letters = len(_LATIN.findall(text))  # ASCII letters
    return letters > 3 and letters > 2 * len(_CJK.findall(text))


def tokens(caller: str, agent: str = "") -> list[str]:
    """The model's features of one call (texts already normalised)."""
    before, text, after = token_parts(caller, agent)
    return before + char_grams(text) + after


def token_parts(caller: str, agent: str = "") -> tuple[list[str], str, list[str]]:
    """``tokens`` in three parts: the tokens before the character n-grams, the text the
    n-grams are taken from, and the tokens after them (the model reads the n-grams as numbers,
    without making a string for each)."""
    before, t = _words_and_text(caller)
    after: list[str] = []
    for name, rx in _CUES if LATIN.search(t) else _CUES_LATIN_FREE:
        after += ["cue:" + name] * len(rx.findall(t))
    return before, t, after + _agent_grams(agent)


def _words_and_text(caller: str) -> tuple[list[str], str]:
    """An English caller's words and word pairs, and the text the n-grams are taken from."""
    t = caller.lower()
    if not is_english(t):
        return [], "".join(t.split())  # str.split's whitespace is \s's
    words = re.findall(r"[a-z']+", t)
    pairs = [f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    return ["w:" + w for w in words] + pairs, t


def _agent_grams(agent: str) -> list[str]:
    """The agent's read-back: a weak second voice."""
    a = "".join(agent.lower().split())
    return ["a:" + a[i : i + 2] for i in range(len(a) - 1)]


def token_parts_many(calls: Sequence[tuple[str, str]]) -> list[tuple[list[str], str, list[str]]]:
    """``[token_parts(caller, agent) for caller, agent in calls]``, each cue looked for once
    in all the calls' texts joined by line breaks (no cue can match one: ``.`` stops there
    and no cue names a space class), its matches counted per call by where they start."""
    texts: list[str] = []
    befores: list[list[str]] = []
    for caller, _ in calls:
        before, t = _words_and_text(caller)
        texts.append(t)
        befores.append(before)
    ends = list(itertools.accumulate(len(t) + 1 for t in texts))  # each text's end, + 1
    joined = "\n".join(texts)
    counts = []
    for name, rx in _CUES:
        at = [m.start() for m in rx.finditer(joined)]
        counts.append((["cue:" + name], Counter(bisect.bisect(ends, i) for i in at)))
    out = []
    for d, ((_, agent), before, t) in enumerate(zip(calls, befores, texts, strict=True)):
        after: list[str] = []
        for token, per_call in counts:
            after += token * per_call[d]
        out.append((before, t, after + _agent_grams(agent)))
    return out


def char_grams(t: str) -> list[str]:
    """Character 1-, 2- and 3-grams of ``t``, in that order, each in text order."""
    out: list[str] = []
    for n in GRAM_SIZES:
        out += ["c:" + t[i : i + n] for i in range(len(t) - n + 1)]
    return out
