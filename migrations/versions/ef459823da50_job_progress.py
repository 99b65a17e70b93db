"""Estimation jobs: progress (done of total) reported by the running job

Revision ID: ef459823da50
Revises: 4b068a9bdde0
Create Date: 2026-12-05 18:10:00.000000

A long job (the capture-recapture bootstrap) reports its progress at its checkpoints;
the job page and GET /api/jobs/<id> show it. Both columns are empty until then.

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ef459823da50"
down_revision = "4b068a9bdde0"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("estimation_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("progress_done", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("progress_total", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("estimation_jobs", schema=None) as batch_op:
        batch_op.drop_column("progress_total")
        batch_op.drop_column("progress_done")
