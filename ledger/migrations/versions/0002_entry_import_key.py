"""entries.import_key: idempotent spreadsheet imports

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("import_key", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_entries_import_key", ["import_key"])


def downgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        batch.drop_constraint("uq_entries_import_key", type_="unique")
        batch.drop_column("import_key")
