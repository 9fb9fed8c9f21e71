"""The reconciler: recorded calls × ledger entries → findings a supervisor acts on.

Rule: recorded calls and ledger entries correspond one to one (录音电话内容必须与台账
登记一一对应), every call is registered (所有电话必须登记). Matching: an entry's linked
call first; the unlinked phone entries are then assigned one to one to the recorded calls
still without an entry (ledger.matching: caller number, time, address, content).

Built for a year of a large community (a million calls and entries): calls are streamed in
pages of named rows with times as epoch seconds computed by the database, the checks
that need other rows fetch them per page, findings are written in bulk, and only rows in
the ``since``/``until`` window are read. Content checks compare with the intake of the
call's transcript, cached in the transcript row the first time it is computed.

Findings are persisted under a stable key (kind + subject), so re-runs are idempotent:
a finding no longer detected is resolved by the reconciler; one a supervisor resolved
stays resolved unless its evidence changes (a later change reopens it).

Where each part lives:

    audit.py           run / reconcile: one run, start to end
    settings.py        Rules (the audit's settings), CallReader
    context.py         Ctx: the session, the window, the query helpers of one run
    rows.py            CallRow, EntryRow, LooseEntryRow and the columns they are read from
    paging.py          the calls of a period page by page, the entries of a page
    loose.py           unlinked entries matched to calls; their duplicates
    callbacks.py       which missed calls were returned in time
    checks.py          the rules a call is checked against, one function each
    files.py           the recording files: missing, tampered, named by no row
    content.py         an entry against what the intake heard (CONTENT_MISMATCH)
    intake_cache.py    what the intake heard, cached in the transcript row
    entry_checks.py    orphan entries, overdue callbacks
    detected.py        KINDS, Detected: a finding before it is stored
    findings_store.py  findings upserted and resolved; resolve, finding_to_dict
"""

from ledger.reconcile.audit import reconcile, run
from ledger.reconcile.content import NEEDS_ACTION, NO_ACTION, URGENCY_MATTERS, URGENT_SURE
from ledger.reconcile.detected import KINDS, Detected
from ledger.reconcile.findings_store import RunResult, finding_to_dict, resolve
from ledger.reconcile.intake_cache import INTAKE_CACHE_VERSION, intake_summary
from ledger.reconcile.loose import DUPLICATE_SIMILARITY
from ledger.reconcile.paging import CHUNK
from ledger.reconcile.rows import RECORDED
from ledger.reconcile.settings import CallReader, Rules

__all__ = [
    "CHUNK", "DUPLICATE_SIMILARITY", "INTAKE_CACHE_VERSION", "KINDS", "NEEDS_ACTION",
    "NO_ACTION", "RECORDED", "URGENCY_MATTERS", "URGENT_SURE", "CallReader", "Detected", "Rules",
    "RunResult", "finding_to_dict", "intake_summary", "reconcile", "resolve", "run",
]  # fmt: skip
