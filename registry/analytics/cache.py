"""A short-lived cache of the aggregated counts, keyed on the data's newest rows.

Public interface::

    family_counts(family: str, periods: list[Period]) -> dict[str, Counter]
        # sql.family_counts, reused for ANALYTICS_CACHE_SECONDS (default 300; 0 = off,
        # the default under TESTING) while no table it reads has a new row

Counting people over a million episodes takes seconds; the answer changes only when the
data does. A new admission, enrolment, dose change, test or client changes the key at
once (the largest id of each table: an index lookup); an update of an existing row (a
discharge, an exit) is seen when the entry expires. DHIS2 itself refreshes its analytics
tables on a schedule: figures a few minutes old are the norm for aggregate reporting.
"""

from __future__ import annotations

import time
from collections import Counter

from flask import current_app
from sqlalchemy import func, select

from registry.analytics import sql
from registry.analytics.periods import Period
from registry.extensions import db
from registry.models import (
    Client,
    DoseChange,
    LabTest,
    OstEnrolment,
    RecordAmendment,
    TreatmentEpisode,
)

DEFAULT_SECONDS = 300
_SIZE = 256
_ENTRIES: dict[tuple, tuple[float, dict[str, Counter]]] = {}


def data_version() -> tuple:
    """The largest id of every table the counts read (one round trip).

    A correction changes a row in place and a void may remove the newest one, so the
    newest amendment is part of the version too.
    """
    tables = (TreatmentEpisode, OstEnrolment, DoseChange, LabTest, Client, RecordAmendment)
    query = select(*(select(func.max(t.id)).scalar_subquery() for t in tables))
    return tuple(db.session.execute(query).one())


def family_counts(family: str, periods: list[Period]) -> dict[str, Counter]:
    """:func:`registry.analytics.sql.family_counts`, cached (see the module docstring)."""
    default = 0 if current_app.testing else DEFAULT_SECONDS
    seconds = current_app.config.get("ANALYTICS_CACHE_SECONDS", default)
    if not seconds:
        return sql.family_counts(family, periods)
    url = db.engine.url.render_as_string(hide_password=True)
    key = (url, family, tuple(p.iso for p in periods), data_version())
    hit = _ENTRIES.get(key)
    if hit is not None and time.monotonic() - hit[0] < seconds:
        return hit[1]
    counts = sql.family_counts(family, periods)
    if len(_ENTRIES) >= _SIZE:
        _ENTRIES.pop(next(iter(_ENTRIES.copy()), None), None)  # another thread may evict too
    _ENTRIES[key] = (time.monotonic(), counts)
    return counts
