"""Who called: the honorifics and common surnames (read by names.py), and a phone number
spoken digit by digit."""

from __future__ import annotations

import re

from voice.intake.numbers import number_spans

HONORIFICS = ("先生", "女士", "小姐", "阿姨", "大爷", "师傅", "老师", "大妈", "奶奶", "爷爷")
# common single-character surnames (the top of the list covers most residents)
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤"
)


def phone_number(text: str) -> tuple[str | None, str | None]:
    """An 11-digit mobile (or else a 7-8 digit landline) said in digits, characters,
    幺/两/洞, English words, or written by a recogniser as homophones (要 for 幺), with
    the separators people use between the groups: (the digits, the words heard)."""
    phone, words, _ = caller_phone(text)
    return phone, words


# the nearest of these before a number says what kind it is; a mobile is 11 digits from a 1
_PHONE_CUE = re.compile(r"(手机|mobile|cell)|座机|固话|电话|landline|home|office", re.I)
CUE_REACH = 16  # characters from a cue to the number it announces
_CLAUSE_END = re.compile(r"[。！？!?；;]")


def caller_phone(text: str) -> tuple[str | None, str | None, str | None]:
    """``phone_number``'s digits and words, and the words of a number said after 手机 that is
    no mobile ("手机是要三九,有999,00000": a mobile misheard, not a landline): such a number is
    not the caller's phone, only doubtful words for the agent to check."""
    best, doubtful = None, None
    for span in number_spans(text):
        if span.mobile:
            return span.digits, text[span.start : span.end], None
        if _mobile_said(text, span.start):
            doubtful = doubtful or text[span.start : span.end]
        elif 7 <= len(span.digits) <= 8 and best is None:
            best = (span.digits, text[span.start : span.end])
    return (*(best or (None, None)), doubtful)


def _mobile_said(text: str, start: int) -> bool:
    """The nearest phone cue before ``start``, in the same clause and close, is 手机."""
    cues = list(_PHONE_CUE.finditer(text, max(0, start - CUE_REACH), start))
    return bool(cues) and cues[-1].group(1) is not None and not _CLAUSE_END.search(text, cues[-1].end(), start)
