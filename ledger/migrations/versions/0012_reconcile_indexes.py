"""the reconciler's reads of a site: entries without a call; a site's calls' numbers

Revision ID: 0012_reconcile_indexes
Revises: 0011_kpi_hours
Create Date: 2026-11-30

Measured with bench/sites.py (50 sites × 31 days, 1.24 M calls, PostgreSQL, load 11–12 on
2 shared cores):

- ix_entries_unlinked: the reconciler matches a window's entries without a call id (typed
  by hand) to calls. They are a few in a site's month, but the (site, created_at) range read
  every entry of the month from the heap to find them (a site-month: 22,000 heap pages,
  0.8–2.2 s → 0.1 ms). A partial index on the condition the query writes
  (``coalesce(call_id, 0) = 0``, literally, so SQLite matches it too) holds only them.
- ix_calls_site_invited also includes caller, callee and direction (PostgreSQL only, like
  0009): which missed calls were called back reads a site's calls of the period by those;
  without them the planner walked every site's calls through ix_calls_invited_at (a
  site-month: 1.0 s → an index-only scan, 46 ms). The index grows 112 → 133 MB at 1.24 M
  calls; it keeps its name and keys, so every query that used it still does.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_reconcile_indexes"
down_revision = "0011_kpi_hours"
branch_labels = None
depends_on = None

UNLINKED = "coalesce(call_id, 0) = 0"
SITE_INVITED = ["outcome", "rings", "recording_path", "ended_at", "id"]  # 0009's
NUMBERS = ["caller", "callee", "direction"]


def _site_invited(include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no INCLUDE
    op.drop_index("ix_calls_site_invited", table_name="calls")
    op.create_index("ix_calls_site_invited", "calls", ["site", "invited_at"],
                    postgresql_include=include)  # fmt: skip


def upgrade() -> None:
    op.create_index("ix_entries_unlinked", "entries", ["site", "created_at"],
                    postgresql_where=sa.text(UNLINKED), sqlite_where=sa.text(UNLINKED))  # fmt: skip
    _site_invited(SITE_INVITED + NUMBERS)


def downgrade() -> None:
    _site_invited(SITE_INVITED)
    op.drop_index("ix_entries_unlinked", table_name="entries")
