"""Treatment centres: a Russian name for the Russian interface

Revision ID: 490f073fb87e
Revises: 24d47978f657
Create Date: 2026-12-05 18:20:00.000000

Centre names appeared in English in the Russian interface. The new nullable column
name_ru holds the Russian name (the interface falls back to name when it is empty). The
two Kyrgyz pilot centres of the demo data get theirs here; other centres are named by
an administrator (docs/operations.md).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '490f073fb87e'
down_revision = '24d47978f657'
branch_labels = None
depends_on = None

KNOWN = {
    "RNC": "Республиканский центр наркологии",
    "OSH": "Ошский областной центр наркологии",
}


def upgrade():
    with op.batch_alter_table('treatment_centres', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_ru', sa.String(length=200), nullable=True))
    centres = sa.table('treatment_centres', sa.column('code'), sa.column('name_ru'))
    for code, name_ru in KNOWN.items():
        op.execute(centres.update().where(centres.c.code == code).values(name_ru=name_ru))


def downgrade():
    with op.batch_alter_table('treatment_centres', schema=None) as batch_op:
        batch_op.drop_column('name_ru')
