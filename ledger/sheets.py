"""Reading the spreadsheets front desks keep: an XLSX's sheets or a CSV (UTF-8 or the GB18030
Excel writes in China), the header found under a title row or two, rows numbered as Excel
shows them. The ledger import and the roster import both read through here."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ledger import sheet_words as words
from ledger.cells import from_csv_cell


class TableError(ValueError):
    pass


HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common


def _read_rows(
    path: Path, known: Callable[[Any], str | None] = words.field_of
) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """The header and the non-empty rows with their spreadsheet row numbers (an XLSX's
    active sheet). The header is the first of the top rows that names at least two columns
    ``known`` knows (a sheet often has its title above it); the roster reads with its own
    header words."""
    if path.suffix.lower() == ".xlsx":
        return _header_and_data([list(r) for r in _workbook(path).active.iter_rows(values_only=True)],
                                known)  # fmt: skip
    return _header_and_data(_csv_rows(path), known)


def _read_sheets(
    path: Path, known: Callable[[Any], str | None] = words.field_of
) -> list[tuple[str, list[str], list[tuple[int, list[Any]]]]]:
    """(title, header, rows) of every worksheet with rows under a header (a roster kept one
    sheet per building); a CSV is one sheet titled ""."""
    if path.suffix.lower() != ".xlsx":
        return [("", *_header_and_data(_csv_rows(path), known))]
    out = []
    for ws in _workbook(path).worksheets:
        header, data = _header_and_data([list(r) for r in ws.iter_rows(values_only=True)], known)
        if data:
            out.append((ws.title, header, data))
    return out


def _workbook(path: Path):
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise TableError(f"{path}: not a readable XLSX workbook ({exc})") from None


def _csv_rows(path: Path) -> list[list[Any]]:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK unless told
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError(f"{path}: neither UTF-8 nor GB18030 text")
    # our own exports escape formulas with a leading '; read them back as written
    return [[from_csv_cell(c) for c in r] for r in csv.reader(io.StringIO(text))]


def _header_and_data(
    rows: list[list[Any]], known: Callable[[Any], str | None]
) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    at = 0
    for i, r in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if sum(1 for h in r if known(h)) >= 2:
            at = i
            break
    if not rows:
        return [], []
    header = [str(h).strip() if h is not None else "" for h in rows[at]]
    data = [
        (n, r)
        for n, r in enumerate(rows[at + 1 :], start=at + 2)  # numbered as Excel shows them
        if any(v not in (None, "") and str(v).strip() for v in r)
    ]
    return header, data
