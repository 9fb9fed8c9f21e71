"""Whisper base's subtitle-credit hallucinations (词曲词, 字幕由…, 谢谢观看, 请不吝点赞…) at the end
of a call are cut, by class, and what was said before them is kept. The class on text; the
one that reproduces with the real Whisper base model on a yardstick dev recording."""

from __future__ import annotations

import json

import pytest

from tests.conftest import DATA
from voice.asr.engines.whisper_engine import clean
from voice.asr.metrics import normalise_for_cer
from voice.asr.transcribe import transcribe_file


def _dev(item_id: str) -> dict:
    items = json.loads((DATA / "asr_eval" / "dev.json").read_text(encoding="utf-8"))
    return next(i for i in items if i["id"] == item_id)


@pytest.mark.parametrize(
    "heard, kept",
    [
        ("我是十洞一单元302的。词曲词", "我是十洞一单元302的。"),
        ("我是十洞一单元302的词曲词", "我是十洞一单元302的"),  # no comma before the credit
        ("电话13123456789。作词作曲:李宗盛", "电话13123456789。"),
        ("词:李宗盛 曲:李宗盛", ""),
        ("好的。中文字幕志愿者李宗盛", "好的。"),
        ("字幕由Amara.org社区提供", ""),
        ("水管修好了。谢谢观看!", "水管修好了。"),
        ("好的。感谢收看", "好的。"),
        ("请不吝点赞订阅转发打赏支持明镜与点点栏目", ""),
        # what callers and agents say stays
        ("好的，谢谢，再见。", "好的，谢谢，再见。"),
        ("你们核对一下，我手机是13999990000。", "你们核对一下，我手机是13999990000。"),
        ("我把您的情况转告维修师傅。", "我把您的情况转告维修师傅。"),
        ("这个是社区提供的吗?", "这个是社区提供的吗?"),
    ],
)
def test_credits_are_cut_by_class_and_speech_before_them_kept(heard, kept):
    assert clean(heard) == kept


@pytest.mark.slow
def test_credits_heard_after_the_last_words_of_a_real_recording_are_gone(whisper):
    """dev_gas_smell__wide16k: Whisper base writes 词曲词 after 我是十栋一单元三零二的 (before
    this filter the draft ended so). The address is kept, no credit character follows it,
    and the last utterance ends where the caller stopped, not after the invented words."""
    item = _dev("dev_gas_smell__wide16k")
    t = transcribe_file(DATA / "asr_eval" / item["file"], whisper)
    said = normalise_for_cer(t.text())
    assert said.endswith("单元三零二的"), t.text()
    assert "词" not in t.text() and "曲" not in t.text(), t.text()
    last = t.utterances[-1]
    assert all("词" not in w.w for w in last.words), last.words
    assert last.end <= item["parts"][-1]["end"] + 1.0, last
