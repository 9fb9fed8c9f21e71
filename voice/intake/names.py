"""Who is calling: a surname (compound ones too: 欧阳, 司马 …) and the honorific, as callers say
them (我姓欧阳 / 复姓上官 / 我是陈先生 / 我是三号楼的老张 / "this is John Smith")."""

from __future__ import annotations

import re

from voice.intake.caller import HONORIFICS, SURNAMES

COMPOUND = (
    "欧阳 司马 诸葛 上官 慕容 端木 皇甫 令狐 东方 夏侯 公孙 尉迟 宇文 长孙 司徒 西门 独孤 南宫 "
    "轩辕 百里 呼延 万俟 澹台 闻人 钟离 赫连 申屠 公冶 太史 拓跋 第五 东郭"
).split()
# compound surnames that are also everyday words (西门 is a gate): only with 姓 or an honorific
PLACE_LIKE = {"西门", "东方", "南宫", "百里", "第五", "东郭", "太史"}
_HON = "|".join(HONORIFICS)
_COMPOUND = "|".join(COMPOUND)
_SURNAME_SAID = re.compile(r"(?:复姓|姓)(" + _COMPOUND + r"|[\u4e00-\u9fff])")
_COMPOUND_SAID = re.compile(r"(" + _COMPOUND + r")(" + _HON + r")?")
# read over "，" + text: the "，" stands for the start (^), and every match then begins with a
# character of the set, which re skips to in C instead of trying each position
_SELF_SAID = re.compile(r"[是我叫，,的](老)?([\u4e00-\u9fff])(" + _HON + r")?")
_HON_AFTER = re.compile(r"[\u4e00-\u9fff]?(" + _HON + r")")
_NAME_EN = r"([A-Z](?:[a-z]+|(?=['-]))(?:['-][A-Z]?[a-z]+)?)"


def surname(text: str, english: str | None = None) -> tuple[str | None, str | None, str | None]:
    """(surname, honorific, the words heard), or three Nones. ``english``: the text the English
    patterns read instead of ``text``."""
    # 我姓欧阳 / 复姓上官 / 姓张: a compound surname first, else one character
    for m in _SURNAME_SAID.finditer(text):
        name = m.group(1)
        if len(name) == 2 or name in SURNAMES:
            return name, _honorific_after(text, m.end()), m.group(0)
    # 我是欧阳先生 / 我是…的欧阳 / 老张 / 陈女士: a surname the caller gives for themselves
    for m in _COMPOUND_SAID.finditer(text):
        if m.group(1) not in PLACE_LIKE or m.group(2):
            return m.group(1), m.group(2), m.group(0)
    for m in _SELF_SAID.finditer("，" + text):
        old, name, hon = m.groups()
        if name in SURNAMES and (old or hon) and not _doubled(text, m.start(2) - 1):
            return name, hon, m.group(0).lstrip("是我叫，,的")
    return _english(text if english is None else english)


def _honorific_after(text: str, at: int) -> str | None:
    m = _HON_AFTER.match(text, at)
    return m.group(1) if m else None


def _doubled(text: str, at: int) -> bool:
    """谢谢师傅: a doubled character is a word, not a surname."""
    return (at > 0 and text[at - 1] == text[at]) or (at + 1 < len(text) and text[at + 1] == text[at])


_INTRO_EN = (
    r"(?i:this is|my name is|my name's|i am|i'm|name is)\s+(?i:(?:mr|mrs|ms|dr)\.?\s+)?"
    + _NAME_EN + r"(?:\s+" + _NAME_EN + r")?",
    r"(?:^|[.,!?]\s*)(?i:hi|hello|hey)?[, ]*" + _NAME_EN + r"\s+" + _NAME_EN + r"(?:\s+here|,)",
)  # fmt: skip
_INTRO_EN_RX = [re.compile(p) for p in _INTRO_EN]
_NOT_NAMES = {"building", "block", "unit", "room", "calling", "here", "yes", "the"}


_CAPITAL = re.compile("[A-Z]")  # every English name pattern needs one (_NAME_EN)


def _english(text: str) -> tuple[str | None, str | None, str | None]:
    if not _CAPITAL.search(text):  # a Chinese call: the patterns would try every character
        return None, None, None
    for rx in _INTRO_EN_RX:
        m = rx.search(text)
        if m:
            family = m.group(2) or m.group(1)
            if family.lower() not in _NOT_NAMES:
                return family, None, m.group(0).strip(" ,.")
    return None, None, None
