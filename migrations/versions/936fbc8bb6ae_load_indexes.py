"""Indexes for the load: the years of the admissions, the centre's open injecting episodes

Revision ID: 936fbc8bb6ae
Revises: 0b847513bc6c
Create Date: 2026-12-06 06:40:00.000000

The ministry dashboard and each of its plots ask for the first and last admission date
(the years it offers): without an index on the date that read every episode of the
registry (2.5-7 ms a request on the demo). The dashboard's re-test reminders start from
the centre's open episodes that record injecting: the open-episode index had neither
the injecting code nor the client, so SQLite read every open episode's row (3,326 at
the demo's largest centre) to keep about half of them; this one answers from the index.

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "936fbc8bb6ae"
down_revision = "0b847513bc6c"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("treatment_episodes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_treatment_episodes_admission_date", ["admission_date"], unique=False
        )
        batch_op.create_index(
            "ix_treatment_episodes_open_centre_injecting",
            ["centre_id", "injecting", "client_id"],
            unique=False,
            sqlite_where=sa.text("discharge_date IS NULL"),
            postgresql_where=sa.text("discharge_date IS NULL"),
        )


def downgrade():
    with op.batch_alter_table("treatment_episodes", schema=None) as batch_op:
        batch_op.drop_index("ix_treatment_episodes_open_centre_injecting")
        batch_op.drop_index("ix_treatment_episodes_admission_date")
