"""Each episode's last contact at its centre, stored (the dashboard's no-contact list)

Revision ID: 0b847513bc6c
Revises: 5c0f6b10d51e
Create Date: 2026-12-06 03:20:00.000000

The no-contact reminders found, for every open episode of a centre, the client's last
dose given and last test there (two subqueries per episode: 11 ms for the 3,326 open
episodes of the demo's Bishkek centre). The latest of the admission, that dose and that
test is now a column, kept current by registry/services/last_contact.py on every write,
and the list is a range of the index below. The backfill is the same computation.

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0b847513bc6c"
down_revision = "5c0f6b10d51e"
branch_labels = None
depends_on = None

#: The later of two dates (``greatest`` is not in SQLite), as in last_contact.py.
LATER = "CASE WHEN {a} >= {b} THEN {a} ELSE {b} END"
DOSE = """(SELECT max(d.dose_date) FROM ost_dosing_events d
    JOIN ost_enrolments o ON o.id = d.enrolment_id
    WHERE o.client_id = treatment_episodes.client_id
    AND o.centre_id = treatment_episodes.centre_id
    AND d.kind IN ('observed', 'take_home'))"""
TEST = """(SELECT max(t.sample_date) FROM lab_tests t
    WHERE t.client_id = treatment_episodes.client_id
    AND t.centre_id = treatment_episodes.centre_id)"""


def upgrade():
    with op.batch_alter_table("treatment_episodes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_contact_date", sa.Date(), nullable=True))
    admitted = "admission_date"
    with_dose = LATER.format(a=admitted, b=f"coalesce({DOSE}, {admitted})")
    value = LATER.format(a=with_dose, b=f"coalesce({TEST}, {admitted})")
    op.execute(f"UPDATE treatment_episodes SET last_contact_date = {value}")  # noqa: S608
    with op.batch_alter_table("treatment_episodes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_treatment_episodes_open_centre_contact",
            ["centre_id", "last_contact_date"],
            unique=False,
            sqlite_where=sa.text("discharge_date IS NULL"),
            postgresql_where=sa.text("discharge_date IS NULL"),
        )


def downgrade():
    with op.batch_alter_table("treatment_episodes", schema=None) as batch_op:
        batch_op.drop_index("ix_treatment_episodes_open_centre_contact")
        batch_op.drop_column("last_contact_date")
