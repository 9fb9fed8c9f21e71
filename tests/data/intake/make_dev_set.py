"""Writes dev.jsonl: the labelled intake development set (run once; the output is committed).

Each line: {"id", "text", "variant", "expected": {category, address, public_area, urgent,
department, surname, phone}}. Calls are composed from hand-written parts the way residents
talk (openers, addresses said many ways, problems, names, phone numbers), then a noisy
copy imitates speech recognition (homophones, Vosk spaces, lost punctuation, fillers).
Hand-written whole calls, including English ones, are added as they are.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).with_name("dev.jsonl")

# (spoken forms, code)
ADDRESSES = [
    (["四栋二单元三零一", "4号楼2单元301室", "四号楼二单元三百零一"], "4-2-301"),
    (["十二栋一单元一五零二", "12号楼1单元1502", "十二号楼一单元一千五百零二"], "12-1-1502"),
    (["7幢3单元602", "七幢三单元六零二", "七栋三单元六百零二"], "7-3-602"),
    (["六栋一单元五零二", "6栋1单元502室"], "6-1-502"),
    (["八栋三单元四零一", "八号楼三单元四零一室"], "8-3-401"),
    (["九栋二单元一零三", "9号楼2单元103"], "9-2-103"),
    (["三栋一单元幺零幺", "3号楼1单元101室"], "3-1-101"),
    (["十五栋四单元两千零三", "15栋4单元2003"], "15-4-2003"),
    (["二栋二单元二零二", "两号楼两单元两零两"], "2-2-202"),
    (["十一栋一单元七零四", "11幢1单元704"], "11-1-704"),
]
# (problem said, category, urgent, department, public area or None)
PROBLEMS = [
    ("我家水管爆了，快派人来修一下", "报修", True, "工程维修部", None),
    ("厨房水龙头一直滴水，麻烦派人来看看", "报修", False, "工程维修部", None),
    ("卫生间的下水道堵了，麻烦来疏通一下", "报修", False, "工程维修部", None),
    ("家里突然停电了，别家都有电", "报修", True, "工程维修部", None),
    ("我家天花板在渗水，应该是楼上漏的", "报修", False, "工程维修部", None),
    ("闻到很大的煤气味，你们快来人", "报修", True, "工程维修部", None),
    ("我要投诉，楼上装修太吵了，天天早上七点就开始", "投诉", False, "安管部", None),
    ("我要投诉你们保安态度太差了", "投诉", False, "安管部", None),
    ("楼下的狗天天晚上叫，吵死了，我要投诉", "投诉", False, "安管部", None),
    ("钥匙锁在家里了，能不能帮忙找个开锁的师傅", "求助", False, "客服中心", None),
    ("家里老人摔倒了，能不能帮忙扶一下", "求助", True, "客服中心", None),
    ("我建议小区晚上多安排几次巡逻", "建议", False, "安管部", None),
]
QUESTIONS = [
    ("请问物业费在哪里交，可以微信交吗", "咨询", False, "客服中心"),
    ("请问装修需要办什么手续", "咨询", False, "安管部"),
    ("想问一下停车费多少钱一个月", "咨询", False, "安管部"),
    ("请问垃圾分类是几点收", "咨询", False, "环境部"),
    ("我想咨询一下房产证什么时候能办", "咨询", False, "客服中心"),
]
PUBLIC = [
    ("{b}号楼的电梯坏了，有人被困在里面了", "报修", True, "工程维修部", "电梯"),
    ("{b}号楼的电梯又坏了，停在三楼不动", "报修", False, "工程维修部", "电梯"),
    ("{b}栋楼道灯坏了，晚上走路看不见", "报修", False, "工程维修部", "楼道灯"),
    ("地下车库的灯不亮了，麻烦修一下", "报修", False, "工程维修部", "地下车库"),
    ("{b}栋门口的垃圾桶满了没人清理", "投诉", False, "环境部", "垃圾站"),
    ("{b}号楼大堂的地上有积水，很滑", "报修", False, "工程维修部", "大堂"),
]
BUILDING_SAID = {"三": "3", "五": "5", "十": "10", "2": "2", "十一": "11"}
OPENERS = ["", "你好，", "喂，你好，", "嗯，那个，", "您好，"]
NAMES = [
    ("", None),
    ("我姓王，", "王"),
    ("我是李女士，", "李"),
    ("我姓张，", "张"),
    ("我是陈先生，", "陈"),
]
PHONES = [("", None), ("电话是幺三八零零幺三八零零零", "13800138000"),
          ("我电话幺三九幺二三四五六七八", "13912345678"), ("电话是13712345678", "13712345678"),
          ("联系电话幺八六两两三三四四五五", "18622334455")]  # fmt: skip

HAND_WRITTEN = [
    ("三零一，四栋的，我家门锁坏了打不开", "报修", None, None, False, "工程维修部", None, None),
    ("门口廊灯坏了好几天了还没人修", "报修", None, "楼道灯", False, "工程维修部", None, None),
    ("我住在七栋三单元，六零二，卫生间漏水了", "报修", "7-3-602", None, False, "工程维修部", None, None),
    ("你们小区的绿化带好久没人修剪了，我提个意见", "建议", None, "绿化带", False, "环境部", None, None),
    ("楼道里有人在抽烟，冒烟了，快来看看", "报修", None, "楼道", True, "安管部", None, None),
    ("我想问一下水费是不是跟物业费一起交", "咨询", None, None, False, "客服中心", None, None),
    ("my sink is leaking, unit 301, building 4, entrance 2", "报修", "4-2-301", None, False, "工程维修部", None, None),
    ("I want to complain, the lift in building 3 is broken again", "投诉", None, "电梯", False, "工程维修部", None, None),
    ("Hello, how do I pay the property fee, can I pay online?", "咨询", None, None, False, "客服中心", None, None),
    ("There is smoke in the lobby, please come quickly", "报修", None, "大堂", True, "工程维修部", None, None),
    ("I locked myself out, building 12 entrance 1 room 1502, please help me", "求助", "12-1-1502", None, False, "客服中心", None, None),
    ("I suggest adding more lights in the garage", "建议", None, "地下车库", False, "工程维修部", None, None),
]  # fmt: skip

HOMOPHONES = [
    ("栋", "洞"),
    ("栋", "动"),
    ("单元", "丹元"),
    ("单元", "单园"),
    ("号楼", "号罗"),
    ("幺", "要"),
]


def noisy(text: str, rng: random.Random) -> str:
    for a, b in rng.sample(HOMOPHONES, 2):
        text = text.replace(a, b)
    if rng.random() < 0.5:
        text = text.replace("，", "")
    if rng.random() < 0.4:
        text = " ".join(text)  # Vosk puts spaces between words (here: every character)
    return text


def main() -> None:
    rng = random.Random(20261122)
    rows = []

    def add(text, cat, code, area, urgent, dept, surname, phone, variant="clean"):
        rows.append({"id": f"d{len(rows):03d}", "text": text, "variant": variant, "expected": {
            "category": cat, "address": code, "public_area": area, "urgent": urgent,
            "department": dept, "surname": surname, "phone": phone}})  # fmt: skip

    for forms, code in ADDRESSES:
        for form in forms:
            for _ in range(3):
                prob, cat, urgent, dept, _area = rng.choice(PROBLEMS)
                name, surname = rng.choice(NAMES)
                phone_said, phone = rng.choice(PHONES)
                where = rng.choice(
                    ["我是{a}的，", "我住{a}，", "地址是{a}，", "{a}的业主，"]
                ).format(a=form)
                parts = [rng.choice(OPENERS), name, where, prob]
                if phone_said:
                    parts.append("，" + phone_said)
                text = "".join(parts)
                add(text, cat, code, None, urgent, dept, surname, phone)
                add(noisy(text, rng), cat, code, None, urgent, dept, surname, phone, "asr")
    for q, cat, urgent, dept in QUESTIONS:
        for opener in rng.sample(OPENERS, 3):
            add(opener + q, cat, None, None, urgent, dept, None, None)
        add(noisy(q, rng), cat, None, None, urgent, dept, None, None, "asr")
    for tmpl, cat, urgent, dept, area in PUBLIC:
        for said, b in rng.sample(sorted(BUILDING_SAID.items()), 3):
            text = rng.choice(OPENERS) + tmpl.format(b=said)
            building = b if "{b}" in tmpl else None
            code = None
            add(text, cat, code, area, urgent, dept, None, None)
            rows[-1]["expected"]["building"] = building
    for h in HAND_WRITTEN:
        add(*h, variant="english" if h[0].isascii() else "hand")
    OUT.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    print(f"{len(rows)} transcripts -> {OUT}")


if __name__ == "__main__":
    main()
