"""The reconciler's settings from the configuration, in one place for `frontdesk reconcile`,
`frontdesk run`'s periodic audit and the console's re-run."""

from __future__ import annotations

from typing import Any

from frontdesk.config import Config
from frontdesk.reading import reader_for
from ledger.reconcile import Rules as AuditRules


def audit_rules(cfg: Config, **options: Any) -> AuditRules:
    """The site's rules, its recordings, and the worker's reading of each call's transcript."""
    rules = cfg.rules()
    tz = None
    if cfg.console.timezone:  # the site's zone for the findings' wording
        from zoneinfo import ZoneInfo

        tz = ZoneInfo(cfg.console.timezone)
    options = {"outbound_recorded": cfg.ledger.outbound_recorded, "tz": tz, **options}
    return AuditRules(
        grace_s=rules.registration_grace_s,
        max_rings=rules.max_rings,
        callback_s=rules.callback_s,
        match_window_s=rules.match_window_s,
        duration_tolerance_s=rules.duration_tolerance_s,
        recordings_root=cfg.recordings_dir,
        reader=reader_for(cfg.models_dir),
        **options,
    )
