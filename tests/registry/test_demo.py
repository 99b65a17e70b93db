"""The demo registry: plausible, reproducible, and loadable on both backends."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from registry import create_app
from registry.demo import DEFAULT_CLIENTS, load_demo
from registry.extensions import db
from registry.models import (
    Client,
    DosingEvent,
    LabTest,
    OrgUnit,
    OstEnrolment,
    Population,
    TreatmentCentre,
    TreatmentEpisode,
)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_full_demo_loads_with_its_shape(app):
    with app.app_context():
        summary = load_demo()
        db.session.commit()
        assert DEFAULT_CLIENTS * 0.98 <= count(Client) == summary.clients
        assert count(TreatmentEpisode) > summary.clients
        assert 95 <= count(OstEnrolment) <= 100
        assert count(DosingEvent) > 10_000
        regions = {code for (code,) in db.session.execute(select(OrgUnit.code))}
        assert {
            "KG",
            "KG-GB",
            "KG-GO",
            "KG-C",
            "KG-O",
            "KG-J",
            "KG-B",
            "KG-Y",
            "KG-N",
            "KG-T",
        } <= regions
        assert {"RNC", "OSH"} <= set(db.session.scalars(select(TreatmentCentre.code)))
        total_2003 = db.session.scalar(
            select(func.sum(Population.population)).where(Population.year == 2003)
        )
        assert 4_800_000 <= total_2003 <= 5_000_000
        drugs = dict(
            db.session.execute(
                select(TreatmentEpisode.primary_drug, func.count()).group_by(
                    TreatmentEpisode.primary_drug
                )
            ).all()
        )
        assert max(drugs, key=drugs.get) == "1.1" and drugs["1.5"] > drugs["3.4"]
        hiv_2000 = count(LabTest, LabTest.test == "HIV", LabTest.sample_date < date(2001, 1, 1))
        hiv_2004 = count(LabTest, LabTest.test == "HIV", LabTest.sample_date >= date(2004, 1, 1))
        assert hiv_2004 > 2 * hiv_2000


def test_same_seed_gives_the_same_registry(tmp_path):
    def codes(name: str) -> list[str]:
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{tmp_path / name}",
                "SECRET_KEY": "s" * 40,
                "LINKAGE_KEY": "l" * 40,
            }
        )
        with app.app_context():
            db.create_all()
            load_demo(seed=7, n_clients=150)
            db.session.commit()
            result = list(db.session.scalars(select(Client.code).order_by(Client.id)))
            db.engine.dispose()
        return result

    assert codes("a.sqlite3") == codes("b.sqlite3")
