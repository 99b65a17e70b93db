"""Treatment episodes and right-censored durations from OST dosing or admission records.

Two ways to build the ``duration, event`` pairs that retention analysis needs:

* :func:`episodes_from_doses` applies the interruption rule to dosing events (Kyrgyz
  2015 OST protocol: a gap of more than 2 days needs re-induction, so it ends an episode);
* :func:`durations_from_dates` uses recorded start and exit dates.

Both censor at the analysis date: a person still in treatment then contributes the time
observed so far and no event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["KYRGYZ_MAX_GAP_DAYS", "durations_from_dates", "episodes_from_doses"]

#: Kyrgyz 2015 OST protocol: more than 2 days without a dose needs re-induction.
KYRGYZ_MAX_GAP_DAYS = 2


def _as_date(value, name: str) -> pd.Timestamp:
    import pandas as pd  # here, not at import: the command line reads the constant above

    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} is not a date: {value!r}") from None
    if pd.isna(stamp):
        raise ValueError(f"{name} is missing")
    return stamp.normalize()


def episodes_from_doses(
    doses: pd.DataFrame,
    *,
    analysis_date,
    max_gap_days: int = KYRGYZ_MAX_GAP_DAYS,
    client_col: str = "client_id",
    date_col: str = "date",
    dose_col: str | None = None,
) -> pd.DataFrame:
    """Split each client's dosing dates into episodes by the interruption rule.

    Parameters
    ----------
    doses : DataFrame
        One row per dose taken (observed or take-home), with a client key and a date.
        Missed or withheld doses must be removed beforehand.
    analysis_date : date-like
        Right-censoring date; doses after it are ignored.
    max_gap_days : int, default 2
        :math:`D`: consecutive doses more than :math:`D` days apart (a gap of more than
        :math:`D` days without a dose) end an episode.
    client_col, date_col : str
        Column names.
    dose_col : str, optional
        Column of doses (e.g. methadone mg); adds the episode's ``median_dose`` (over the
        dosing days, induction included) for comparisons such as >= 60 mg vs < 60 mg.

    Returns
    -------
    DataFrame
        Columns ``client_id, episode, start, last_dose, duration, event``: ``duration`` in
        days from the first dose to the last dose (or, for an episode still open at the
        analysis date, to the analysis date), counting both ends; ``event`` is 1 when the
        episode ended by interruption and 0 when censored.

    Notes
    -----
    Consecutive dose dates :math:`d_j < d_{j+1}` belong to one episode when
    :math:`d_{j+1} - d_j \\le D + 1` days (at most :math:`D` whole days without a dose).
    The last episode is open (censored) when the analysis date is within that limit of
    the last dose; otherwise it ended with an interruption.

    Examples
    --------
    >>> import pandas as pd
    >>> doses = pd.DataFrame({"client_id": [1, 1, 1], "date": ["2024-01-01", "2024-01-02",
    ...                                                      "2024-01-06"]})
    >>> episodes_from_doses(doses, analysis_date="2024-01-07")[["episode", "duration", "event"]]
       episode  duration  event
    0        1         2      1
    1        2         2      0
    """
    import pandas as pd

    if max_gap_days < 0 or int(max_gap_days) != max_gap_days:
        raise ValueError(f"max_gap_days must be a whole number >= 0, got {max_gap_days!r}")
    for column in (client_col, date_col):
        if column not in doses.columns:
            raise ValueError(f"dosing data has no column {column!r}")
    cutoff = _as_date(analysis_date, "analysis date")
    columns = [client_col, date_col] + ([dose_col] if dose_col else [])
    missing = [c for c in columns if c not in doses.columns]
    if missing:
        raise ValueError(f"dosing data has no column {missing[0]!r}")
    data = doses[columns].copy()
    data[date_col] = pd.to_datetime(data[date_col], errors="coerce").dt.normalize()
    if data[date_col].isna().any() or data[client_col].isna().any():
        raise ValueError("dosing data has missing or unreadable client keys or dates")
    if dose_col:
        data[dose_col] = pd.to_numeric(data[dose_col], errors="coerce")
        if data[dose_col].isna().any() or (data[dose_col] < 0).any():
            raise ValueError(f"doses in {dose_col!r} must be non-negative numbers")
        # Two rows for one day (e.g. split doses) are one dosing day with their total dose.
        data = data.groupby([client_col, date_col], as_index=False)[dose_col].sum()
    data = data[data[date_col] <= cutoff].drop_duplicates().sort_values([client_col, date_col])
    if data.empty:
        raise ValueError("no doses on or before the analysis date")
    limit = pd.Timedelta(days=int(max_gap_days) + 1)
    gap = data.groupby(client_col)[date_col].diff()
    data["episode"] = (gap.isna() | (gap > limit)).astype(int).groupby(data[client_col]).cumsum()
    grouped = data.groupby([client_col, "episode"])
    episodes = grouped[date_col].agg(start="min", last_dose="max").reset_index()
    if dose_col:
        episodes["median_dose"] = grouped[dose_col].median().to_numpy()
    is_last = episodes.groupby(client_col)["episode"].transform("max") == episodes["episode"]
    open_ = is_last & (cutoff - episodes["last_dose"] <= limit)
    end = episodes["last_dose"].where(~open_, cutoff)
    episodes["duration"] = (end - episodes["start"]).dt.days + 1
    episodes["event"] = (~open_).astype(int)
    return episodes.rename(columns={client_col: "client_id"})


def durations_from_dates(
    frame: pd.DataFrame,
    *,
    analysis_date,
    start_col: str = "start",
    exit_col: str = "exit",
) -> pd.DataFrame:
    """Durations in days and events from start and (possibly blank) exit dates.

    An exit on or before ``analysis_date`` is an event at ``exit - start`` days; a blank
    exit, or one after the analysis date, is censored at ``analysis_date - start``.
    Rows starting after the analysis date are an error (they were not yet enrolled).

    Returns
    -------
    DataFrame
        The input with columns ``duration`` and ``event`` added.
    """
    import pandas as pd

    cutoff = _as_date(analysis_date, "analysis date")
    for column in (start_col, exit_col):
        if column not in frame.columns:
            raise ValueError(f"data has no column {column!r}")
    start = pd.to_datetime(frame[start_col], errors="coerce").dt.normalize()
    exit_ = pd.to_datetime(frame[exit_col], errors="coerce").dt.normalize()
    if start.isna().any():
        raise ValueError("every row needs a readable start date")
    if (start > cutoff).any():
        raise ValueError("some rows start after the analysis date")
    if (exit_ < start).any():
        raise ValueError("some exit dates precede their start dates")
    event = exit_.notna() & (exit_ <= cutoff)
    end = exit_.where(event, cutoff)
    out = frame.copy()
    out["duration"] = (end - start).dt.days
    out["event"] = event.astype(int)
    return out
