"""Who may touch which client-level records. Deny by default.

Public interface::

    AccessDenied                                    # exception; views answer 403
    can_use_clinic_forms(actor: User | None) -> bool
    ensure_clinic_forms(actor: User | None) -> None         # raises AccessDenied
    ensure_centre_access(actor: User | None, centre_id: int | None) -> None  # raises
    can_access_centre(actor: User | None, centre_id: int | None) -> bool

Rules: an active ``admin`` may use every centre's records; active ``clinic_staff`` only
their own centre's; ``epidemiologist`` and ``ministry`` users never open client-level
records (they work on pseudonymised extracts and aggregates); anyone else is refused.
"""

from __future__ import annotations

from registry.models import User
from registry.models.users import ADMIN, CLINIC_STAFF, EPIDEMIOLOGIST


class AccessDenied(Exception):  # noqa: N818  (the name reads as the HTTP outcome)
    """The actor may not perform this action on this centre's records."""


def _active(actor: User | None) -> bool:
    return actor is not None and bool(actor.active)


def can_use_clinic_forms(actor: User | None) -> bool:
    """True for active admins and clinic staff (the roles that enter client data)."""
    return _active(actor) and actor.role in (ADMIN, CLINIC_STAFF)  # type: ignore[union-attr]


def ensure_clinic_forms(actor: User | None) -> None:
    """Raise :class:`AccessDenied` unless :func:`can_use_clinic_forms`."""
    if not can_use_clinic_forms(actor):
        raise AccessDenied("this role cannot use clinic forms")


def can_access_centre(actor: User | None, centre_id: int | None) -> bool:
    """True if ``actor`` may read and change client records held at ``centre_id``."""
    if not can_use_clinic_forms(actor) or centre_id is None:
        return False
    assert actor is not None
    if actor.role == ADMIN:
        return True
    return actor.centre_id is not None and actor.centre_id == centre_id


def ensure_centre_access(actor: User | None, centre_id: int | None) -> None:
    """Raise :class:`AccessDenied` unless :func:`can_access_centre`."""
    if not can_access_centre(actor, centre_id):
        raise AccessDenied("no access to this centre's records")


def ensure_epidemiology(actor: User | None) -> None:
    """Raise :class:`AccessDenied` unless ``actor`` is an active epidemiologist or admin."""
    if not _active(actor) or actor.role not in (ADMIN, EPIDEMIOLOGIST):  # type: ignore[union-attr]
        raise AccessDenied("estimation studies are for epidemiologists")
