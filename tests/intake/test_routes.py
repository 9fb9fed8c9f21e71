"""Department as a function of the category: what the training data always sends to one
department (a repair to engineering, an inquiry to the desk) goes there whatever the subject;
a category dispatched by subject is left to the model. Real shipped model."""

from __future__ import annotations

import copy

from voice.intake.extract import extract
from voice.intake.model import load_model
from voice.intake.training import Example, routes

BIN_DOOR = "你好，小区垃圾房那个铁门坏了，合页断了关不上，找人来修一下"


def _ex(cat: str, dept: str, n: int) -> list[Example]:
    return [Example("x", labels={"category": cat, "department": dept})] * n


def test_routes_only_a_category_that_nearly_always_goes_one_way():
    ex = _ex("报修", "工程维修部", 99) + _ex("报修", "环境部", 1)
    ex += _ex("投诉", "安管部", 60) + _ex("投诉", "环境部", 40) + _ex("咨询", "客服中心", 5)
    assert routes(ex) == {"报修": "工程维修部"}  # 投诉 by subject; 咨询 too few to say


def test_a_repair_goes_to_engineering_whatever_its_subject():
    model = load_model()
    assert model.meta["routes"] == {"报修": "工程维修部", "咨询": "客服中心"}
    d = extract(BIN_DOOR, model=model)
    assert (d.category, d.department) == ("报修", "工程维修部")
    # a site whose ledger sends every repair to its environment team gets drafts that do
    site = copy.copy(model)
    site.meta = {**model.meta, "routes": {"报修": "环境部"}}
    d = extract(BIN_DOOR, model=site)
    assert (d.category, d.department) == ("报修", "环境部")
    assert any(e.field == "department" and "→ 环境部" in e.text for e in d.evidence)
    # a category without a route is left to the department head
    site.meta = {**model.meta, "routes": {"咨询": "环境部"}}
    assert extract(BIN_DOOR, model=site).department == "工程维修部"
