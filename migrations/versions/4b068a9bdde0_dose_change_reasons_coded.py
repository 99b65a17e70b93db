"""Dose changes: coded reasons, the free text moved to a short note

Revision ID: 4b068a9bdde0
Revises: b1609b215997
Create Date: 2026-12-05 13:00:00.000000

The dose-change reason was free text, and a typed name was stored verbatim. The reason is
now a code of registry.codes.DOSE_CHANGE_REASONS and any text goes to the optional note
(whose form warns never to type names). Existing free text moves to the note unchanged,
with the reason "other": the migration cannot tell a clinical note from a name, so
docs/operations.md asks an administrator to review the moved notes.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4b068a9bdde0'
down_revision = 'b1609b215997'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ost_dose_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.String(length=200), nullable=True))
    op.execute(
        "UPDATE ost_dose_changes SET note = reason, reason = 'other' WHERE reason IS NOT NULL"
    )
    with op.batch_alter_table('ost_dose_changes', schema=None) as batch_op:
        batch_op.alter_column('reason', existing_type=sa.String(length=200),
                              type_=sa.String(length=32), existing_nullable=True)


def downgrade():
    with op.batch_alter_table('ost_dose_changes', schema=None) as batch_op:
        batch_op.alter_column('reason', existing_type=sa.String(length=32),
                              type_=sa.String(length=200), existing_nullable=True)
    # the code's meaning is lost; a note, if any, becomes the free-text reason again
    op.execute("UPDATE ost_dose_changes SET reason = COALESCE(note, reason)")
    with op.batch_alter_table('ost_dose_changes', schema=None) as batch_op:
        batch_op.drop_column('note')
