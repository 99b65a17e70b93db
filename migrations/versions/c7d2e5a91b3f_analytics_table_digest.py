"""The digest of each analytics table's counts

Revision ID: c7d2e5a91b3f
Revises: 936fbc8bb6ae
Create Date: 2026-12-07 14:40:00.000000

A refresh suppressed every table again with the previous generation's withheld cells
forced, and the greedy search could then withhold more cells of a table whose counts had
not changed (registered clients of 1999 on the demo, with no change of data at all). With
the digest of what a table is a function of (counts, org-unit tree, threshold, code), a
refresh publishes an unchanged table exactly as before. Tables of earlier generations have
no digest: they are suppressed again once, as before.

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c7d2e5a91b3f"
down_revision = "936fbc8bb6ae"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("analytics_tables", schema=None) as batch_op:
        batch_op.add_column(sa.Column("counts_digest", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("analytics_tables", schema=None) as batch_op:
        batch_op.drop_column("counts_digest")
