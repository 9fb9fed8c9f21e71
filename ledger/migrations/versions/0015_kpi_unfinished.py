"""the KPI review's count of unfinished entries: their rows of kpi_entry_sums by time

Revision ID: 0015_kpi_unfinished
Revises: 0014_kpi_call_days
Create Date: 2026-11-30

The KPI page counts the entries still unfinished that were created before the review's
cutoff from kpi_entry_sums' 'u' rows, over the ledger's whole history. Through
ix_kpi_entry_sums_bucket (span, bucket) that read every day row of every kind before the
cutoff and kept the 'u' ones: 2 ms at 50 sites × 31 days, 34 ms at 50 sites × 365 days
(bench/sites.py, EXPLAIN ANALYZE), the company KPI page's largest statement at a year.
ix_kpi_entry_sums_kind (kind, span, bucket; site and registered included on PostgreSQL)
reads the 'u' rows alone, one range per span, index-only once vacuumed: 0.75 ms.
"""

from alembic import op

revision = "0015_kpi_unfinished"
down_revision = "0014_kpi_call_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_kpi_entry_sums_kind", "kpi_entry_sums", ["kind", "span", "bucket"],
                    postgresql_include=["site", "registered"])  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_kpi_entry_sums_kind", table_name="kpi_entry_sums")
