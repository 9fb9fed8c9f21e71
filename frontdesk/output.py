"""Printing records: one JSON document on stdout for scripts, a table for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any


def _default(o: Any) -> Any:
    if isinstance(o, datetime):
        return o.isoformat()
    if hasattr(o, "to_dict"):
        return o.to_dict()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def add_format_arg(parser, default: str = "table") -> None:
    parser.add_argument(
        "--format",
        choices=["table", "json"],
        default=default,
        help=f"output format (default {default}); json prints one document on stdout",
    )


def emit(data: Any, fmt: str, columns: Sequence[str] | None = None) -> None:
    """Print ``data`` (a list of dicts, or one dict) as JSON or as a plain table."""
    if fmt == "json":
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=_default)
        sys.stdout.write("\n")
        return
    rows = data if isinstance(data, list) else [data]
    if not rows:
        print("(none)")
        return
    cols = list(columns or rows[0].keys())
    cells = [[_cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, datetime):
        return v.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, float):
        return f"{v:.2f}"
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False, default=_default)[:60]
    return str(v)
