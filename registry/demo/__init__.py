"""A small, plausible demo registry of the Kyrgyz Republic, 2000-2004.

Public interface (used by ``flask demo load`` and ``flask demo logins``)::

    load_demo(*, seed: int = DEFAULT_SEED, n_clients: int = DEFAULT_CLIENTS) -> DemoSummary
    database_is_empty() -> bool
    DEMO_LOGINS: tuple[tuple[str, str, str | None], ...]   # (username, role, centre code)
    DEMO_PASSWORD = "demo"
    DemoRefusedError                                            # raised in production

Everything is drawn from one seeded ``numpy.random.default_rng(seed)``: the same seed gives
the same registry. The loader adds to the session and flushes; the command commits. A
later issue replaces the records with a full simulator (:mod:`registry.simulation`);
this interface stays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from flask import current_app
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import Client, OrgUnit, TreatmentCentre, User
from registry.services.audit import record_event
from registry.services.users import create_user

from .ost import load_ost_pilot
from .records import load_records
from .reference import load_centres, load_geography, load_populations

DEFAULT_SEED, DEFAULT_CLIENTS = 2003, 3000
DEMO_PASSWORD = "demo"  # noqa: S105  (public by design; refused in production)
DEMO_LOGINS: tuple[tuple[str, str, str | None], ...] = (
    ("admin", "admin", None),
    ("clinic-bishkek", "clinic_staff", "RNC"),
    ("clinic-osh", "clinic_staff", "OSH"),
    ("epi", "epidemiologist", None),
    ("ministry", "ministry", None),
)


class DemoRefusedError(RuntimeError):
    """The demo cannot be loaded here (production, or the database is not empty)."""


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`load_demo` inserted."""

    org_units: int
    populations: int
    centres: int
    clients: int
    ost_enrolments: int
    users: int


def database_is_empty() -> bool:
    """True when there are no org units, centres, clients or users yet."""
    return not any(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (OrgUnit, TreatmentCentre, Client, User)
    )


def load_demo(*, seed: int = DEFAULT_SEED, n_clients: int = DEFAULT_CLIENTS) -> DemoSummary:
    """Fill an empty database with the demo registry and its users (password ``demo``)."""
    if current_app.config["REGISTRY_ENV"] == "production":
        raise DemoRefusedError("the demo (with its password 'demo') is never loaded in production")
    if not database_is_empty():
        raise DemoRefusedError("the database is not empty")
    rng = np.random.default_rng(seed)
    org_units = load_geography()
    populations = load_populations(org_units, rng)
    centres = load_centres(org_units)
    persons = load_records(rng, current_app.config["LINKAGE_KEY"], org_units, centres, n_clients)
    enrolled = load_ost_pilot(rng, persons, centres)
    admin = None
    for username, role, centre_code in DEMO_LOGINS:
        centre = db.session.get(TreatmentCentre, centres[centre_code]) if centre_code else None
        user = create_user(username, DEMO_PASSWORD, role, centre, enforce_policy=False)
        admin = admin or user
    record_event(admin, "create", "demo", None, detail=f"demo load seed={seed}")
    db.session.flush()
    return DemoSummary(
        org_units=len(org_units),
        populations=populations,
        centres=len(centres),
        clients=len(persons),
        ost_enrolments=enrolled,
        users=len(DEMO_LOGINS),
    )
