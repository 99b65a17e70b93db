"""Session epoch of users; failed sign-ins per typed name

Revision ID: b1609b215997
Revises: 4f770bcc1625
Create Date: 2026-12-05 12:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b1609b215997'
down_revision = '4f770bcc1625'
branch_labels = None
depends_on = None


def upgrade():
    # Sessions signed in before this revision carry no epoch: they end once, at upgrade.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False)
        )
    op.create_table(
        'sign_in_failures',
        sa.Column('name_key', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name_key', name=op.f('pk_sign_in_failures')),
    )


def downgrade():
    op.drop_table('sign_in_failures')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
