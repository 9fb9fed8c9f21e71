"""The front desk's words, as a Whisper prompt (and a Vosk phrase list).

Whisper continues the style and the vocabulary of the text it is prompted with: a prompt
in simplified Mandarin keeps it from writing traditional characters, an address said the
front-desk way makes it write 栋/单元 and room numbers digit by digit, and naming the
community's estates and buildings makes it spell them as the ledger does.
"""

from __future__ import annotations

from collections.abc import Iterable

# the front desk's words (issue 4): what residents call about and how addresses are said
FRONT_DESK_WORDS = ("报修", "投诉", "物业费", "电梯", "漏水", "水管", "栋", "单元", "室")

# Whisper keeps the last 223 prompt tokens; a Chinese character is 1-3 tokens
MAX_PROMPT_CHARS = 120


def build_prompt(
    base: str | None, community_names: Iterable[str] = (), hotwords: Iterable[str] = ()
) -> str | None:
    """``base`` (the configured initial prompt) with the configured names and words.

    The names go into one sentence before ``base``'s own sentences so the prompt still
    ends the way a caller speaks (Whisper weighs the end of the prompt most).
    """
    names = _unique(community_names)
    words = _unique(hotwords)
    extra = ""
    if names:
        extra += "小区：" + "、".join(names) + "。"
    if words:
        extra += "、".join(words) + "。"
    if not extra:
        return base or None
    head, _, tail = (base or "").partition("。")
    # "以下是普通话的句子。" stays first: it is what keeps the script simplified
    prompt = f"{head}。{extra}{tail}" if tail else f"{head + '。' if head else ''}{extra}"
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValueError(
            f"asr prompt is {len(prompt)} characters with the configured community names and "
            f"hotwords; at most {MAX_PROMPT_CHARS} fit in Whisper's prompt"
        )
    return prompt


def _unique(items: Iterable[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        s = str(item).strip()
        if s and s not in out:
            out.append(s)
    return out
