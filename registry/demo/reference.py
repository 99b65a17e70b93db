"""Reference data of the demo: Kyrgyz org units, populations 2000-2004, centres, users.

Populations are plausible, not official: regional totals for 2003 add up to about 4.9
million (DOMAIN §1 quotes 4,867,481 for early 2003), growing 1.2% a year, split by sex
and TDI age group with a young age structure. They are stored for regions (level 2)
only, so summing them never double counts.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import insert

from registry.codes import AGE_GROUPS
from registry.extensions import db
from registry.models import OrgUnit, Population, TreatmentCentre
from registry.models.geography import COUNTRY, DISTRICT, REGION

YEARS = range(2000, 2005)
BASE_YEAR, GROWTH = 2003, 0.012
MALE_SHARE = 0.494

#: code, English name, Russian name, population in 2003 (thousands), districts.
REGIONS = (
    ("KG-GB", "Bishkek city", "г. Бишкек", 770, ()),
    ("KG-GO", "Osh city", "г. Ош", 225, ()),
    ("KG-C", "Chui region", "Чуйская область", 760,
     (("KG-C-SOK", "Sokuluk district", "Сокулукский район"),
      ("KG-C-ALA", "Alamudun district", "Аламудунский район"))),
    ("KG-O", "Osh region", "Ошская область", 1010,
     (("KG-O-KSU", "Kara-Suu district", "Карасуйский район"),
      ("KG-O-UZG", "Uzgen district", "Узгенский район"))),
    ("KG-J", "Jalal-Abad region", "Джалал-Абадская область", 910,
     (("KG-J-SUZ", "Suzak district", "Сузакский район"),)),
    ("KG-B", "Batken region", "Баткенская область", 390, ()),
    ("KG-Y", "Issyk-Kul region", "Иссык-Кульская область", 420,
     (("KG-Y-KAR", "Karakol city", "г. Каракол"),)),
    ("KG-N", "Naryn region", "Нарынская область", 255, ()),
    ("KG-T", "Talas region", "Таласская область", 205, ()),
)  # fmt: skip

#: Share of the population in each TDI age group (sums to 1).
AGE_SHARES = (0.32, 0.11, 0.095, 0.08, 0.07, 0.07, 0.065, 0.05, 0.035, 0.025, 0.025, 0.055)

#: code, name, kind, TDI centre type, org unit.
CENTRES = (
    ("RNC", "Republican Narcological Center", "narcological_dispensary", "2", "KG-GB"),
    ("OSH", "Osh narcological clinic", "narcological_dispensary", "1", "KG-GO"),
    ("JA", "Jalal-Abad regional narcological dispensary", "narcological_dispensary", "1", "KG-J"),
    ("REHAB-CHUI", "Rehabilitation centre, Sokuluk", "rehabilitation_centre", "2", "KG-C-SOK"),
    ("PRISON-CHUI", "Prison health unit, Chui region", "prison_unit", "3", "KG-C"),
    ("NGO-BISHKEK", "Harm-reduction NGO drop-in, Bishkek", "low_threshold", "5", "KG-GB"),
)


def load_geography() -> dict[str, int]:
    """Insert the country, regions and districts; return ``{code: id}``."""
    ids: dict[str, int] = {}
    country = OrgUnit(
        code="KG", name="Kyrgyz Republic", name_ru="Кыргызская Республика",
        level=COUNTRY, path="/KG/",
    )  # fmt: skip
    db.session.add(country)
    db.session.flush()
    ids["KG"] = country.id
    for code, name, name_ru, _thousands, districts in REGIONS:
        region = OrgUnit(
            code=code, name=name, name_ru=name_ru, level=REGION, parent_id=country.id,
            path=f"/KG/{code}/",
        )  # fmt: skip
        db.session.add(region)
        db.session.flush()
        ids[code] = region.id
        for d_code, d_name, d_name_ru in districts:
            district = OrgUnit(
                code=d_code, name=d_name, name_ru=d_name_ru, level=DISTRICT,
                parent_id=region.id, path=f"/KG/{code}/{d_code}/",
            )  # fmt: skip
            db.session.add(district)
            db.session.flush()
            ids[d_code] = district.id
    return ids


def load_populations(org_units: dict[str, int], rng: np.random.Generator) -> int:
    """Insert populations by region, year, sex and age group; return the row count."""
    shares = np.asarray(AGE_SHARES) / sum(AGE_SHARES)
    rows = []
    for code, _name, _name_ru, thousands, _districts in REGIONS:
        # a little regional variation in the age structure, the same every year
        noise = rng.normal(1, 0.03, len(shares))
        local = shares * noise / (shares * noise).sum()
        for year in YEARS:
            total = thousands * 1000 * (1 + GROWTH) ** (year - BASE_YEAR)
            for sex, sex_share in (("M", MALE_SHARE), ("F", 1 - MALE_SHARE)):
                for group, share in zip(AGE_GROUPS, local, strict=True):
                    rows.append(
                        {
                            "org_unit_id": org_units[code],
                            "year": year,
                            "sex": sex,
                            "age_group": group,
                            "population": round(total * sex_share * share),
                        }
                    )
    db.session.execute(insert(Population), rows)
    return len(rows)


def load_centres(org_units: dict[str, int]) -> dict[str, int]:
    """Insert the demo treatment centres; return ``{code: id}``."""
    ids = {}
    for code, name, kind, tdi_type, unit in CENTRES:
        centre = TreatmentCentre(
            code=code, name=name, kind=kind, tdi_centre_type=tdi_type, org_unit_id=org_units[unit]
        )
        db.session.add(centre)
        db.session.flush()
        ids[code] = centre.id
    return ids
