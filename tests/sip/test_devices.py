"""`frontdesk devices` on a machine without sound hardware (CI): clean JSON, a clear line."""

import json

from tests.conftest import frontdesk


def test_devices_json_is_clean_and_table_explains_the_null_device(tmp_path):
    r = frontdesk(tmp_path, "devices", "--format", "json")
    rows = json.loads(r.stdout)  # nothing but JSON on stdout, pjlib's banner included
    assert isinstance(rows, list)
    if not rows:
        table = frontdesk(tmp_path, "devices").stdout
        assert "null device" in table
    else:
        assert {"name", "capture", "playback"} <= set(rows[0])
