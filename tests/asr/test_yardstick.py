"""The ASR yardstick (tests/data/asr_eval) stays what it was when it was frozen, and its
measures (bench/asr.py) count what they say they count."""

from __future__ import annotations

import hashlib
import json
import re

import soundfile as sf

from tests.conftest import DATA
from voice.asr.metrics import cer, digit_runs, tail_loss

EVAL = DATA / "asr_eval"
CATEGORIES = {"报修", "投诉", "咨询", "求助", "建议"}


def _items(split: str) -> list[dict]:
    return json.loads((EVAL / f"{split}.json").read_text(encoding="utf-8"))


def test_the_test_split_is_frozen():
    lines = (EVAL / "test.sha256").read_text().splitlines()
    recorded = dict(reversed(line.split("  ", 1)) for line in lines)
    listed = {"test.json", *(i["file"] for i in _items("test"))}
    assert set(recorded) == listed, "test.sha256 and test.json list different files"
    for name, digest in recorded.items():
        actual = hashlib.sha256((EVAL / name).read_bytes()).hexdigest()
        assert actual == digest, f"{name} changed after the test split was frozen"


def test_the_yardstick_is_large_varied_and_compact():
    dev, test = _items("dev"), _items("test")
    assert len(dev) + len(test) >= 60
    assert not {i["script"] for i in dev} & {i["script"] for i in test}, "a script in both splits"
    for split in (dev, test):
        conds = {i["condition"] for i in split}
        assert {"band8k", "ulaw", "alaw", "loss10", "noisy"} <= conds
        assert {"digits", "tail", "call"} <= {i["kind"] for i in split}
    total = sum(p.stat().st_size for p in EVAL.rglob("*") if p.is_file())
    assert total < 25 * 2**20
    for i in dev + test:
        info = sf.info(str(EVAL / i["file"]))
        assert (info.samplerate, info.channels) == (i["rate"], i["channels"])
        assert abs(info.frames / info.samplerate - i["duration_s"]) < 0.02
        exp = i["expect"]
        assert exp["category"] in CATEGORIES
        assert exp["address"] is None or re.fullmatch(r"\d+-\d+-\d+", exp["address"])
        assert exp["phone"] is None or re.fullmatch(r"1\d{10}", exp["phone"])
        # what is registered is said: the phone's digits appear in the reference
        if exp["phone"]:
            said = [r for p in i["parts"] for r in digit_runs(p["text"])]
            assert exp["phone"] in said, (i["id"], said)


def test_digit_runs_read_numbers_as_said_and_as_written():
    said = "我是四栋二单元三零一的，电话幺三八，六六七七，二二零一，修一下"
    written = "我是4栋2单元301的,电话138-6677-2201,修一下"
    assert digit_runs(said) == digit_runs(written) == ["301", "13866772201"]
    assert digit_runs("十二栋一单元幺零零二室，分机洞洞七") == ["1002", "007"]
    assert digit_runs("幺三九五五") != digit_runs("幺三九五五五五")  # collapsed repeats count


def test_tail_loss_counts_only_what_is_missing_at_the_ends():
    parts = ["我家厨房漏水了", "电话幺三八六六七七"]
    assert tail_loss(parts, "我家厨房漏水了电话幺三八六六七七") == (0, 8, 0)
    assert tail_loss(parts, "我家厨房漏水了电话幺三八") == (4, 8, 1)
    assert tail_loss(parts, "我家厨房漏水了电话幺三八六六七期") == (0, 8, 0)  # misheard, not lost
    assert cer("電話是幺三八", "电话是138") == 0.0  # script and digits are not errors


def test_a_lost_number_is_told_misheard_from_missed_by_intake():
    from bench.asr_yardstick import lost_stage

    # in the transcript, loosely read: groups, 幺/要, a filler between groups, Chinese numerals
    assert lost_stage("phone", "13712688455", "电话要三七 1268，8455") == "in_text"
    assert lost_stage("phone", "13999990000", "我手机是要三九,有九九九九,零零零零") == "in_text"
    assert lost_stage("address", "5-2-601", "看一眼,5托二单元601。") == "in_text"
    # a digit collapsed, a number heard as another (十六 for 六), the building's number lost
    assert lost_stage("phone", "13712688455", "电话1371268845。") == "misheard"
    assert lost_stage("address", "6-2-2003", "第十六多二单元2003。") == "misheard"
    assert lost_stage("address", "4-3-701", "我家是自动三单元701") == "misheard"
    # a digit too many is a misheard number, though the right one is inside it
    assert lost_stage("phone", "13500778866", "手机135007788665号") == "misheard"
