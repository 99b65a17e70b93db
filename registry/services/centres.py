"""Treatment centres as an administrator sets them up (``flask centres ...``).

::

    add_centre(code, name, *, org_unit_code, kind, tdi_centre_type, name_ru=None)
    rename_centre(centre, *, name=None, name_ru=None)   # "" clears the Russian name

Both raise :class:`ServiceError` naming the broken field (``code``, ``name``, ``name_ru``,
``org_unit``, ``kind``, ``tdi_centre_type``) and add an ``update``/``create`` audit row
(no actor: these are operator commands). The caller commits.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.codes import CENTRE_KINDS, TDI_CENTRE_TYPES
from registry.extensions import db
from registry.models import OrgUnit, TreatmentCentre
from registry.models.geography import COUNTRY
from registry.services.audit import record_event
from registry.services.errors import ServiceError

#: A centre code as users type it after ``--centre``: upper-case letters, digits, dash.
CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
NAME_LENGTH = 200


def add_centre(
    code: str,
    name: str,
    *,
    org_unit_code: str,
    kind: str,
    tdi_centre_type: str,
    name_ru: str | None = None,
) -> TreatmentCentre:
    """Add the centre ``code`` in the region or district ``org_unit_code``; return it."""
    code = (code or "").strip().upper()
    if not CODE_PATTERN.fullmatch(code):
        raise ServiceError(_l("Use 1-32 characters: capital letters, digits, dash."), "code")
    if db.session.scalar(select(TreatmentCentre.id).where(TreatmentCentre.code == code)):
        raise ServiceError(_l("A centre with this code already exists."), "code")
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == org_unit_code))
    if unit is None:
        raise ServiceError(_l("No org unit has this code."), "org_unit")
    if unit.level == COUNTRY:
        raise ServiceError(_l("Choose the region or district the centre is in."), "org_unit")
    if kind not in CENTRE_KINDS:
        raise ServiceError(_l("Not a known centre kind."), "kind")
    if tdi_centre_type not in TDI_CENTRE_TYPES:
        raise ServiceError(_l("Not a TDI treatment-centre type."), "tdi_centre_type")
    centre = TreatmentCentre(
        code=code,
        name=_checked_name(name, "name"),
        name_ru=_checked_name(name_ru, "name_ru") if name_ru else None,
        kind=kind,
        tdi_centre_type=tdi_centre_type,
        org_unit_id=unit.id,
    )
    db.session.add(centre)
    db.session.flush()
    record_event(None, "create", "centre", centre.id, centre_id=centre.id)
    return centre


def rename_centre(
    centre: TreatmentCentre, *, name: str | None = None, name_ru: str | None = None
) -> None:
    """Give ``centre`` a new ``name`` and/or Russian ``name_ru`` (``""`` clears it)."""
    if name is None and name_ru is None:
        raise ServiceError(_l("Give a new name, a Russian name, or both."), "name")
    if name is not None:
        centre.name = _checked_name(name, "name")
    if name_ru is not None:
        centre.name_ru = _checked_name(name_ru, "name_ru") if name_ru.strip() else None
    record_event(None, "update", "centre", centre.id, centre_id=centre.id, detail="renamed")


def _checked_name(value: str | None, field: str) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise ServiceError(_l("This field is required."), field)
    if len(text) > NAME_LENGTH:
        raise ServiceError(_l("Use at most %(n)s characters.", n=NAME_LENGTH), field)
    return text
