"""rosters: a site's community roster (业主名册) — homes, residents and their numbers

Revision ID: 0007_roster
Revises: 0006_sites
Create Date: 2026-11-30

A roster belongs to a site by its code ("default" on a single-desk install); re-importing
a site's roster replaces its residents and phones (they cascade from the roster row).
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_roster"
down_revision = "0006_sites"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rosters",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("site", sa.String(64), nullable=False, unique=True, server_default="default"),
        sa.Column("file", sa.String(255), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "roster_residents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("roster_id", sa.Integer(), sa.ForeignKey("rosters.id", ondelete="CASCADE"),
                  nullable=False),  # fmt: skip
        sa.Column("building", sa.String(16), nullable=False),
        sa.Column("unit", sa.String(16), nullable=True),
        sa.Column("room", sa.String(16), nullable=True),
        sa.Column("name", sa.String(64), nullable=True),
        sa.Column("relation", sa.String(16), nullable=True),
        sa.Column("row", sa.Integer(), nullable=False),
    )
    op.create_index("ix_roster_residents_home", "roster_residents",
                    ["roster_id", "building", "unit", "room"])  # fmt: skip
    op.create_table(
        "roster_phones",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("roster_id", sa.Integer(), sa.ForeignKey("rosters.id", ondelete="CASCADE"),
                  nullable=False),  # fmt: skip
        sa.Column("resident_id", sa.Integer(),
                  sa.ForeignKey("roster_residents.id", ondelete="CASCADE"), nullable=False),  # fmt: skip
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("key", sa.String(16), nullable=False),
    )
    op.create_index("ix_roster_phones_key", "roster_phones", ["roster_id", "key"])
    op.create_index("ix_roster_phones_resident_id", "roster_phones", ["resident_id"])


def downgrade() -> None:
    op.drop_table("roster_phones")
    op.drop_table("roster_residents")
    op.drop_table("rosters")
