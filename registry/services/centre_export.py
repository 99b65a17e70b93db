"""Export of a centre's own treatment episodes, for its reports (CSV and XLSX).

Public interface::

    EXPORT_COLUMNS: tuple[str, ...]
    centre_episodes(actor: User, centre_id: int) -> Iterator[tuple]   # audited
    safe_cell(value) -> value            # text a spreadsheet will not run as a formula

One row per episode held at the centre: the client code, sex and birth year (no
identifying field is stored, so none can be exported), every TDI 3.0 item as its code,
and the discharge. Only the actor's own centre is readable (deny by default); the export
is audited as one ``read`` of the centre's episodes with the number of rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import select

from registry.extensions import db
from registry.models import Client, TreatmentEpisode, User
from registry.services.access import ensure_centre_access
from registry.services.audit import record_event
from registry.services.episodes import EPISODE_FIELDS
from registry.spreadsheets import defuse_formula

EXPORT_COLUMNS = (
    "client_code", "sex", "birth_year", "episode_id", "age_at_admission", *EPISODE_FIELDS,
    "discharge_date", "discharge_reason",
)  # fmt: skip


def safe_cell(value: Any) -> Any:
    """``value`` ready for a spreadsheet: lists joined, dates ISO, formulas defused.

    Text that starts like a formula gets a leading apostrophe, so Excel and LibreOffice
    show it as text instead of evaluating it. Codes never start so, but a future free
    text column would, and the guard costs nothing.
    """
    if value is None:
        return ""
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return defuse_formula(value)


def centre_episodes(actor: User, centre_id: int) -> Iterator[tuple[Any, ...]]:
    """Every episode of the centre as a row of :data:`EXPORT_COLUMNS` (audited)."""
    ensure_centre_access(actor, centre_id)
    episode = TreatmentEpisode
    columns = [getattr(episode, name) for name in EXPORT_COLUMNS[4:]]
    rows = db.session.execute(
        select(Client.code, Client.sex, Client.birth_year, episode.id, *columns)
        .join(Client, Client.id == episode.client_id)
        .where(episode.centre_id == centre_id)
        .order_by(episode.admission_date, episode.id)
    ).all()
    record_event(
        actor, "read", "episode", None, centre_id=centre_id,
        detail=f"list=export n={len(rows)}",
    )  # fmt: skip
    return (tuple(safe_cell(v) for v in row) for row in rows)
