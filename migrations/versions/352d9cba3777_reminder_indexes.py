"""Indexes for the dashboard reminders: open episodes of a centre, a client's tests here

Revision ID: 352d9cba3777
Revises: ab0ad44aa7df
Create Date: 2026-12-06 00:40:00.000000

The reminders (registry/services/reminders.py) walk the centre's open episodes and, for
each client, find the latest test of a kind at the centre. Without these, the first read
every episode of the centre to keep the open ones, and the second scanned every test of
that kind in the registry per client (SQLite picked the (test, sample_date) index).

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "352d9cba3777"
down_revision = "ab0ad44aa7df"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("treatment_episodes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_treatment_episodes_open_centre",
            ["centre_id", "admission_date"],
            unique=False,
            sqlite_where=sa.text("discharge_date IS NULL"),
            postgresql_where=sa.text("discharge_date IS NULL"),
        )
    with op.batch_alter_table("lab_tests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lab_tests_client_centre_test",
            ["client_id", "centre_id", "test", "sample_date"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("lab_tests", schema=None) as batch_op:
        batch_op.drop_index("ix_lab_tests_client_centre_test")
    with op.batch_alter_table("treatment_episodes", schema=None) as batch_op:
        batch_op.drop_index("ix_treatment_episodes_open_centre")
