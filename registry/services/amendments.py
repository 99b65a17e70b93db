"""Correcting and voiding client-level records, with their amendment history.

Public interface::

    record_at_centre(actor: User, entity: str, record_id: int, centre_id: int) -> Any | None
        # the record if the centre made it (audited "read"), else None (the page: 404)
    correct_record(entity: str, record: Any, data: dict, *, actor: User) -> RecordAmendment
        # data = CORRECTION_SCHEMAS[entity]().load(form); raises correction_problems
    void_record(entity: str, record: Any, data: dict, *, actor: User) -> RecordAmendment
        # data = VoidSchema().load(form); raises void_problems
    correction_problems(entity, record, data, *, refused=()) -> [ServiceError]
        # every rule the correction breaks, or "Nothing was changed." when every value is
        # the one recorded; data may be partial (the fields a failed schema accepted,
        # ``refused`` naming the corrected fields it refused)
    void_problems(entity, record) -> [ServiceError]    # what depends on the record
    history(client_id: int, centre_id: int) -> dict[tuple[str, int], list[RecordAmendment]]
        # every amendment of the client's records at the centre, oldest first, by record
    voided(client_id: int, centre_id: int) -> list[RecordAmendment]   # latest first

``entity`` is a key of :data:`registry.codes.AMENDABLE_RECORDS`. As every service, the
two raise all their problems at once (:func:`registry.services.errors.raise_all`); a
form whose schema failed shows the ``*_problems`` of the valid fields beside its own.
Only the centre that made a record may amend it
(:func:`registry.services.access.ensure_centre_access` on the record's centre). Each
amendment keeps the values it replaced (a correction: ``{field: [old, new]}``; a void:
the record as it was) and writes an audit row ("update", or "delete" for a removed
row) and, like any change of a source table, an analytics change
(:mod:`registry.analytics.changes`). The per-kind rules are in
:mod:`registry.services.amendment_rules`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.extensions import db
from registry.models import RecordAmendment, User
from registry.models.amendments import CORRECT, VOID
from registry.schemas.amendments import CORRECTED_FIELDS
from registry.services.access import ensure_centre_access
from registry.services.amendment_rules import KINDS
from registry.services.audit import record_event
from registry.services.errors import ServiceError, raise_all
from registry.services.ost_induction import follow_induction, induction_change
from registry.services.record_snapshot import plain

#: The entities whose void removes the row (a discharge or exit void reopens it).
REMOVED_BY_VOID = frozenset({"episode", "ost_enrolment", "dosing_event", "dose_change",
                             "lab_test"})  # fmt: skip


def record_at_centre(actor: User, entity: str, record_id: int, centre_id: int) -> Any | None:
    """The record of kind ``entity`` if it exists, applies and belongs to ``centre_id``."""
    ensure_centre_access(actor, centre_id)
    kind = KINDS.get(entity)
    if kind is None:
        return None
    record = db.session.get(kind.model, record_id)
    if record is None or kind.centre_id(record) != centre_id or not kind.applies(record):
        return None
    record_event(actor, "read", kind.audit_entity, record.id, centre_id=centre_id)
    return record


def _changes(entity: str, record: Any, data: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [recorded, corrected]}`` for each corrected field ``data`` changes."""
    changes = {}
    for name in CORRECTED_FIELDS[entity]:
        recorded, corrected = plain(getattr(record, name)), plain(data.get(name))
        if recorded != corrected:
            changes[name] = [recorded, corrected]
    return changes


def correction_problems(
    entity: str, record: Any, data: dict[str, Any], *, refused: Collection[str] = ()
) -> list[ServiceError]:
    """Every rule the correction ``data`` of ``record`` breaks, all at once.

    ``data`` is the loaded form, or the fields a failed schema accepted: a field absent
    from it is not judged, and ``refused`` names corrected fields the schema refused
    (each a change, typed but invalid), so "Nothing was changed." is not said of them.
    """
    kind = KINDS[entity]
    if not kind.applies(record):
        return [ServiceError(_l("There is nothing to correct here."))]
    if not set(refused) & set(CORRECTED_FIELDS[entity]) and not _changes(entity, record, data):
        return [ServiceError(_l("Nothing was changed."))]
    return kind.problems(record, data)


def void_problems(entity: str, record: Any) -> list[ServiceError]:
    """What stands in the way of voiding ``record`` (a later record that depends on it)."""
    kind = KINDS[entity]
    if not kind.applies(record):
        return [ServiceError(_l("There is nothing to void here."))]
    return kind.void_problems(record)


def correct_record(
    entity: str, record: Any, data: dict[str, Any], *, actor: User
) -> RecordAmendment:
    """Give ``record`` the corrected values of ``data``; keep the replaced ones."""
    ensure_centre_access(actor, KINDS[entity].centre_id(record))
    raise_all(correction_problems(entity, record, data))
    changes = _changes(entity, record, data)
    induction = induction_change(record) if entity == "ost_enrolment" else None
    for name in changes:
        setattr(record, name, data.get(name))
    amendment = _amend(entity, record, CORRECT, changes, data, actor=actor)
    if entity == "ost_enrolment":  # the dosing list dispenses by the induction dose change
        follow_induction(record, induction, amendment, actor=actor)
    return amendment


def void_record(entity: str, record: Any, data: dict[str, Any], *, actor: User) -> RecordAmendment:
    """Void ``record`` (entered in error): remove or reopen it; keep what it was."""
    kind = KINDS[entity]
    ensure_centre_access(actor, kind.centre_id(record))
    raise_all(void_problems(entity, record))
    client_id, centre_id, record_id = kind.client_id(record), kind.centre_id(record), record.id
    was = kind.void(record)
    return _amend(
        entity, record, VOID, was, data, actor=actor,
        where=(client_id, centre_id, record_id),
    )  # fmt: skip


def _amend(
    entity: str,
    record: Any,
    action: str,
    changes: dict[str, Any],
    data: dict[str, Any],
    *,
    actor: User,
    where: tuple[int, int, int] | None = None,
) -> RecordAmendment:
    kind = KINDS[entity]
    client_id, centre_id, record_id = where or (
        kind.client_id(record),
        kind.centre_id(record),
        record.id,
    )
    amendment = RecordAmendment(
        entity=entity, record_id=record_id, action=action, client_id=client_id,
        centre_id=centre_id, reason=data["amendment_reason"],
        note=data.get("amendment_note"), changes=changes,
        user_id=actor.id, username=actor.username,
    )  # fmt: skip
    db.session.add(amendment)
    db.session.flush()
    removed = action == VOID and entity in REMOVED_BY_VOID
    fields = ",".join(sorted(k for k in changes if k not in ("doses", "dose_changes")))
    detail = f"{action} {entity} reason={amendment.reason} amendment={amendment.id}"
    record_event(
        actor, "delete" if removed else "update", kind.audit_entity, record_id,
        centre_id=centre_id,
        detail=detail if action == VOID else f"{detail} fields={fields}",
    )  # fmt: skip
    return amendment


def _of_client(client_id: int, centre_id: int) -> Any:
    return select(RecordAmendment).where(
        RecordAmendment.client_id == client_id, RecordAmendment.centre_id == centre_id
    )


def history(client_id: int, centre_id: int) -> dict[tuple[str, int], list[RecordAmendment]]:
    """The amendments of the client's records at the centre, by (entity, record id).

    A discharge's and an OST exit's are also listed under their episode and enrolment
    kinds' own keys (``("discharge", episode id)``...), as they were made.
    """
    found: dict[tuple[str, int], list[RecordAmendment]] = defaultdict(list)
    query = _of_client(client_id, centre_id).order_by(RecordAmendment.id)
    for amendment in db.session.scalars(query):
        found[(amendment.entity, amendment.record_id)].append(amendment)
    return dict(found)


def voided(client_id: int, centre_id: int) -> list[RecordAmendment]:
    """The voids of the client's removed records at the centre, latest first."""
    query = _of_client(client_id, centre_id).where(
        RecordAmendment.action == VOID, RecordAmendment.entity.in_(REMOVED_BY_VOID)
    )
    return list(db.session.scalars(query.order_by(RecordAmendment.id.desc())))
