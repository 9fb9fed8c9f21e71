"""KPI totals per site and UTC hour, kept up to date by triggers (ledger/kpi_hours.py)

Revision ID: 0011_kpi_hours
Revises: 0010_findings_lists
Create Date: 2026-11-30

The company KPI page summed a month of every site's raw calls and entries per request
(1.24 M calls at 50 sites: ~19 s). kpi_call_hours and kpi_entry_sums hold those sums per
(site, UTC hour); triggers on calls and entries mark the (site, hour) buckets a change
touches in kpi_dirty, and the page recounts its period's dirty buckets before reading.
Existing rows are counted here under the default rules (domain/rules.py); a ledger whose
config sets another grace or callback rule is recounted by `frontdesk ledger rebuild-kpi`
(until then its KPI page counts raw rows, as before). Counting a year of a 50-site company
takes minutes on PostgreSQL.
"""

import sqlalchemy as sa
from alembic import op

from domain.rules import Rules
from ledger import kpi_hours

revision = "0011_kpi_hours"
down_revision = "0010_findings_lists"
branch_labels = None
depends_on = None

SITE = sa.String(32)
TIME = sa.DateTime(timezone=True)


def _counts(*names: str) -> list[sa.Column]:
    return [sa.Column(n, sa.Integer, nullable=False, server_default="0") for n in names]


def upgrade() -> None:
    op.create_table(
        "kpi_call_hours",
        sa.Column("site", SITE, primary_key=True),
        sa.Column("hour", TIME, primary_key=True),
        *_counts("calls", "answered", "ring3", "missed", "recorded", "reg_ok"),
    )
    op.create_index("ix_kpi_call_hours_hour", "kpi_call_hours", ["hour"])
    op.create_table(
        "kpi_entry_sums",
        sa.Column("site", SITE, primary_key=True),
        sa.Column("span", sa.String(1), primary_key=True),
        sa.Column("bucket", TIME, primary_key=True),
        sa.Column("kind", sa.String(1), primary_key=True),
        sa.Column("key", sa.String(16), primary_key=True),
        *_counts("registered", "returned", "cb_ok"),
    )
    op.create_index("ix_kpi_entry_sums_bucket", "kpi_entry_sums", ["span", "bucket"])
    op.create_table(
        "kpi_subject_sums",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("site", SITE, nullable=False),
        sa.Column("span", sa.String(1), nullable=False),
        sa.Column("bucket", TIME, nullable=False),
        sa.Column("category", sa.String(8), nullable=False),
        sa.Column("subject", sa.Text, nullable=True),
        sa.Column("n", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_kpi_subject_sums_bucket", "kpi_subject_sums", ["span", "bucket", "site"])
    op.create_table(
        "kpi_dirty",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("site", SITE, nullable=False),
        sa.Column("hour", TIME, nullable=False),
    )
    op.create_index("ix_kpi_dirty_hour", "kpi_dirty", ["hour"])
    op.create_table(
        "kpi_settings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rules", sa.String(255), nullable=False),
    )
    conn = op.get_bind()
    for ddl in kpi_hours.trigger_ddl(conn.dialect.name):
        op.execute(ddl)
    rules = Rules()
    kpi_hours.rebuild(conn, rules.registration_grace_s, rules.callback_s)


def downgrade() -> None:
    for ddl in kpi_hours.drop_trigger_ddl(op.get_bind().dialect.name):
        op.execute(ddl)
    for table in ("kpi_settings", "kpi_dirty", "kpi_subject_sums", "kpi_entry_sums",
                  "kpi_call_hours"):
        op.drop_table(table)
