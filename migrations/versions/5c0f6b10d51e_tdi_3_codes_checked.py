"""TDI 3.0 items and codes: polydrug use, sex and centre type not known, checked codes

Adds the admission item ``polydrug_use`` (1 yes, 2 no, 99 not known; "99" for the
admissions recorded before), allows sex ``U`` (not known) and centre type ``99`` (not
known), and makes the database check every coded TDI item of an admission against its
code list (with the new codes: injecting and needle sharing ``2`` "ever", HIV and HCV
testing ``2`` "ever tested"). The lists are copies of ``registry.codes`` as of this
revision, so it never changes with the code.

The stored analytics tables have no polydrug breakdown: the upgrade records a data change,
so the analytics worker refreshes them within its usual delay.

An upgrade refuses a database holding a code outside these lists (it names the column
and how many rows), rather than failing half-way on the first constraint. A downgrade
refuses while a client's sex is ``U``, which the earlier schema cannot hold; the other
new codes ("2", centre type "99") stay in their rows, unchecked, as the earlier schema
kept every code.

Revision ID: 5c0f6b10d51e
Revises: 352d9cba3777
Create Date: 2026-12-06 00:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "5c0f6b10d51e"
down_revision = "352d9cba3777"
branch_labels = None
depends_on = None

NOT_KNOWN = "99"
_INJECTING = ("1", "2", "2.1", "2.2", "2.3", "3", "99")
_TESTING = ("1", "2", "2.1", "2.2", "3", "99")
CODED_ITEMS = {
    "ever_treated": ("1", "2", "3"),
    "referral_source": ("1", "2", "3", "4", "5", "6", "7", "99"),
    "living_with": ("1", "2", "3", "4", "5", "6", "7", "99"),
    "living_with_children": ("1", "2", "99"),
    "living_where": ("1", "2", "3", "4", "99"),
    "education": ("1", "2", "3", "4", "99"),
    "labour_status": ("1", "2", "3", "4", "5", "6", "99"),
    "primary_drug": (
        "1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3", "3.4",
        "3.5", "4.1", "4.2", "4.3", "4.4", "5.1", "5.2", "5.3", "6", "7.1", "7.2", "7.3",
        "9", "99",
    ),
    "route": ("1", "2", "3", "4", "5", "99"),
    "frequency": ("1", "2", "3", "4", "5", "99"),
    "injecting": _INJECTING,
    "needle_sharing": _INJECTING,
    "hiv_testing": _TESTING,
    "hcv_testing": _TESTING,
    "polydrug_use": ("1", "2", "99"),
    "ost_history": ("1", "2", "3", "99"),
}  # fmt: skip
SEXES, EARLIER_SEXES = ("M", "F", "U"), ("M", "F")
CENTRE_TYPES = ("1", "2", "3", "4", "5", "6", "99")


def _in(column: str, codes: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(code) for code in codes)})"


def _refuse_codes_outside_the_lists() -> None:
    """Name every column holding a code its new constraint would refuse."""
    connection = op.get_bind()
    checks = [("treatment_episodes", c, codes) for c, codes in CODED_ITEMS.items()
              if c != "polydrug_use"]  # fmt: skip
    checks += [("clients", "sex", SEXES), ("treatment_centres", "tdi_centre_type", CENTRE_TYPES)]
    problems = []
    for table, column, codes in checks:
        # names and codes are this revision's constants, never input
        query = f"SELECT count(*) FROM {table} WHERE NOT {_in(column, codes)}"  # noqa: S608
        count = connection.scalar(sa.text(query))
        if count:
            problems.append(f"{table}.{column}: {count} rows")
    if problems:
        raise RuntimeError(
            "Codes outside the TDI 3.0 code lists (correct them first): " + "; ".join(problems)
        )


def upgrade():
    _refuse_codes_outside_the_lists()
    with op.batch_alter_table("treatment_episodes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("polydrug_use", sa.String(length=8), nullable=False, server_default=NOT_KNOWN)
        )
    with op.batch_alter_table("treatment_episodes", schema=None) as batch_op:
        for column, codes in CODED_ITEMS.items():
            batch_op.create_check_constraint(op.f(f"ck_treatment_episodes_{column}_code"),
                                             _in(column, codes))  # fmt: skip
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_clients_sex_code"), type_="check")
        batch_op.create_check_constraint(op.f("ck_clients_sex_code"), _in("sex", SEXES))
    # the stored analytics tables have no polydrug breakdown yet (they would read zeros):
    # a data change makes the worker refresh them (or run `flask analytics refresh`)
    op.execute("INSERT INTO analytics_changes (at) VALUES (CURRENT_TIMESTAMP)")
    with op.batch_alter_table("treatment_centres", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_treatment_centres_tdi_centre_type_code"),
            _in("tdi_centre_type", CENTRE_TYPES),
        )


def downgrade():
    unknown = op.get_bind().scalar(sa.text("SELECT count(*) FROM clients WHERE sex = 'U'"))
    if unknown:
        raise RuntimeError(
            f"{unknown} clients have sex 'U' (not known), which the earlier schema cannot "
            "hold: the downgrade is refused."
        )
    with op.batch_alter_table("treatment_centres", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_treatment_centres_tdi_centre_type_code"), type_="check")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_clients_sex_code"), type_="check")
        batch_op.create_check_constraint(op.f("ck_clients_sex_code"), _in("sex", EARLIER_SEXES))
    with op.batch_alter_table("treatment_episodes", schema=None) as batch_op:
        for column in CODED_ITEMS:
            batch_op.drop_constraint(op.f(f"ck_treatment_episodes_{column}_code"), type_="check")
        batch_op.drop_column("polydrug_use")
