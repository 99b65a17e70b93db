"""Large identifier uploads paired by the worker: staging rows, upload jobs

Revision ID: ab0ad44aa7df
Revises: 490f073fb87e
Create Date: 2026-12-05 19:00:00.000000

An identifier upload above UPLOAD_BACKGROUND_ROWS is parsed and coded in the request and
stored as staging rows (codes, sex, birth year, keyed hashes of the blocking keys, the
registry matches: no identifier); an estimation job without a study (source_list_id set)
pairs the blocks and writes the codes and pairs.

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ab0ad44aa7df"
down_revision = "490f073fb87e"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "upload_staging",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("blocks", sa.String(length=84), nullable=False),
        sa.Column("registry_pairs", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["source_lists.id"],
            name=op.f("fk_upload_staging_list_id_source_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_staging")),
    )
    with op.batch_alter_table("upload_staging", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_upload_staging_list_id"), ["list_id"], unique=False)
    with op.batch_alter_table("estimation_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_list_id", sa.Integer(), nullable=True))
        batch_op.alter_column("study_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(
            batch_op.f("ix_estimation_jobs_source_list_id"), ["source_list_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_estimation_jobs_source_list_id_source_lists"),
            "source_lists",
            ["source_list_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade():
    op.execute("DELETE FROM estimation_jobs WHERE study_id IS NULL")
    with op.batch_alter_table("estimation_jobs", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_estimation_jobs_source_list_id_source_lists"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_estimation_jobs_source_list_id"))
        batch_op.alter_column("study_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("source_list_id")
    with op.batch_alter_table("upload_staging", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upload_staging_list_id"))
    op.drop_table("upload_staging")
