"""covering indexes for the KPI page's month of a site (PostgreSQL only)

Revision ID: 0009_kpi_covering
Revises: 0008_entries_registered
Create Date: 2026-11-30

Desks write their calls at once, so a site's month is spread over every heap page of the
company's month: at 50 sites (bench/sites.py, 1.24 M calls) one site's 24,800 calls read
24,864 pages through ix_calls_site_invited (548 ms); an index-only scan of the columns the
page counts reads 287 (120 ms). Its entries' categories and callbacks the same way (22,000
pages, 502 ms → index only, 37 ms); the registration-in-time lookup probed entries' heap once
per call (653 ms), (call_id) INCLUDE (registered_at) answers it from the index (177 ms). All
on a loaded 2-core machine. The three indexes keep their names and keys, with INCLUDE columns
added: every query that used them still does. SQLite has no INCLUDE: nothing changes there.
Rebuilding them takes minutes on a year of a 50-site company.
"""

from alembic import op

revision = "0009_kpi_covering"
down_revision = "0008_entries_registered"
branch_labels = None
depends_on = None

# index → (table, key columns, included columns); never the summary (Text, unbounded)
COVERING = {
    "ix_calls_site_invited": (
        "calls", ["site", "invited_at"], ["outcome", "rings", "recording_path", "ended_at", "id"]
    ),
    "ix_entries_site_created": (
        "entries", ["site", "created_at"],
        ["category", "building", "status", "returned_at", "callback_at"],
    ),
    "ix_entries_call_id": ("entries", ["call_id"], ["registered_at"]),
}  # fmt: skip


def _rebuild(covering: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (table, keys, include) in COVERING.items():
        op.drop_index(name, table_name=table)
        op.create_index(name, table, keys, postgresql_include=include if covering else [])


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
