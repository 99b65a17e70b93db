"""Reference data for a simulated country: org units, populations, centres and demo users.

Org units are the country and its regions (ISO 3166-2 codes where they exist); the
population denominators are the profile's 2003 regional figures, growing 1.2% a year and
split by sex and TDI age group with a young age structure (plausible, not official).
Users are created through :func:`registry.services.users.create_user`.
"""

from __future__ import annotations

from sqlalchemy import insert, select

from registry.codes import AGE_GROUPS
from registry.demo import DEMO_LOGINS, DEMO_PASSWORD
from registry.extensions import db
from registry.models import OrgUnit, Population, TreatmentCentre, User
from registry.models.geography import COUNTRY, REGION
from registry.services.users import create_user
from registry.simulation.profiles import CountryProfile, centre_name

POPULATION_GROWTH = 0.012
MALE_SHARE = 0.494
AGE_SHARES = (0.32, 0.11, 0.095, 0.08, 0.07, 0.07, 0.065, 0.05, 0.035, 0.025, 0.025, 0.055)

#: TDI centre type of the pilot centres (RNC has inpatient beds); the others outpatient.
TDI_TYPES = {"RNC": "2"}


def load_geography(profile: CountryProfile) -> dict[str, int]:
    """Insert (or find) the country and its regions; return ``{code: id}``."""
    existing = dict(db.session.execute(select(OrgUnit.code, OrgUnit.id)).all())
    if profile.code not in existing:
        country = OrgUnit(code=profile.code, name=profile.name, name_ru=profile.name_ru,
                          level=COUNTRY, path=f"/{profile.code}/")  # fmt: skip
        db.session.add(country)
        db.session.flush()
        existing[profile.code] = country.id
    for region in profile.regions:
        if region.code not in existing:
            unit = OrgUnit(code=region.code, name=region.name, name_ru=region.name_ru,
                           level=REGION, parent_id=existing[profile.code],
                           path=f"/{profile.code}/{region.code}/")  # fmt: skip
            db.session.add(unit)
            db.session.flush()
            existing[region.code] = unit.id
    return existing


def load_populations(profile: CountryProfile, org_units: dict[str, int], years: range) -> int:
    """Insert regional populations by year, sex and age group; return the row count."""
    have = set(db.session.execute(select(Population.org_unit_id, Population.year)).all())
    shares = [s / sum(AGE_SHARES) for s in AGE_SHARES]
    # regional figures are rounded shares: scale them onto the national 2003 population
    national = profile.population / (1000 * sum(r.population for r in profile.regions))
    rows = []
    for region in profile.regions:
        unit = org_units[region.code]
        for year in years:
            if (unit, year) in have:
                continue
            total = region.population * 1000 * national * (1 + POPULATION_GROWTH) ** (year - 2003)
            for sex, sex_share in (("M", MALE_SHARE), ("F", 1 - MALE_SHARE)):
                for group, share in zip(AGE_GROUPS, shares, strict=True):
                    rows.append({"org_unit_id": unit, "year": year, "sex": sex,
                                 "age_group": group,
                                 "population": round(total * sex_share * share)})  # fmt: skip
    if rows:
        db.session.execute(insert(Population), rows)
    return len(rows)


def load_centres(profile: CountryProfile, org_units: dict[str, int]) -> dict[str, int]:
    """Insert (or find) each region's narcological centre; return ``{code: id}``."""
    existing = dict(db.session.execute(select(TreatmentCentre.code, TreatmentCentre.id)).all())
    for region in profile.regions:
        if region.centre in existing:
            continue
        name, name_ru = centre_name(region.centre, region)
        centre = TreatmentCentre(code=region.centre, name=name, name_ru=name_ru,
                                 kind="narcological_dispensary",
                                 tdi_centre_type=TDI_TYPES.get(region.centre, "1"),
                                 org_unit_id=org_units[region.code])  # fmt: skip
        db.session.add(centre)
        db.session.flush()
        existing[region.centre] = centre.id
    return existing


def demo_users(profile: CountryProfile) -> list[tuple[str, str, str | None]]:
    """(username, role, centre code) of the demo accounts for ``profile``.

    Kyrgyzstan gets the accounts of :data:`registry.demo.DEMO_LOGINS` (``clinic-bishkek``
    at RNC, ``clinic-osh`` at OSH); other countries get one clinic account for each of the
    first two centres, named ``clinic-<centre code>``.
    """
    if profile.code == "KG":
        return list(DEMO_LOGINS)
    centres = list(dict.fromkeys(r.centre for r in profile.regions))[:2]
    clinics = [(f"clinic-{c.lower()}", "clinic_staff", c) for c in centres]
    return [("admin", "admin", None), *clinics, ("epi", "epidemiologist", None),
            ("ministry", "ministry", None)]  # fmt: skip


def load_users(profile: CountryProfile, centres: dict[str, int]) -> list[str]:
    """Create the demo accounts that do not exist yet (password ``demo``); return their names."""
    existing = set(db.session.scalars(select(User.username)))
    created = []
    for username, role, centre_code in demo_users(profile):
        if username in existing:
            continue
        centre = db.session.get(TreatmentCentre, centres[centre_code]) if centre_code else None
        create_user(username, DEMO_PASSWORD, role, centre, enforce_policy=False)
        created.append(username)
    return created
