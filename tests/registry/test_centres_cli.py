"""``flask centres list|add|rename``: centres set up without SQL, shown in Russian."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import AuditEvent, TreatmentCentre


def centre_named(code: str) -> TreatmentCentre | None:
    return db.session.scalar(select(TreatmentCentre).where(TreatmentCentre.code == code))


def test_add_creates_the_centre_with_both_names_and_audits_it(app, runner, registry_data):
    result = runner.invoke(
        args=[
            "centres",
            "add",
            "chu",
            "--name",
            "Chui Oblast Narcology Centre",
            "--name-ru",
            "Чуйский областной центр наркологии",
            "--org-unit",
            "KG-GB",
            "--tdi-type",
            "2",
        ]  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    assert "Created centre CHU" in result.output
    with app.app_context():
        centre = centre_named("CHU")
        assert centre.name_ru == "Чуйский областной центр наркологии"
        assert (centre.kind, centre.tdi_centre_type) == ("narcological_dispensary", "2")
        assert centre.org_unit_id == registry_data.org_units["KG-GB"]
        audit = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "centre"))
        assert (audit.action, audit.entity_id) == ("create", centre.id)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["RNC", "--name", "Again", "--org-unit", "KG-GB"], "code: A centre"),
        (["bad code!", "--name", "X", "--org-unit", "KG-GB"], "code: Use 1-32"),
        (["NEW", "--name", "X", "--org-unit", "NOPE"], "org_unit: No org unit"),
        (["NEW", "--name", "X", "--org-unit", "KG"], "org_unit: Choose the region"),
        (["NEW", "--name", "   ", "--org-unit", "KG-GB"], "name: This field is required"),
        (["NEW", "--name", "x" * 201, "--org-unit", "KG-GB"], "name: Use at most 200"),
        (["NEW", "--name", "X", "--org-unit", "KG-GB", "--kind", "spa"], "'spa' is not one of"),
    ],
)
def test_add_names_the_broken_rule_and_writes_nothing(app, runner, registry_data, args, expected):
    result = runner.invoke(args=["centres", "add", *args])
    assert result.exit_code != 0
    assert expected in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TreatmentCentre)) == len(
            registry_data.centres
        )
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_rename_sets_and_clears_the_russian_name(app, runner, registry_data):
    result = runner.invoke(
        args=["centres", "rename", "rnc", "--name-ru", "Республиканский центр наркологии"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert centre_named("RNC").name_ru == "Республиканский центр наркологии"
    result = runner.invoke(args=["centres", "rename", "RNC", "--name-ru", ""])
    assert result.exit_code == 0, result.output
    with app.app_context():
        centre = centre_named("RNC")
        assert centre.name_ru is None
        assert centre.name == "Republican Narcological Center"
        assert (
            db.session.scalar(
                select(func.count()).where(
                    AuditEvent.entity == "centre", AuditEvent.action == "update"
                )
            )
            == 2
        )


def test_rename_without_a_name_or_of_an_unknown_centre_is_refused(app, runner, registry_data):
    assert "Give a new name" in runner.invoke(args=["centres", "rename", "RNC"]).output
    result = runner.invoke(args=["centres", "rename", "NOPE", "--name", "X"])
    assert result.exit_code != 0
    assert "no centre with code 'NOPE'" in result.output
    assert "--centre" not in result.output  # the argument is CODE


def test_list_prints_every_centre(app, runner, registry_data):
    result = runner.invoke(args=["centres", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == sorted(registry_data.centres)
