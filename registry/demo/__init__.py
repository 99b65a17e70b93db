"""Demo accounts and the guards of ``flask demo load``.

The demo registry itself is simulated by :mod:`registry.simulation` (``flask demo load``
wires :data:`registry.simulation.cli.load_command`); this module keeps what the simulator,
the CLI and the tests share::

    DEMO_LOGINS: tuple[tuple[str, str, str | None], ...]   # (username, role, centre code)
    DEMO_PASSWORD = "demo"
    DemoRefusedError                                            # raised in production
    database_is_empty() -> bool
"""

from __future__ import annotations

from sqlalchemy import func, select

from registry.extensions import db
from registry.models import Client, OrgUnit, TreatmentCentre, User

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


def database_is_empty() -> bool:
    """True when there are no org units, centres, clients or users yet."""
    return not any(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (OrgUnit, TreatmentCentre, Client, User)
    )
