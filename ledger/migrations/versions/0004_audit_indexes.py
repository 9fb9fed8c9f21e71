"""indexes for the supervisor's pages: findings by call and entry, unfinished entries

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

Measured with 1,000,000 calls (bench/console.py):
- the audit page filters findings by caller number (calls.caller → their calls → findings);
  without an index on findings.call_id that scanned every finding (155 ms with 190,000);
  call_id and entry_id are also the foreign keys a deleted call or entry cascades through;
- the KPI page's unfinished entries (status not closed, older than N days): counting and
  listing them took 33 + 18 ms through ix_entries_status, 0.5 + 0.8 ms through
  (status, created_at).
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_findings_call_id", "findings", ["call_id"])
    op.create_index("ix_findings_entry_id", "findings", ["entry_id"])
    op.create_index("ix_entries_status_created", "entries", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_entries_status_created", table_name="entries")
    op.drop_index("ix_findings_entry_id", table_name="findings")
    op.drop_index("ix_findings_call_id", table_name="findings")
