"""calls.direction: a PBX reports the desk's outbound calls and internal calls too;
entries.urgent may be NULL: not recorded (a sheet without 紧急) is not "not urgent"

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

in        a call to the desk (every call the phone takes; most of a PBX's records)
out       the desk calls someone (a callback to a resident)
internal  between extensions of the PBX
transfer  a later leg of a call the desk transferred (same inbound channel)
Existing calls are all calls to the desk; existing entries keep their urgency.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(
            sa.Column("direction", sa.String(length=8), nullable=False, server_default="in")
        )
    with op.batch_alter_table("entries") as batch:
        batch.alter_column("urgent", existing_type=sa.Boolean(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE entries SET urgent = false WHERE urgent IS NULL")
    with op.batch_alter_table("entries") as batch:
        batch.alter_column("urgent", existing_type=sa.Boolean(), nullable=False)
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("direction")
