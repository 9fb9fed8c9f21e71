"""`frontdesk sites import-roster` and `frontdesk sites roster` as an office uses them: the real
CLI in a subprocess on a fresh data directory."""

from __future__ import annotations

import stat

from tests.conftest import frontdesk, frontdesk_json
from tests.ledger.roster_sheets import HOMES, PHONES, RESIDENTS, ROWS, write_roster_xlsx

PERSONAL = ("王建国", "李梅", "13812345678", "138 1234 5678", "88123456")


def test_import_a_roster_then_see_its_counts(tmp_path):
    var = tmp_path / "var"
    sheet = write_roster_xlsx(tmp_path / "阳光花园业主名册.xlsx")
    r = frontdesk_json(var, "sites", "import-roster", str(sheet))
    assert r["imported"] is True and r["site"] == "default"
    assert (r["residents"], r["homes"], r["phones"], r["carried_down"]) == (
        RESIDENTS,
        HOMES,
        PHONES,
        8,
    )
    typo = frontdesk(var, "sites", "import-roster", str(sheet), "--site", "yangguang", check=False)
    assert typo.returncode != 0 and "unknown site 'yangguang'" in typo.stderr
    assert "frontdesk sites add" in typo.stderr  # a roster for a site nobody sees: refused
    added = frontdesk_json(var, "sites", "add", "yangguang", "阳光花园")
    assert added == {"code": "yangguang", "name": "阳光花园", "added": True}
    assert frontdesk_json(var, "sites", "list") == [
        {"code": "default", "name": "本站 Default"},
        {"code": "yangguang", "name": "阳光花园"},
    ]
    frontdesk_json(var, "sites", "import-roster", str(sheet), "--site", "yangguang")
    rows = frontdesk_json(var, "sites", "roster")
    assert [(x["site"], x["residents"], x["homes"]) for x in rows] == [
        ("default", RESIDENTS, HOMES),
        ("yangguang", RESIDENTS, HOMES),
    ]
    table = frontdesk(var, "sites", "roster", "--site", "yangguang")
    assert "yangguang" in table.stdout and str(HOMES) in table.stdout
    text = frontdesk(var, "sites", "import-roster", str(sheet))
    assert f"{RESIDENTS} residents in {HOMES} homes" in text.stdout
    for out in (table.stdout + table.stderr, text.stdout + text.stderr):
        assert not any(p in out for p in PERSONAL)  # counts, never names or numbers
    assert stat.S_IMODE((var / "frontdesk.db").stat().st_mode) == 0o600


def test_a_broken_roster_names_its_rows_and_changes_nothing(tmp_path):
    var = tmp_path / "var"
    frontdesk(var, "sites", "import-roster", str(write_roster_xlsx(tmp_path / "good.xlsx")))
    rows = list(ROWS)
    rows[5] = (None, None, "1801室", "王建国", "138 1234 567", None, "业主")  # a digit short
    bad = write_roster_xlsx(tmp_path / "bad.xlsx", rows)
    r = frontdesk(var, "sites", "import-roster", str(bad), check=False)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "row 8: 联系电话 has a number of 10 digits (a mobile has 11)" in r.stderr
    assert "nothing imported" in r.stdout
    assert not any(p in r.stdout + r.stderr for p in PERSONAL)
    j = frontdesk_json(var, "sites", "import-roster", str(bad), check=False)
    assert j["imported"] is False and [e["row"] for e in j["errors"]] == [8]
    [kept] = frontdesk_json(var, "sites", "roster")
    assert (kept["file"], kept["residents"]) == ("good.xlsx", RESIDENTS)


def test_bad_input_is_one_line(tmp_path):
    var = tmp_path / "var"
    r = frontdesk(var, "sites", "import-roster", str(tmp_path / "missing.xlsx"), check=False)
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr
    junk = tmp_path / "roster.xlsx"
    junk.write_bytes(b"not a workbook")
    r = frontdesk(var, "sites", "import-roster", str(junk), check=False)
    assert r.returncode == 2 and "not a readable XLSX workbook" in r.stderr
    r = frontdesk(var, "sites", "roster", "--site", "枫林苑", check=False)
    assert r.returncode == 1 and "site 枫林苑 has no roster" in r.stderr
    r = frontdesk(var, "sites", "add", "枫林 苑", check=False)
    assert r.returncode != 0 and "no spaces" in r.stderr and "Traceback" not in r.stderr
