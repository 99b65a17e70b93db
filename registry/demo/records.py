"""Demo clients, treatment episodes and laboratory tests, 2000-2004.

Every admission is built as the form would post it and loaded through
:class:`~registry.schemas.AdmissionSchema`, so demo rows obey the same rules as typed
ones; the rows are then bulk-inserted. Opioids dominate (heroin, then opium), then
cannabis; HIV testing becomes more common and HIV more frequent among people who inject
over the years (DOMAIN §1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import insert

from registry.extensions import db
from registry.models import Client, LabTest, TreatmentEpisode
from registry.schemas import AdmissionSchema
from registry.schemas.clients import age_on
from registry.services.client_codes import client_code
from registry.services.episodes import EPISODE_FIELDS

from . import people

K = TypeVar("K")
START, END = date(2000, 1, 1), date(2004, 12, 31)
#: centre code -> (share of clients, {region: share}, {programme: share})
CENTRE_MIX = {
    "RNC": (0.38, {"KG-GB": 0.7, "KG-C": 0.3},
            {"detoxification": 0.6, "inpatient_rehabilitation": 0.2, "outpatient": 0.2}),
    "OSH": (0.27, {"KG-GO": 0.6, "KG-O": 0.4}, {"detoxification": 0.5, "outpatient": 0.5}),
    "JA": (0.12, {"KG-J": 0.8, "KG-B": 0.2}, {"detoxification": 0.6, "outpatient": 0.4}),
    "REHAB-CHUI": (0.08, {"KG-C": 0.6, "KG-GB": 0.3, "KG-Y": 0.1},
                   {"inpatient_rehabilitation": 1.0}),
    "PRISON-CHUI": (0.08, {"KG-C": 0.4, "KG-GB": 0.3, "KG-Y": 0.1, "KG-N": 0.1, "KG-T": 0.1},
                    {"detoxification": 0.5, "other": 0.5}),
    "NGO-BISHKEK": (0.07, {"KG-GB": 1.0}, {"outpatient": 0.7, "other": 0.3}),
}  # fmt: skip
DAYS = {"detoxification": (7, 21), "outpatient": (30, 120),
        "inpatient_rehabilitation": (28, 90), "other": (14, 60)}  # fmt: skip
DRUGS = {"1.1": 0.55, "1.5": 0.18, "7.1": 0.17, "3.4": 0.03, "4.2": 0.03, "6": 0.02, "9": 0.02}
#: primary drug -> {route: share}
ROUTES = {"1.1": {"1": 0.72, "2": 0.18, "4": 0.10}, "1.5": {"1": 0.45, "3": 0.35, "2": 0.20},
          "7.1": {"2": 1.0}, "3.4": {"1": 0.8, "4": 0.2}, "4.2": {"3": 1.0}, "6": {"2": 1.0},
          "9": {"3": 1.0}}  # fmt: skip
DISCHARGES = {
    "completed": 0.38, "completed_drug_free": 0.10, "dropped_out": 0.30, "transferred": 0.06,
    "withdrawn": 0.08, "moved_away": 0.03, "other": 0.05,
}  # fmt: skip


def pick(rng: np.random.Generator, shares: dict[K, float]) -> K:
    """One key of ``shares`` drawn with probability proportional to its share."""
    threshold = rng.random() * sum(shares.values())
    for key, share in shares.items():
        threshold -= share
        if threshold < 0:
            return key
    return key


@dataclass
class DemoPerson:
    """A generated client: id, home centre, and the last admission's loaded form data."""

    client_id: int
    centre: str
    birth_date: date = field(repr=False)
    last_admission: dict[str, Any] = field(repr=False)

    @property
    def opioid_injector(self) -> bool:
        """Primary drug an opioid and injected in the last 12 months."""
        data = self.last_admission
        return data["primary_drug"].startswith("1") and data["injecting"] in ("2.2", "2.3")


#: Items drawn independently of the person: item -> {code: share}.
SOCIAL_ITEMS = {
    "referral_source": {"6": 0.55, "1": 0.15, "4": 0.12, "3": 0.08, "2": 0.05, "99": 0.05},
    "living_with": {"2": 0.45, "3": 0.25, "1": 0.12, "4": 0.08, "7": 0.05, "99": 0.05},
    "living_with_children": {"1": 0.6, "2": 0.3, "99": 0.1},
    "living_where": {"1": 0.85, "2": 0.08, "4": 0.03, "99": 0.04},
    "education": {"3": 0.62, "4": 0.12, "2": 0.15, "1": 0.03, "99": 0.08},
    "labour_status": {"4": 0.5, "1": 0.2, "2": 0.12, "3": 0.05, "5": 0.08, "99": 0.05},
    "hcv_testing": {"1": 0.65, "2.1": 0.1, "2.2": 0.15, "99": 0.1},
}
EVER_TREATED = {"1": 0.8, "2": 0.15, "3": 0.05}
INJECTING_IF_INJECTED = {"2.3": 0.8, "2.2": 0.15, "2.1": 0.05}
INJECTING_OPIOID = {"1": 0.6, "2.1": 0.25, "2.2": 0.15}
INJECTING_OTHER = {"1": 0.9, "2.1": 0.1}
SHARING = {"1": 0.4, "2.1": 0.2, "2.2": 0.2, "2.3": 0.1, "99": 0.1}
FREQUENCY_OPIOID = {"1": 0.65, "2": 0.15, "3": 0.1, "4": 0.1}
FREQUENCY_OTHER = {"1": 0.3, "2": 0.2, "3": 0.25, "4": 0.25}


def admission_form(rng: np.random.Generator, ids: dict[str, str], admitted: date, age: int,
                   previously_treated: bool) -> dict[str, Any]:  # fmt: skip
    """The TDI items of one admission, as form strings."""
    drug = pick(rng, DRUGS)
    route = pick(rng, ROUTES[drug])
    opioid = drug.startswith("1")
    if route == "1":
        injecting = pick(rng, INJECTING_IF_INJECTED)
    else:
        injecting = pick(rng, INJECTING_OPIOID if opioid else INJECTING_OTHER)
    first_use = int(min(age, 13 + rng.gamma(3.0, 2.0)))
    first_injection = None if injecting == "1" else int(min(age, first_use + rng.poisson(1.5)))
    shift = admitted.year - START.year  # HIV testing becomes more common every year
    hiv_testing = {"1": 0.5 - 0.07 * shift, "2.1": 0.2, "2.2": 0.2 + 0.07 * shift, "99": 0.1}
    return {
        **ids,
        **{item: pick(rng, shares) for item, shares in SOCIAL_ITEMS.items()},
        "admission_date": admitted.isoformat(),
        "ever_treated": "2" if previously_treated else pick(rng, EVER_TREATED),
        "primary_drug": drug,
        "route": route,
        "frequency": pick(rng, FREQUENCY_OPIOID if opioid else FREQUENCY_OTHER),
        "age_first_use": str(first_use),
        "secondary_drugs": [d for d in ("8", "7.1", "4.2") if d != drug and rng.random() < 0.25],
        "injecting": injecting,
        "age_first_injection": "" if first_injection is None else str(first_injection),
        "needle_sharing": "1" if injecting == "1" else pick(rng, SHARING),
        "hiv_testing": pick(rng, hiv_testing),
        "ost_history": "1",
    }


def load_records(rng: np.random.Generator, key: str, org_units: dict[str, int],
                 centres: dict[str, int], n_clients: int) -> list[DemoPerson]:  # fmt: skip
    """Insert ``n_clients`` clients with their episodes and lab tests; return the people."""
    schema = AdmissionSchema()
    centre_codes = list(CENTRE_MIX)
    centre_shares = {code: mix[0] for code, mix in CENTRE_MIX.items()}
    year_shares = {year: 1.06 ** (year - START.year) for year in range(START.year, END.year + 1)}
    seen_codes: set[str] = set()
    clients, people_rows, episodes_by_person = [], [], []
    for _ in range(n_clients):
        sex = "M" if rng.random() < 0.85 else "F"
        latin = rng.random() < 0.15
        centre = pick(rng, centre_shares)
        year = pick(rng, year_shares)  # admissions grow about 6% a year
        first = date(year, 1, 1) + timedelta(days=int(rng.integers(0, 365)))
        age = int(min(60, 17 + rng.gamma(3.0, 3.5)))
        born = people.birth_date(rng, first, age)
        ids = {
            "family_name": people.family_name(rng, sex, latin),
            "given_name": people.given_name(rng, sex, latin),
            "birth_date": born.isoformat(),
            "sex": sex,
            "region_code": pick(rng, CENTRE_MIX[centre][1]),
        }
        forms, admitted, previously = [], first, rng.random() < 0.25
        for _episode in range(1 + min(3, int(rng.poisson(0.5)))):
            if admitted > END:
                break
            here = centre if rng.random() < 0.8 else centre_codes[rng.integers(len(centre_codes))]
            programme = pick(rng, CENTRE_MIX[here][2])
            form = admission_form(rng, ids, admitted, age_on(born, admitted), previously)
            data = schema.load({**form, "programme": programme})
            low, high = DAYS[programme]
            discharged = admitted + timedelta(days=int(rng.integers(low, high + 1)))
            forms.append((here, data, discharged if discharged <= END else None))
            if discharged > END:
                break
            previously = True
            admitted = discharged + timedelta(days=int(1 + rng.exponential(200)))
        code = client_code(forms[0][1]["identifiers"], key)
        if code in seen_codes:  # same generated name, birth date and sex: one person
            continue
        seen_codes.add(code)
        clients.append({"code": code, "sex": sex, "birth_year": born.year,
                        "region_id": org_units[ids["region_code"]]})  # fmt: skip
        episodes_by_person.append(forms)
        people_rows.append((centre, born, forms[-1][1]))
    client_ids = db.session.scalars(
        insert(Client).returning(Client.id, sort_by_parameter_order=True), clients
    ).all()
    episodes, tests = [], []
    for client_id, forms in zip(client_ids, episodes_by_person, strict=True):
        hiv_positive = False
        for here, data, discharged in forms:
            episodes.append(_episode_row(rng, client_id, centres[here], data, discharged))
            hiv_positive = _lab_rows(rng, tests, client_id, centres[here], data, hiv_positive)
    db.session.execute(insert(TreatmentEpisode), episodes)
    db.session.execute(insert(LabTest), tests)
    return [
        DemoPerson(client_id=cid, centre=centre, birth_date=born, last_admission=data)
        for cid, (centre, born, data) in zip(client_ids, people_rows, strict=True)
    ]


def _episode_row(rng: np.random.Generator, client_id: int, centre_id: int,
                 data: dict[str, Any], discharged: date | None) -> dict[str, Any]:  # fmt: skip
    """One treatment_episodes row from loaded admission data."""
    row = {name: data[name] for name in EPISODE_FIELDS}
    row.update(
        client_id=client_id,
        centre_id=centre_id,
        age_at_admission=age_on(data["identifiers"].birth_date, data["admission_date"]),
        discharge_date=discharged,
        discharge_reason=pick(rng, DISCHARGES) if discharged else None,
        created_by_id=None,
    )
    return row


def _lab_rows(rng: np.random.Generator, tests: list[dict[str, Any]], client_id: int,
              centre_id: int, data: dict[str, Any], hiv_positive: bool) -> bool:  # fmt: skip
    """Append the tests taken at one admission; return whether the client is HIV positive."""
    admitted: date = data["admission_date"]
    shift = admitted.year - START.year
    injects = data["injecting"] in ("2.1", "2.2", "2.3")
    sample = min(END, admitted + timedelta(days=int(rng.integers(0, 8))))
    if rng.random() < 0.35 + 0.1 * shift:
        p_positive = (0.012 * 1.5**shift) if injects else 0.002
        hiv_positive = hiv_positive or bool(rng.random() < p_positive)
        tests.append(_test(client_id, centre_id, "HIV", sample, hiv_positive))
    if injects and rng.random() < 0.25:
        tests.append(_test(client_id, centre_id, "HCV", sample, bool(rng.random() < 0.45)))
    if rng.random() < 0.08:
        tests.append(_test(client_id, centre_id, "TB", sample, bool(rng.random() < 0.05)))
    return hiv_positive


def _test(client_id: int, centre_id: int, test: str, sample: date, positive: bool) -> dict:
    return {"client_id": client_id, "centre_id": centre_id, "test": test, "sample_date": sample,
            "result": "positive" if positive else "negative", "created_by_id": None}  # fmt: skip
