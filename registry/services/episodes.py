"""Treatment episodes: admission (finds or creates the client) and discharge.

Public interface::

    admit_client(data: dict, *, actor: User, centre: TreatmentCentre) -> TreatmentEpisode
        # data = AdmissionSchema().load(form); the episode's ``region_moved_from`` is the
        # region the client left if this admission moved them (else None)
        # ServiceError on "region_code" or "admission_date" (inside an earlier episode of
        # the programme there); ClientAlreadyAdmittedError (a ServiceError on "programme", with
        # the client's id) for a second open episode of a programme per client and centre;
        # NearClientsError (on "near_match") when no client has these identifiers but
        # clients of the centre are one spelling edit away and data["near_match"] (a near
        # client's id, or "new") does not say which person this is
    discharge_episode(episode: TreatmentEpisode, data: dict, *, actor: User) -> TreatmentEpisode
        # data = DischargeSchema().load(form); ServiceError on "discharge_date" / None
    get_episode(episode_id: int, *, actor: User) -> TreatmentEpisode | None

Every function checks the actor's access to the centre (:class:`AccessDenied`) and
writes the audit trail. Rules are checked before anything is added to the session, so a
rejected admission leaves nothing behind even before the view rolls back.

Two desks may save the same admission at the same moment. The client is then created
once (see :func:`registry.services.clients._find_or_create`); the second desk's episode
is refused with :class:`ClientAlreadyAdmittedError`, whether the other desk's episode was
committed before our check (the check is repeated once the client is found) or only
while ours was being inserted (the open-programme unique index; the insert runs in a
savepoint, so the session stays usable and the error, not a 500, reaches the form).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from registry.extensions import db
from registry.models import Client, OrgUnit, TreatmentCentre, TreatmentEpisode, User
from registry.schemas.clients import age_on
from registry.services.access import ensure_centre_access
from registry.services.audit import record_event
from registry.services.client_codes import ClientIdentifiers
from registry.services.clients import (
    _find_or_create,
    client_by_code,
    registered_code,
    resolve_region,
)
from registry.services.errors import (
    ClientAlreadyAdmittedError,
    NearClientsError,
    ServiceError,
    raise_all,
)
from registry.services.near_clients import near_clients, record_near_decision

#: The ``near_match`` answer "a new person" (otherwise the id of the near client chosen).
NEW_PERSON = "new"

#: AdmissionSchema keys that are episode columns (the rest are identifiers/region).
EPISODE_FIELDS = (
    "programme", "admission_date", "ever_treated", "referral_source", "living_with",
    "living_with_children", "living_where", "education", "labour_status", "primary_drug",
    "route", "frequency", "age_first_use", "secondary_drugs", "injecting",
    "age_first_injection", "needle_sharing", "hiv_testing", "hcv_testing", "polydrug_use",
    "ost_history", "ost_first_year",
)  # fmt: skip


def admit_client(data: dict[str, Any], *, actor: User, centre: TreatmentCentre) -> TreatmentEpisode:
    """Admit the person ``data["identifiers"]`` names to ``data["programme"]`` at ``centre``.

    Finds or creates the client by code; refuses a second open episode of the same
    programme for the client at this centre (:class:`ClientAlreadyAdmittedError`) and an
    admission inside an earlier episode of it (``ServiceError`` on ``admission_date``).
    """
    ensure_centre_access(actor, centre.id)
    ids = data["identifiers"]
    errors, code, existing, near = _admission_check(data, centre)
    raise_all(errors)
    region = resolve_region(data["region_code"])
    age = age_on(ids.birth_date, data["admission_date"])
    rules = (centre.id, data["programme"], data["admission_date"])
    client, created = _find_or_create(code, ids, region, actor)
    moved_from = None
    if not created:
        moved_from = _follow_residence(client, region, data["admission_date"], actor, centre)
    del ids  # the identifiers are not needed past this point
    if near:
        decision = "new" if created else "existing"
        record_near_decision(actor, centre.id, client.id, [c.id for c in near], decision)
    just_created = existing is None and not created  # by another desk, a moment ago
    if just_created:
        _check_no_overlap(client.id, *rules, just_created=True)
    episode = TreatmentEpisode(
        client=client,
        centre_id=centre.id,
        age_at_admission=age,
        created_by_id=actor.id,
        **{name: data[name] for name in EPISODE_FIELDS},
    )
    try:
        with db.session.begin_nested():
            db.session.add(episode)
            db.session.flush()
    except IntegrityError:
        # the same episode saved at this moment by another desk (open-programme index)
        _check_no_overlap(client.id, *rules, just_created=existing is None)
        raise
    record_event(
        actor, "create", "episode", episode.id, centre_id=centre.id,
        detail=f"programme={episode.programme}",
    )  # fmt: skip
    episode.region_moved_from = moved_from  # for the confirmation (not a column)
    return episode


def admission_problems(data: dict[str, Any], centre: TreatmentCentre) -> list[ServiceError]:
    """Every rule of an admission that ``data`` breaks, all at once: the region, the
    near-spelling question, and the episode rules for an existing client. ``data`` is
    the loaded form, or the fields a failed schema accepted (identifiers still loose)."""
    return _admission_check(data, centre)[0]


def _admission_check(
    data: dict[str, Any], centre: TreatmentCentre
) -> tuple[list[ServiceError], str | None, Client | None, list[Client]]:
    """``(errors, the code to admit under, the existing client, the near clients)``."""
    errors: list[ServiceError] = []
    if data.get("region_code"):
        try:
            resolve_region(data["region_code"])
        except ServiceError as error:
            errors.append(error)
    ids = data.get("identifiers") or _loose_identifiers(data)
    if ids is None:
        return errors, None, None, []
    code = registered_code(ids)
    existing = client_by_code(code)
    near: list[Client] = []
    if existing is None:
        near = near_clients(ids, centre_id=centre.id, own_code=code)
        try:
            existing = _near_decision(near, data.get("near_match"))
        except NearClientsError as warning:
            errors.append(warning)
        code = existing.code if existing is not None else code
    if existing is not None and data.get("programme") and data.get("admission_date"):
        try:
            _check_no_overlap(existing.id, centre.id, data["programme"], data["admission_date"])
        except ServiceError as error:
            errors.append(error)
    return errors, code, existing, near


def _loose_identifiers(data: dict[str, Any]) -> ClientIdentifiers | None:
    """The identifiers of a form whose schema failed, if all four were valid."""
    names = ("family_name", "given_name", "birth_date", "sex")
    if not all(data.get(name) for name in names):
        return None
    return ClientIdentifiers(*(data[name] for name in names))


def _near_decision(near: list[Client], choice: str | None) -> Client | None:
    """The near client staff chose (``None``: a new person); asks when they have not."""
    if not near:
        return None
    if not choice:
        raise NearClientsError(near)
    if choice == NEW_PERSON:
        return None
    chosen = [client for client in near if str(client.id) == choice]
    if not chosen:
        raise NearClientsError(near, _l("Choose one of the clients listed, or a new person."))
    return chosen[0]


def _follow_residence(
    client: Client, region: OrgUnit, admitted: date, actor: User, centre: TreatmentCentre
) -> OrgUnit | None:
    """The client's region is the region of residence stated at their latest admission.

    An admission dated on or after every earlier one (at any centre) moves the client to
    the region stated now; a back-dated one leaves it. The change is audited (codes and the
    admission date: ``region=NEW from=OLD admitted=YYYY-MM-DD``). Returns the region the
    client moved from, if they moved.
    """
    if client.region_id == region.id:
        return None
    latest = db.session.scalar(
        select(func.max(TreatmentEpisode.admission_date)).where(
            TreatmentEpisode.client_id == client.id
        )
    )
    if latest is not None and admitted < latest:
        return None
    previous = db.session.get(OrgUnit, client.region_id) if client.region_id else None
    client.region_id = region.id
    moved = f"region={region.code} from={previous.code if previous else ''} admitted={admitted}"
    record_event(actor, "update", "client", client.id, centre_id=centre.id, detail=moved)
    return previous


def _check_no_overlap(
    client_id: int, centre_id: int, programme: str, admitted: date, *, just_created: bool = False
) -> None:
    """Refuse a second open episode of a programme, or one inside an earlier episode.

    ``just_created``: the client was created by another desk during this admission.
    """
    same = select(TreatmentEpisode.id).where(
        TreatmentEpisode.client_id == client_id,
        TreatmentEpisode.centre_id == centre_id,
        TreatmentEpisode.programme == programme,
    )
    if db.session.scalar(same.where(TreatmentEpisode.discharge_date.is_(None))) is not None:
        message = (
            _l("Another desk has just admitted this new client to this programme here.")
            if just_created
            else _l("This client already has an open episode of this programme here.")
        )
        raise ClientAlreadyAdmittedError(message, client_id=client_id, just_created=just_created)
    inside = same.where(
        TreatmentEpisode.admission_date <= admitted, TreatmentEpisode.discharge_date > admitted
    )
    if db.session.scalar(inside) is not None:
        raise ServiceError(
            _l("This date falls within an earlier episode of this programme here."),
            "admission_date",
        )


def discharge_problems(episode: TreatmentEpisode, data: dict[str, Any]) -> list[ServiceError]:
    """Every rule of a discharge that ``data`` (possibly partial) breaks."""
    if not episode.is_open:
        return [ServiceError(_l("This episode has already been discharged."))]
    day = data.get("discharge_date")
    if day is not None and day < episode.admission_date:
        return [ServiceError(_l("Cannot be before the admission date."), "discharge_date")]
    return []


def discharge_episode(
    episode: TreatmentEpisode, data: dict[str, Any], *, actor: User
) -> TreatmentEpisode:
    """Close ``episode`` with ``data["discharge_date"]`` and ``data["discharge_reason"]``."""
    ensure_centre_access(actor, episode.centre_id)
    raise_all(discharge_problems(episode, data))
    episode.discharge_date = data["discharge_date"]
    episode.discharge_reason = data["discharge_reason"]
    db.session.flush()
    record_event(
        actor, "update", "episode", episode.id, centre_id=episode.centre_id,
        detail=f"discharge_reason={episode.discharge_reason}",
    )  # fmt: skip
    return episode


def get_episode(episode_id: int, *, actor: User) -> TreatmentEpisode | None:
    """The episode with this id if the actor may see its centre (audited ``read``).

    Returns ``None`` if there is no such episode; raises :class:`AccessDenied` if it
    belongs to a centre the actor may not see.
    """
    episode = db.session.get(TreatmentEpisode, episode_id)
    if episode is None:
        return None
    ensure_centre_access(actor, episode.centre_id)
    record_event(actor, "read", "episode", episode.id, centre_id=episode.centre_id)
    return episode
