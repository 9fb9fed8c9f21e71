"""`frontdesk intake train` fits the model to a site's own ledger: a front desk whose engineering
team does pest control (its sheet sends 蟑螂, 老鼠 … to 工程维修部) gets drafts that say so, on a
sentence the sheet never held. Real CLI, real import, real training (about half a minute)."""

from __future__ import annotations

from tests.conftest import DATA, frontdesk, frontdesk_json

PROBE = "你好，我家厨房晚上老有蟑螂爬出来，能不能派人来处理一下"


def test_a_model_trained_from_an_imported_sheet_changes_drafts(tmp_path):
    before = frontdesk_json(tmp_path, "intake", "--text", PROBE)
    # the shipped model is unsure where pests go (three rows of its corpus name 蟑螂: 环境部;
    # the model of 2,840 calls said 环境部 at 0.45, the one of 3,740 says 安管部 at 0.48)
    assert before["department"] != "工程维修部"
    assert frontdesk_json(tmp_path, "intake", "model")["shipped"] is True

    frontdesk(tmp_path, "ledger", "import", str(DATA / "intake" / "company_sheet.csv"))
    trained = frontdesk_json(tmp_path, "intake", "train")
    assert trained["ledger_entries"] == 60
    assert trained["examples"] > 2000  # the shipped corpus too

    after = frontdesk_json(tmp_path, "intake", "--text", PROBE)
    assert after["department"] == "工程维修部"
    shown = frontdesk_json(tmp_path, "intake", "model")
    assert shown["shipped"] is False and shown["ledger_entries"] == 60
    assert shown["model"] == trained["model"]


def test_training_an_empty_ledger_alone_is_a_clear_error(tmp_path):
    r = frontdesk(tmp_path, "intake", "train", "--no-shipped", check=False)
    assert r.returncode != 0 and "no registered entries" in r.stderr


def test_evaluate_a_broken_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "calls.jsonl"
    bad.write_text('{"id": "x", "text": "电梯坏了"}\n{not json\n', encoding="utf-8")
    r = frontdesk(tmp_path / "var", "intake", "evaluate", str(bad), check=False)
    assert r.returncode != 0 and "cannot read" in r.stderr and "Traceback" not in r.stderr


def test_a_corrupt_site_model_is_named_and_the_ledger_is_untouched(tmp_path):
    var = tmp_path / "var"
    frontdesk(var, "ledger", "import", str(DATA / "intake" / "company_sheet.csv"))
    broken = var / "models" / "intake" / "intake-20991231T000000.npz"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_bytes(b"not a model")
    r = frontdesk(var, "intake", "model", check=False)
    assert r.returncode != 0 and "not an intake model" in r.stderr and "Traceback" not in r.stderr
    r = frontdesk(var, "intake", "--text", "电梯坏了", check=False)
    assert r.returncode != 0 and "not an intake model" in r.stderr and "Traceback" not in r.stderr
    assert len(frontdesk_json(var, "ledger", "list")) == 60  # nothing stored was lost
