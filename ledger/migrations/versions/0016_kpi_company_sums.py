"""KPI entry and subject sums of the whole company per UTC hour and day

Revision ID: 0016_kpi_company_sums
Revises: 0015_kpi_unfinished
Create Date: 2026-12-01

The company's KPI month summed every site's rows of kpi_entry_sums (categories and
buildings) and kpi_subject_sums: at 50 sites × 31 days with entries spread over 25
buildings and 360 subjects a site, ~420,000 subject rows (99 ms) and ~50,000 entry rows
(61 ms) per request, most of the page's time. These tables hold the same rows summed over
the sites, recounted from the sites' rows whenever those are (ledger/kpi_hours.py); here
from the rows there. A recount moves them by what changed (the recounted sites' rows
taken away, then their new rows added, both as upserts on a unique key), so one site's live
hour does not sum every site's rows of the day again.
"""

import sqlalchemy as sa
from alembic import op

from ledger import kpi_hours

revision = "0016_kpi_company_sums"
down_revision = "0015_kpi_unfinished"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def _counts(*names: str) -> list[sa.Column]:
    return [sa.Column(n, sa.Integer, nullable=False, server_default="0") for n in names]


def upgrade() -> None:
    op.create_table(
        "kpi_company_entry_sums",
        sa.Column("span", sa.String(1), primary_key=True),
        sa.Column("bucket", TIME, primary_key=True),
        sa.Column("kind", sa.String(1), primary_key=True),
        sa.Column("key", sa.String(16), primary_key=True),
        *_counts("registered", "returned", "cb_ok"),
    )
    op.create_table(
        "kpi_company_subject_sums",
        sa.Column("span", sa.String(1), primary_key=True),
        sa.Column("bucket", TIME, primary_key=True),
        sa.Column("category", sa.String(8), primary_key=True),
        # the first 200 characters of the subject, '' for none: a key (a site's subject is
        # free text of any length, and PostgreSQL's unique keys treat NULLs as distinct)
        sa.Column("subject", sa.String(200), primary_key=True),
        *_counts("n"),
    )
    kpi_hours.company_sums(op.get_bind())


def downgrade() -> None:
    op.drop_table("kpi_company_subject_sums")
    op.drop_table("kpi_company_entry_sums")
