"""entries by registration time: the KPI page's "last 200 confirmed drafts"

Revision ID: 0008_entries_registered
Revises: 0007_roster
Create Date: 2026-11-30

Measured with bench/sites.py (10 sites × 31 days, 248,000 calls, PostgreSQL, loaded 2 cores):
draft_accuracy's newest 200 registrations (ORDER BY registered_at DESC LIMIT 200) read and
sorted every entry of the site (262 ms; the company's: all 1.15 M at 50 sites); walking
(site, registered_at) or registered_at backwards reads the 200: 2 ms / 0.2 ms.
"""

from alembic import op

revision = "0008_entries_registered"
down_revision = "0007_roster"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_entries_site_registered", "entries", ["site", "registered_at"])
    op.create_index("ix_entries_registered", "entries", ["registered_at"])


def downgrade() -> None:
    op.drop_index("ix_entries_registered", table_name="entries")
    op.drop_index("ix_entries_site_registered", table_name="entries")
