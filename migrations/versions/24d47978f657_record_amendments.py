"""Record amendments: corrections and voids of client-level records, with old values

Revision ID: 24d47978f657
Revises: ef459823da50
Create Date: 2026-12-05 17:30:00.000000

Staff can now correct and void (entered in error) admissions, discharges, OST
enrolments and exits, doses, dose changes and test results. A correction changes the
record in place and keeps the replaced values here; a void removes the record and keeps
its values here. Rows of this table are never changed or deleted.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '24d47978f657'
down_revision = 'ef459823da50'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'record_amendments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('entity', sa.String(length=32), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('centre_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.Column('note', sa.String(length=100), nullable=True),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('username', sa.String(length=64), nullable=True),
        sa.CheckConstraint("action IN ('correct', 'void')",
                           name=op.f('ck_record_amendments_action_name')),
        sa.ForeignKeyConstraint(['centre_id'], ['treatment_centres.id'],
                                name=op.f('fk_record_amendments_centre_id_treatment_centres')),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'],
                                name=op.f('fk_record_amendments_client_id_clients')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_record_amendments_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_record_amendments')),
    )
    with op.batch_alter_table('record_amendments', schema=None) as batch_op:
        batch_op.create_index('ix_record_amendments_client_centre',
                              ['client_id', 'centre_id'], unique=False)
        batch_op.create_index('ix_record_amendments_record', ['entity', 'record_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('record_amendments', schema=None) as batch_op:
        batch_op.drop_index('ix_record_amendments_record')
        batch_op.drop_index('ix_record_amendments_client_centre')
    op.drop_table('record_amendments')
