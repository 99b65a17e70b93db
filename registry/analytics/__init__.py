"""Aggregate indicators for ministries: DHIS2-style analytics with disclosure control.

Public interface (what the API, the dashboard and the bench call)::

    parse_request(args: Mapping[str, str | list[str]], *, today: date | None = None)
        -> AnalyticsRequest          # DHIS2 query parameters; ServiceError(field=...) on bad input
    run_query(request: AnalyticsRequest, *, actor: User) -> AnalyticsResponse
        # AccessDenied unless the actor is an active ministry, epidemiologist or admin user;
        # audited ("read" of "analytics", detail = the codes asked for); never commits
    AnalyticsResponse.as_json() -> dict      # {"headers": [...], "rows": [...], "metaData": {...}}
    AnalyticsResponse.as_csv() -> str
    AnalyticsResponse.as_adx() -> bytes      # IHE QRPH ADX XML, codes as identifiers;
        # NothingToPublish (409) when no value is published; codes: dhis2_metadata
    INDICATORS                               # {code: Indicator}, see docs/indicators.md

Query parameters (``GET /api/v1/analytics``)::

    dx=REG_CLIENTS;TDI_ENTRANTS      indicators (or dimension=dx:...)
    pe=2003;2004Q1;LAST_5_YEARS      whole ISO or relative periods (or dimension=pe:...)
    ou=KZ;LEVEL-2                    org unit codes; LEVEL-n = the units at level n under
                                     the codes given (or everywhere if none is)
    dimension=sex | dimension=age | dimension=SEX:M;F | dimension=AGE:15-19;20-24
    relativePeriodDate=2004-06-30    "today" for relative periods

Every count is a cell of a canonical table (per indicator family and period: all org
units x sex x age group with every margin) suppressed once, independently of the query
(:mod:`registry.analytics.suppression`); an answer is a projection of those tables, so
no answer, nor any pair of answers, lets a suppressed count be worked out.

The canonical tables of every family and year are generated ahead of the requests
(:mod:`registry.analytics.refresh`, run by the worker when the data changed) and read
from the database (:mod:`registry.analytics.store`); what is not stored is counted at
request time. ``metaData.lastAnalyticsTableGeneration`` and ``metaData.countedAtRequest``
say which.
"""

from __future__ import annotations

from registry.analytics.indicators import INDICATORS, Indicator
from registry.analytics.query import AnalyticsResponse, run_query
from registry.analytics.request import AnalyticsRequest, parse_request

__all__ = [
    "INDICATORS",
    "AnalyticsRequest",
    "AnalyticsResponse",
    "Indicator",
    "parse_request",
    "run_query",
]
