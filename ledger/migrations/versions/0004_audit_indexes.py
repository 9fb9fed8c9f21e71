"""findings: index call_id and entry_id (the audit's caller filter, a call's findings)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

The audit page filters findings by caller number (calls.caller → their calls → findings);
without an index on findings.call_id that was a scan of every finding (155 ms with
190,000 findings). The same columns are the foreign keys a deleted call or entry cascades
through.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_findings_call_id", "findings", ["call_id"])
    op.create_index("ix_findings_entry_id", "findings", ["entry_id"])


def downgrade() -> None:
    op.drop_index("ix_findings_entry_id", table_name="findings")
    op.drop_index("ix_findings_call_id", table_name="findings")
