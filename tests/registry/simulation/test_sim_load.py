"""Loading a simulated registry: determinism, counts, no names, OST records, lists, CLI.

Runs on SQLite and PostgreSQL (the ``app`` fixture) at small scales to stay fast.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import String, Text, func, select, text

from estimation.capture_recapture import CaptureHistories, model_average, search_models
from registry.codes import DOSE_CHANGE_REASONS
from registry.extensions import db
from registry.models import (
    Client,
    DoseChange,
    DosingEvent,
    LabTest,
    OstEnrolment,
    TreatmentCentre,
    TreatmentEpisode,
    User,
)
from registry.simulation import writer
from registry.simulation.cli import load_command
from registry.simulation.identities import Coder
from registry.simulation.load import load_demo
from registry.simulation.names import family_names
from registry.simulation.parameters import Parameters
from registry.simulation.simulate import simulate

#: Scale of the registry most tests load (Kyrgyzstan: about 170 people on the register).
LOADED_SCALE = 0.03

#: Columns whose values legitimately differ between two identical loads.
VOLATILE = {"users": {"password_hash", "created_at"}, "audit_events": {"at"},
            "analytics_changes": {"at"}}  # fmt: skip


def canonical_dump() -> dict[str, list[tuple]]:
    """Every row of every table as strings, ordered, without the volatile columns."""
    dump = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name not in VOLATILE.get(table.name, set())]
        rows = db.session.execute(select(*columns).order_by(*table.primary_key.columns)).all()
        dump[table.name] = [tuple(str(value) for value in row) for row in rows]
    return dump


def empty_database(backend: str) -> None:
    """Remove every row (and restart ids) so a second load starts from the same state."""
    db.session.rollback()
    if backend == "postgresql":
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
    else:  # the audit trail refuses DELETE, so start from fresh tables
        db.session.remove()
        db.drop_all()
        db.create_all()


def test_same_seed_gives_an_identical_database(app, backend):
    with app.app_context():
        load_demo("KG", (2002, 2004), scale=0.03, seed=42)
        first = canonical_dump()
        empty_database(backend)
        load_demo("KG", (2002, 2004), scale=0.03, seed=42)
        assert canonical_dump() == first
        assert sum(len(rows) for rows in first.values()) > 1_000


def test_parallel_workers_write_the_same_database(app, backend, monkeypatch, tmp_path):
    monkeypatch.setattr(writer, "CHUNK", 50)  # several chunks even at this small scale
    with app.app_context():
        first = load_demo("KG", (2003, 2004), scale=0.02, seed=8, with_users=False,
                          lists_out=tmp_path / "inline")  # fmt: skip
        inline = canonical_dump()
        empty_database(backend)
        second = load_demo("KG", (2003, 2004), scale=0.02, seed=8, with_users=False, workers=2,
                           lists_out=tmp_path / "forked")  # fmt: skip
        assert canonical_dump() == inline
        assert len(inline["treatment_episodes"]) > 3 * 50
    # with workers the lists are written by a forked process, during the inserts
    assert second.lists == first.lists and first.lists["police"] > 50
    for name in ("police.csv", "prison.csv", "hiv_testing.csv"):
        forked, inline_list = tmp_path / "forked" / name, tmp_path / "inline" / name
        assert forked.read_bytes() == inline_list.read_bytes()


@pytest.fixture
def loaded(app, tmp_path):
    """A Kyrgyz registry of 2002-2004 at :data:`LOADED_SCALE` with its truth file and lists."""
    with app.app_context():
        result = load_demo(
            "KG",
            (2002, 2004),
            scale=LOADED_SCALE,
            seed=7,
            truth_out=tmp_path / "truth.json",
            lists_out=tmp_path / "lists",
        )
    return result, json.loads((tmp_path / "truth.json").read_text()), tmp_path / "lists"


def registered_in(year: int) -> set[str]:
    """Codes of the clients admitted in ``year``: the registry's treatment-entrants list."""
    admitted = func.extract("year", TreatmentEpisode.admission_date)
    query = select(Client.code).join(TreatmentEpisode).where(admitted == year).distinct()
    return set(db.session.scalars(query))


def on_register_at(day: date) -> set[str]:
    """Codes of the clients with a dispensary episode open at the end of ``day`` (the
    ministry's REG_CLIENTS definition, docs/indicators.md)."""
    dispensaries = select(TreatmentCentre.id).where(
        TreatmentCentre.kind == "narcological_dispensary"
    )
    open_then = (TreatmentEpisode.admission_date <= day) & (
        TreatmentEpisode.discharge_date.is_(None) | (TreatmentEpisode.discharge_date > day)
    )
    query = (
        select(Client.code)
        .join(TreatmentEpisode)
        .where(open_then, TreatmentEpisode.centre_id.in_(dispensaries))
        .distinct()
    )
    return set(db.session.scalars(query))


def test_registered_counts_and_demo_accounts(app, loaded):
    result, truth, _lists = loaded
    assert result.rejected == {}
    with app.app_context():
        # DOMAIN §1: 5,600 registered in early 2003, i.e. on the register at the end of 2002
        registered = len(on_register_at(date(2002, 12, 31)))
        assert 5_600 * LOADED_SCALE * 0.8 <= registered <= 5_600 * LOADED_SCALE * 1.2
        assert registered == pytest.approx(truth["national"]["2002"]["registered_people"], abs=2)
        # the register keeps people for years: far more than enter treatment in a year
        assert len(registered_in(2003)) < registered / 3
        assert result.counts["episodes"] == db.session.scalar(func.count(TreatmentEpisode.id))
        users = dict(db.session.execute(select(User.username, User.role)).all())
        assert users == {
            "admin": "admin",
            "clinic-bishkek": "clinic_staff",
            "clinic-osh": "clinic_staff",
            "epi": "epidemiologist",
            "ministry": "ministry",
        }
        assert db.session.scalar(func.count(LabTest.id)) > 0
    true_users = truth["national"]["2003"]["users"]
    assert 10 <= true_users / registered <= 18  # DOMAIN §1 for Kyrgyzstan: 14-18


def test_no_names_anywhere_in_the_database_lists_or_truth(app, backend, loaded, tmp_path):
    _result, _truth, lists = loaded
    names = family_names()
    upper = {name.upper() for name in names}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            textual = [c for c in table.columns if isinstance(c.type, String | Text)]
            for row in db.session.execute(select(*textual)) if textual else ():
                for value in row:
                    if value:
                        assert not any(name in value for name in names), table.name
                        assert value.upper() not in upper, table.name
        if backend == "sqlite":
            database = Path(db.engine.url.database)
            db.session.remove()
            db.engine.dispose()
            content = database.read_bytes()
            assert content.count(b"clinic-bishkek") >= 1  # the scan sees text at all
            for name in names:
                assert name.encode() not in content, name
    for path in [*lists.glob("*.csv"), tmp_path / "truth.json"]:
        content = path.read_text(encoding="utf-8")
        assert not any(name in content for name in names), path.name


def test_typing_errors_give_a_small_share_of_split_identities(app):
    params = Parameters(typo_rate=0.05)
    with app.app_context():
        load_demo("KG", (2003, 2003), scale=0.1, seed=3, with_users=False, params=params)
        clients = db.session.scalar(func.count(Client.id))
        key = app.config["LINKAGE_KEY"]
    sim = simulate("KG", 2003, 2003, scale=0.1, seed=3, params=params)
    episodes, coder = sim.episodes, Coder(key)
    codes = {coder.typed_code(sim.identities, int(person), episodes.typing, i)
             for i, person in enumerate(episodes.person)}  # fmt: skip
    people = len(set(episodes.person.tolist()))
    # the database holds exactly the identities the typed forms produce ...
    assert clients == len(codes)
    # ... one person per code, except the few whose typos changed the coded letters or date
    split = clients / people - 1
    typos_per_person = episodes.typing[1].sum() / people
    assert 0 < split <= typos_per_person
    assert split < 0.1


def test_ost_pilot_records_dosing_dose_changes_and_interruptions(app, loaded):
    with app.app_context():
        on_ost = TreatmentCentre.id == OstEnrolment.centre_id
        sites = set(db.session.scalars(select(TreatmentCentre.code).join(OstEnrolment, on_ost)))
        assert sites == {"RNC", "OSH"}
        first = db.session.scalar(select(func.min(OstEnrolment.enrolment_date)))
        assert first.year == 2002
        phases = set(db.session.scalars(select(DoseChange.phase).distinct()))
        assert {"induction", "maintenance"} <= phases
        reasons = set(db.session.scalars(select(DoseChange.reason).distinct()))
        assert {"induction", "missed_doses"} <= reasons <= set(DOSE_CHANGE_REASONS)
        assert db.session.scalar(select(func.count()).where(DoseChange.note.is_not(None))) == 0
        kinds = set(db.session.scalars(select(DosingEvent.kind).distinct()))
        assert {"observed", "missed"} <= kinds
        episodes = db.session.scalars(select(OstEnrolment.episode_id)).all()
        programmes = db.session.scalars(
            select(TreatmentEpisode.programme).where(TreatmentEpisode.id.in_(episodes))
        ).all()
        assert set(programmes) == {"ost"}


def test_capture_recapture_on_the_loaded_lists_covers_the_truth(app, loaded):
    _result, truth, lists = loaded
    sources = {"registry": set()}
    with app.app_context():
        sources["registry"] = registered_in(2003)
    for name in ("police", "prison", "hiv_testing"):
        with (lists / f"{name}.csv").open(encoding="utf-8") as handle:
            sources[name] = {
                row["client_code"]
                for row in csv.DictReader(handle)
                if row["contact_date"].startswith("2003")
            }
    histories = CaptureHistories.from_sets(sources)
    averaged = model_average(search_models(histories, criterion="aic"), criterion="aic")
    low, high = averaged.conf_int(0.05)
    assert low <= truth["national"]["2003"]["users"] <= high


def test_demo_load_command_through_the_flask_cli(app, tmp_path):
    app.cli.add_command(load_command)
    runner = app.test_cli_runner()
    truth = tmp_path / "truth.json"
    args = [
        "load",
        "--country",
        "TJ",
        "--years",
        "2003-2004",
        "--scale",
        "0.02",
        "--seed",
        "9",
        "--truth-out",
        str(truth),
        "--lists-out",
        str(tmp_path / "lists"),
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "Demo loaded: Republic of Tajikistan 2003-2004" in result.output
    assert json.loads(truth.read_text())["country"] == "TJ"
    assert (tmp_path / "lists" / "police.csv").exists()
    again = runner.invoke(args=["load", "--if-empty", "--scale", "0.02"])
    assert "already has data" in again.output
    refused = runner.invoke(args=["load", "--scale", "0.02"])
    assert refused.exit_code == 1 and "not empty" in refused.output
    bad = runner.invoke(args=["load", "--years", "2004-1998"])
    assert bad.exit_code != 0


def test_demo_is_refused_in_production(app):
    app.config["REGISTRY_ENV"] = "production"
    app.cli.add_command(load_command)
    result = app.test_cli_runner().invoke(args=["load", "--scale", "0.01"])
    assert result.exit_code != 0
    assert "never loaded in production" in result.output
    with app.app_context():
        assert db.session.scalar(func.count(Client.id)) == 0
