"""Values written to spreadsheets (CSV, XLSX) as text, never as formulas.

Ledger fields come from agents, imports, PBX CDRs and a caller's SIP From user part: a value
like ``=HYPERLINK("http://…")`` or ``@SUM(…)`` would run as a formula when a supervisor opens
the export in Excel or WPS. In CSV such a value is written with a leading apostrophe (the
spreadsheet convention for "this is text"); in XLSX the cell is typed as a string, which
keeps the value exact. A phone number such as +8613912345678 or -1 is left as it is.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?[\d ()-]*\d[\d ()-]*")
APOSTROPHE = "'"


def risky(value: Any) -> bool:
    return (
        isinstance(value, str)
        and value.startswith(FORMULA_START)
        and not _PLAIN_NUMBER.fullmatch(value)
    )


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell a spreadsheet shows as text."""
    return APOSTROPHE + value if risky(value) else value


def csv_row(values: list[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def from_csv_cell(value: Any) -> Any:
    """A cell of a CSV we may have written: the apostrophe before a formula-like value
    dropped again (so an export imports back unchanged)."""
    if isinstance(value, str) and value.startswith(APOSTROPHE) and risky(value[1:]):
        return value[1:]
    return value


def xlsx_text_cells(row) -> None:
    """Type the cells of an openpyxl row holding formula-like strings as plain strings."""
    for cell in row:
        if cell.data_type == "f" or risky(cell.value):
            cell.data_type = "s"
