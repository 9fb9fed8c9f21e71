"""Progress of long work (importing two years of CDRs, a 50,000-row ledger, a year's
reconcile) on a terminal: counts, rate and time left, drawn by tqdm on stderr. Never when
stderr is not a terminal (cron, pipes, tests) or when the output is --format json."""

from __future__ import annotations

import shutil
import sys
from typing import Any


class Progress:
    """A ``progress(stage, done, total)`` callback for ledger functions: one bar per stage."""

    def __init__(self, enabled: bool, unit: str = "rows"):
        self.enabled = enabled
        self.unit = unit
        self.stage: str | None = None
        self.bar: Any = None

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        if stage != self.stage:
            self.close()
            from tqdm import tqdm

            self.stage = stage
            size = shutil.get_terminal_size((100, 24))  # a terminal without a size says 0 x 0,
            self.bar = tqdm(total=total, desc=stage, unit=self.unit, file=sys.stderr,
                            ncols=size.columns or 100, nrows=size.lines or 24,  # and tqdm hides
                            mininterval=0.25, leave=True)  # fmt: skip
        if done > self.bar.n:
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress_for(fmt: str, unit: str = "rows") -> Progress:
    """Bars only for a person at a terminal reading tables, never inside JSON output."""
    return Progress(fmt != "json" and sys.stderr.isatty(), unit)
