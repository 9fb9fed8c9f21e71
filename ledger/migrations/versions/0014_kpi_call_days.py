"""KPI call totals per (site, UTC day) and per company hour, summed from kpi_call_hours

Revision ID: 0014_kpi_call_days
Revises: 0013_finding_counts
Create Date: 2026-11-30

The company's KPI month read 23,250 site-hours twice (by site, and by hour for the chart):
most of the page's database time at 50 sites. kpi_call_days holds each (site, UTC day)'s
sums and kpi_company_hours every site's calls and missed calls per UTC hour, both recounted
from kpi_call_hours whenever its rows are (ledger/kpi_hours.py); here from the rows there.
"""

import sqlalchemy as sa
from alembic import op

from ledger import kpi_hours

revision = "0014_kpi_call_days"
down_revision = "0013_finding_counts"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def _counts(*names: str) -> list[sa.Column]:
    return [sa.Column(n, sa.Integer, nullable=False, server_default="0") for n in names]


def upgrade() -> None:
    op.create_table(
        "kpi_call_days",
        sa.Column("site", sa.String(32), primary_key=True),
        sa.Column("day", TIME, primary_key=True),
        *_counts(*kpi_hours.CALL_SUMS),
    )
    op.create_index("ix_kpi_call_days_day", "kpi_call_days", ["day"])
    op.create_table(
        "kpi_company_hours",
        sa.Column("hour", TIME, primary_key=True),
        *_counts("calls", "missed"),
    )
    kpi_hours.rollups(op.get_bind())


def downgrade() -> None:
    op.drop_table("kpi_company_hours")
    op.drop_table("kpi_call_days")
