"""sites: a sites table, the site of every call, entry, finding and QA sample, and the sites
each console user may see

Revision ID: 0006_sites
Revises: 0005
Create Date: 2026-11-30

Everything already stored was recorded by the one desk there was: it belongs to the default
site ("default"), created here, and every existing console user is assigned to it, so a
single desk sees exactly what it saw before. Each listed table gets (site, its list time)
as an index: a site's day or month is one index range, as the whole ledger's was.
Adding a column with a constant default is instant on PostgreSQL (no table rewrite).
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006_sites"
down_revision = "0005"
branch_labels = None
depends_on = None

DEFAULT = "default"
DEFAULT_NAME = "本站 Default"
# table → (index name, columns)
SITE_INDEXES = {
    "calls": [("ix_calls_site_invited", ["site", "invited_at"])],
    "entries": [
        ("ix_entries_site_created", ["site", "created_at"]),
        ("ix_entries_site_status_created", ["site", "status", "created_at"]),
    ],
    "findings": [("ix_findings_site_detected", ["site", "detected_at"])],
    "qa_samples": [("ix_qa_samples_site_created", ["site", "created_at"])],
}


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(
        sa.text("INSERT INTO sites (code, name, created_at) VALUES (:c, :n, :t)").bindparams(
            sa.bindparam("t", datetime.now(UTC), type_=sa.DateTime(timezone=True)),
            c=DEFAULT,
            n=DEFAULT_NAME,
        )
    )
    for table, indexes in SITE_INDEXES.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("site", sa.String(32), nullable=False, server_default=DEFAULT)
            )
        for name, columns in indexes:
            op.create_index(name, table, columns)

    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("all_sites", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "user_sites",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("site", sa.String(32), nullable=False),
    )
    op.create_index("ix_user_sites_user_site", "user_sites", ["user_id", "site"], unique=True)
    op.execute(
        sa.text("INSERT INTO user_sites (user_id, site) SELECT id, :c FROM users").bindparams(
            c=DEFAULT
        )
    )


def downgrade() -> None:
    op.drop_index("ix_user_sites_user_site", table_name="user_sites")
    op.drop_table("user_sites")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("all_sites")
    for table, indexes in SITE_INDEXES.items():
        for name, _ in indexes:
            op.drop_index(name, table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("site")
    op.drop_table("sites")
