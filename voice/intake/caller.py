"""Who called: the honorifics and common surnames (read by names.py), and a phone number
spoken digit by digit."""

from __future__ import annotations

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
    best = None
    for span in number_spans(text):
        if span.mobile:
            return span.digits, text[span.start : span.end]
        if 7 <= len(span.digits) <= 8 and best is None:
            best = (span.digits, text[span.start : span.end])
    return best if best else (None, None)
