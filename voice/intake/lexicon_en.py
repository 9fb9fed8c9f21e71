"""English keyword tables (the second lexicon): same labels, English phrases."""

from __future__ import annotations

CATEGORY: dict[str, dict[str, float]] = {
    "投诉": {"complain": 5, "complaint": 5, "too noisy": 3, "noise": 2, "nobody came": 3,
             "not satisfied": 3, "unacceptable": 3, "rude": 2},
    "报修": {"smoke": 2, "gas": 2, "leak": 3, "leaking": 3, "broken": 3, "burst": 3, "blocked": 3, "clogged": 3,
             "not working": 3, "repair": 3, "fix": 2.5, "no power": 3, "stuck": 2, "trapped": 2},
    "咨询": {"how do i": 2.5, "where can i": 2.5, "when": 1, "how much": 2.5, "can i pay": 2.5,
             "question": 2, "what time": 2, "is it possible": 1.5},
    "求助": {"help me": 2.5, "locked out": 3, "lost my key": 3, "fell": 2.5, "please help": 2.5},
    "建议": {"suggest": 5, "suggestion": 5, "it would be better": 3, "should add": 2.5},
}  # fmt: skip

URGENT: dict[str, str] = {
    "burst": "pipe burst", "flood": "flooding", "no power": "power cut", "power cut": "power cut",
    "no water": "water cut", "trapped": "people trapped", "stuck in the lift": "people trapped",
    "stuck in the elevator": "people trapped", "fire": "fire", "smoke": "smoke", "gas": "gas",
}  # fmt: skip

DEPARTMENT: list[tuple[str, tuple[str, ...]]] = [
    ("安管部", ("noise", "noisy", "security", "guard", "parking", "stranger", "patrol")),
    ("环境部", ("garbage", "trash", "cleaning", "dirty", "smell", "grass", "pest")),
    ("工程维修部", ("leak", "pipe", "sink", "toilet", "light", "lift", "elevator", "power", "broken",
                 "repair", "blocked", "door", "window", "smoke", "gas")),
]  # fmt: skip

PUBLIC_AREAS = {
    "电梯": ("lift", "elevator"), "地下车库": ("garage", "parking lot", "car park"),
    "大堂": ("lobby",), "楼道灯": ("corridor light", "hallway light", "stair light"),
    "楼道": ("corridor", "hallway", "stairwell"), "小区大门": ("gate", "main entrance"),
}  # fmt: skip
