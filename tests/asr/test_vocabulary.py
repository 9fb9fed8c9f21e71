"""Community and building names from the config go into the Whisper prompt."""

from __future__ import annotations

import pytest

from frontdesk.config import AsrConfig, load_config
from frontdesk.errors import UserError
from voice.asr.vocabulary import MAX_PROMPT_CHARS, build_prompt


def test_names_and_hotwords_from_the_config_join_the_prompt(tmp_path):
    (tmp_path / "frontdesk.toml").write_text(
        '[asr]\ncommunity_names = ["阳光花园", "翠湖苑", "阳光花园"]\nhotwords = ["燃气表"]\n',
        encoding="utf-8",
    )
    prompt = load_config(tmp_path).asr.prompt()
    # the script sentence first, then the names (once each), the default's own words and the
    # address sentence last
    head, rest = prompt.split("。", 1)
    assert head == "以下是普通话的句子"
    assert rest.startswith("小区：阳光花园、翠湖苑。燃气表。报修、投诉")
    assert rest.endswith("我是七栋一单元六零二的。") and rest.count("阳光花园") == 1


def test_without_names_the_prompt_is_the_configured_one():
    assert AsrConfig().prompt() == AsrConfig().initial_prompt
    assert build_prompt("", [], []) is None
    assert build_prompt(None, ["翠湖苑"], []) == "小区：翠湖苑。"


def test_a_list_that_does_not_fit_in_the_prompt_is_a_clear_error(tmp_path):
    names = [f"第{i}期花园小区" for i in range(MAX_PROMPT_CHARS // 6)]
    with pytest.raises(UserError, match=r"\[asr\] community_names/hotwords: .* at most"):
        AsrConfig(community_names=names).prompt()


def test_names_must_be_a_list(tmp_path):
    (tmp_path / "frontdesk.toml").write_text(
        '[asr]\ncommunity_names = "阳光花园"\n', encoding="utf-8"
    )
    with pytest.raises(UserError, match="community_names must be list"):
        load_config(tmp_path)
