"""A study result's table as a CSV or an XLSX download (the API's and the result page's).

Public interface::

    result_csv(result, *, bom=False) -> str    # a header line of column codes, then rows
    result_xlsx(result) -> bytes                # the same cells, headers in the language
    COLUMN_LABELS                               # header of each column code
    column_label(code) -> str

The rows are the method's own (``rows(payload)`` of its module in
:mod:`registry.services.methods`, via :func:`registry.services.studies.result_rows`), so
the two files hold the same cells: the columns are every key of the rows in the order
they first appear, a missing or empty value is an empty field (CSV) or an empty cell
(XLSX), and a nested value (a list of warnings, an interval) is JSON text. The CSV's
header line keeps the column codes, which scripts read; the workbook's header is in the
reader's language, its numbers are number cells (integers as integers, decimals with a
number format) and its text cells are never formulas. The callers check the role and
audit the read (:func:`registry.services.studies.get_result`) before calling these.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from registry.models import EstimationResult
from registry.services import studies
from registry.spreadsheets import Sheet, csv_text, xlsx_bytes

#: Header of each column code the methods' rows use (retention's ``survival_6m`` ...
#: take their base code's label and the months).
COLUMN_LABELS: dict[str, Any] = {
    "row": _l("Row"),
    "name": _l("Model"),
    "abundance": _l("Estimate"),
    "stderr": _l("Standard error"),
    "ci_low": _l("Lower bound"),
    "ci_high": _l("Upper bound"),
    "interval": _l("Interval"),
    "deviance": _l("Deviance"),
    "df": _l("Degrees of freedom"),
    "aic": _l("AIC"),
    "bic": _l("BIC"),
    "fit_ok": _l("Fit succeeded"),
    "status": _l("Status"),
    "message": _l("Message"),
    "info_fit": _l("Fit details"),
    "warnings": _l("Warnings"),
    "weight": _l("Weight"),
    "median": _l("Posterior median"),
    "mean": _l("Posterior mean"),
    "mode": _l("Posterior mode"),
    "criterion": _l("Criterion"),
    "models": _l("Models averaged"),
    "label": _l("Survey"),
    "in_benchmark": _l("Respondents in the benchmark"),
    "sample_size": _l("Sample size"),
    "design_effect": _l("Design effect"),
    "proportion": _l("Proportion"),
    "se_log": _l("Standard error of the log"),
    "pooled": _l("Pooled"),
    "benchmark": _l("Benchmark"),
    "per_registered": _l("Estimated users per registered user"),
    "per_registered_ci": _l("Interval of the users per registered user"),
    "per_registered_denominator": _l("Registered users counted as"),
    "registered_users": _l("Registered users"),
    "registered_on": _l("Registered on"),
    "key_population": _l("Population estimated"),
    "rate_per_100k": _l("Per 100,000 population"),
    "n": _l("Clients"),
    "events": _l("Left treatment"),
    "median_days": _l("Median days in treatment"),
    "survival": _l("Retained"),
    "on_ost": _l("On OST"),
    "census_date": _l("Census date"),
    "coverage": _l("Coverage"),
    "band": _l("WHO band"),
    "band_low": _l("WHO band of the lower bound"),
    "band_high": _l("WHO band of the upper bound"),
    "capped": _l("Capped at 100%"),
    "source_job": _l("Source job"),
    "scenario": _l("Scenario"),
    "year": _l("Year"),
    "value": _l("Value"),
    "low": _l("Low"),
    "high": _l("High"),
    "tested": _l("Tested"),
    "positive": _l("Positive"),
    "prevalence": _l("Prevalence"),
    "share": _l("Share also on the other list"),
    "exact": _l("Wholly inside the other list"),
    "mutual": _l("The same people as the other list"),
}
_MONTHS = re.compile(r"^(?P<code>.+)_(?P<months>\d+)m$")


def column_label(code: str) -> str:
    """The header of column ``code`` in the request's language (the code if unknown)."""
    if code in COLUMN_LABELS:
        return str(COLUMN_LABELS[code])
    match = _MONTHS.match(code)
    if match and match["code"] in COLUMN_LABELS:
        months = int(match["months"])
        return _("%(column)s at %(months)s months", column=column_label(match["code"]),
                 months=months)  # fmt: skip
    return code


def _table(result: EstimationResult) -> tuple[list[str], list[list[Any]]]:
    """The column codes and the rows' cells under them (``None`` where a row has none)."""
    rows = studies.result_rows(result)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return columns, [[row.get(column) for column in columns] for row in rows]


def result_csv(result: EstimationResult, *, bom: bool = False) -> str:
    """The result's rows as CSV under a line of column codes."""
    columns, cells = _table(result)
    return csv_text(columns, cells, bom=bom)


def result_xlsx(result: EstimationResult) -> bytes:
    """The result's rows as an XLSX workbook, headers in the request's language."""
    columns, cells = _table(result)
    header = [column_label(column) for column in columns]
    return xlsx_bytes([Sheet(_("Result"), header, cells)])
