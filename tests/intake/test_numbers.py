"""The one phone-number reader intake, masking and bleeping share (voice.intake.numbers)."""

from __future__ import annotations

import pytest

from frontdesk.console.masking import mask_name, mask_text, mask_words
from voice.intake.caller import phone_number
from voice.intake.numbers import number_spans


@pytest.mark.parametrize(
    "text",
    [
        "电话13912345678谢谢",
        "电话139 1234 5678谢谢",
        "电话139-1234-5678谢谢",
        "电话139.1234.5678谢谢",
        "电话139，1234，5678谢谢",
        "电话139、1234、5678谢谢",
        "电话139/1234/5678谢谢",
        "电话139－1234—5678谢谢",
        "电话139, 1234, 5678谢谢",
        "电话一三九一二三四五六七八谢谢",
        "电话幺三九幺二三四五六七八谢谢",
        "电话一三九，一二三四，五六七八谢谢",
        "电话是要3912345678谢谢",
        "my number is one three nine one two three four five six seven eight, thanks",
        "my number is one three nine, one two three four, five six seven eight thanks",
        "It's one three nine one two three four double five seven eight",
    ],
)
def test_every_way_of_saying_a_mobile_is_read_the_same_by_intake_and_masking(text):
    spans = number_spans(text)
    assert len(spans) == 1
    want = "13912345578" if "double" in text else "13912345678"
    assert spans[0].digits == want
    assert phone_number(text)[0] == want
    masked = mask_text(text)
    assert len(masked) == len(text)
    # nothing but the first three and the last four digits survive masking
    assert number_spans(masked, 1)[0].digits == want[:3]
    left = "".join(d for s in number_spans(masked, 1) for d in s.digits)
    assert left == want[:3] + want[-4:]


def test_intake_keeps_its_answers():
    assert phone_number("我姓王，电话是幺三九幺二三四五六七八，我家厨房漏水了") == (
        "13912345678",
        "幺三九幺二三四五六七八",
    )
    assert phone_number("电话是要三八零零要三八零零零")[0] == "13800138000"
    assert phone_number("李女士，电话幺八六两两三三四四五五")[0] == "18622334455"
    assert phone_number("座机八八七六五四三二")[0] == "88765432"
    assert phone_number("四栋二单元三零一") == (None, None)
    # a mobile is preferred to a landline said first; "需要" is not a leading 幺
    assert phone_number("座机88765432，手机13912345678")[0] == "13912345678"
    assert phone_number("我需要13912345678回电")[0] == "13912345678"
    # two mobiles in a row are two numbers, not one of 22 digits
    spans = number_spans("13912345678，13800138000")
    assert [s.digits for s in spans] == ["13912345678", "13800138000"]


def test_rooms_years_and_words_are_not_numbers():
    for kept in ("四栋二单元三零一", "4-2-301", "2026年11月", "五分钟内到", "楼上七点",
                 "Oh, one moment", "someone at gate two", "我要报修", "一下"):  # fmt: skip
        assert mask_text(kept) == kept, kept
        assert number_spans(kept) == []


def test_masking_across_recognised_words_in_english_and_chinese():
    words = [{"w": w, "start": i} for i, w in enumerate(
        [" call", " one", " three", " nine", ",", " one", " two", " three", " four",
         " five", " six", " seven", " eight."])]  # fmt: skip
    masked = "".join(w["w"] for w in mask_words(words))
    assert masked == " call one three nine, *** *** ***** **** five six seven eight."
    # a recogniser that gives English words without spaces (Vosk): still words
    words = [{"w": w} for w in ["call", "one", "three", "nine", "one", "two", "three", "four",
                                "five", "six", "seven", "eight"]]  # fmt: skip
    assert [w["w"] for w in mask_words(words)][4:8] == ["***", "***", "*****", "****"]
    words = [{"w": w} for w in ["是", "139，", "12", "34，", "5678"]]
    assert "".join(w["w"] for w in mask_words(words)) == "是139，****，5678"


def test_caller_names_holding_digits_are_masked_like_numbers():
    assert mask_name("13912345678") == "139****5678"
    assert mask_name("8001") == "****"
    assert mask_name("张敏") == "张敏"
    assert mask_name("王 0571-88765432") == "王 057*-****5432"


@pytest.mark.parametrize(
    "text, heard",
    [
        ("我是三栋的，手机是要三九,有999,00000，麻烦回个电话", "999,00000"),  # a mobile misheard
        ("我手机号一三九一二三四五六七，楼道灯坏了", "一三九一二三四五六七"),  # ten digits
        ("手机号码是 8866 1234", "8866 1234"),  # eight digits after 手机: no mobile
        ("my mobile is eight eight six six one two three four", "eight eight six six one two three four"),
    ],
)
def test_a_number_said_after_shouji_that_is_no_mobile_is_not_the_callers_phone(text, heard):
    from voice.intake.extract import extract

    d = extract(text)
    assert d.caller.phone is None
    assert d.confidence["caller.phone"] < 0.6  # the console flags the field for the agent
    assert [e.text for e in d.evidence if e.field == "caller.phone.unsure"] == [heard]
    # with the SIP caller number, that number is the phone; the words heard are still shown
    d = extract(text, caller_number="13800138000")
    assert (d.caller.phone, d.confidence["caller.phone"]) == ("13800138000", 0.95)
    assert [e.text for e in d.evidence if e.field == "caller.phone.unsure"] == [heard]


def test_landlines_and_well_formed_mobiles_are_still_registered_beside_the_shouji_rule():
    from voice.intake.caller import caller_phone

    assert caller_phone("手机一三九，一二三四，五六七八，谢谢") == ("13912345678", "一三九，一二三四，五六七八", None)
    assert caller_phone("家里座机是八八六六一二三四") == ("88661234", "八八六六一二三四", None)
    assert caller_phone("home phone 8866 1234") == ("88661234", "8866 1234", None)
    # the nearest cue counts: a landline said after 座机, a mobile that is short after 手机
    assert caller_phone("我家电话八八六六一二三四，手机一三九一二三四") == ("88661234", "八八六六一二三四", "一三九一二三四")
    assert caller_phone("手机一三九一二三四，座机八八六六一二三四") == ("88661234", "八八六六一二三四", "一三九一二三四")
    # 手机 in another sentence, or too far before the number, does not announce it
    assert caller_phone("我手机没电了。家里八八六六一二三四")[0] == "88661234"
    assert caller_phone("手机好几天都打不通了您帮我记一下我这边的八八六六一二三四")[0] == "88661234"
