"""Single-list count estimator payloads (see :mod:`registry.services.estimators`)."""

from __future__ import annotations

from typing import Any

from estimation import count_estimators as single_list
from registry.services.estimators.common import num as _num
from registry.services.estimators.common import ratio as _ratio

DEFAULTS: dict[str, Any] = {"alpha": 0.05}


def count_estimators(
    frequencies: dict[int, int], parameters: dict[str, Any], *, registered: int
) -> dict[str, Any]:
    """Payload of single-list count estimators on ``{times seen: people}``."""
    p = {**DEFAULTS, **parameters}
    results = single_list.count_estimators(frequencies, alpha=float(p["alpha"]))
    models = [
        {"name": r.name, "abundance": _num(r.estimate), "stderr": _num(r.se),
         "ci_low": _num(r.ci_low), "ci_high": _num(r.ci_high), "interval": r.interval}
        for r in results
    ]  # fmt: skip
    return {
        "method": "count_estimators",
        "observed": int(sum(frequencies.values())),
        "registered": registered,
        "frequencies": {str(k): int(v) for k, v in sorted(frequencies.items())},
        "models": models,
        "estimate": models[0],
        "per_registered": _ratio(models[0]["abundance"], registered),
    }
