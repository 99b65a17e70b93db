"""Typed result payloads: how every reader reads a stored result.

A result is stored as JSON (``EstimationResult.payload``, written by the method's
``run``). Nothing reads that JSON by key: each method declares its payload type, a
frozen dataclass derived from :class:`Payload` (``Method(payload=...)``), and readers
(the result page, the plots, the CSV rows, coverage and projection, the dashboard) get
``METHOD.read(stored)``, an instance of it.

``load(cls, data)`` builds the dataclass from the stored JSON by its type hints,
recursively (nested dataclasses, ``tuple[X, ...]``, ``dict[str, X]``, ``X | None``).
It tolerates results stored by earlier versions: a missing key takes the field's
default, an unknown key is ignored, a value of the wrong type becomes None (or an empty
tuple or mapping). So a field added later is given a default that says "not recorded":
``warnings`` and ``key_population`` are None in results computed before they existed,
and the page says so (:attr:`Payload.predates_checks`).

Public interface::

    Payload                       # base: method, parameters, warnings
    EstimatingPayload(Payload)    # + estimate, key_population, per-registered ratio
    EstimateEntry, ResultWarning  # shared parts
    load(cls, data) -> cls        # tolerant loader (the classmethod ``cls.load``)
    load_stored(cls, data) -> cls # the same, kept for the same JSON (``Method.read``)
    row(obj) -> dict              # a dataclass as a CSV row (its fields in order)
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import threading
import types
import typing
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, TypeVar, Union

T = TypeVar("T")


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def load(cls: type[T], data: Any) -> T:
    """An instance of the dataclass ``cls`` from stored JSON (see the module docstring)."""
    if not isinstance(data, Mapping):
        data = {}
    hints = _hints(cls)
    values = {
        f.name: _convert(hints[f.name], data[f.name])
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.init and f.name in data
    }
    return cls(**values)


#: Typed payloads kept by :func:`load_stored` in each process (a result's is 10-100 kB).
STORED_CACHE_SIZE = 64
_stored: OrderedDict[tuple[type, bytes], Any] = OrderedDict()
_stored_lock = threading.Lock()


def load_stored(cls: type[T], data: Any) -> T:
    """``cls.load(data)``, or the instance it gave before for the same JSON.

    Building a result's typed payload costs 5-10 ms of Python, and the ministry
    dashboard, each of its plots and the analytics API read every approved estimate's on
    every request. The key is the type and a digest of the JSON itself (as
    :mod:`registry.plot_cache` keys images by their data), so a changed result is a new
    key and a kept instance is never stale; least recently used ones are dropped first.
    The instances are frozen dataclasses shared by the requests that read them: readers
    never change them (their dictionaries neither). Data that is not plain JSON (a result
    being built) is loaded each time.
    """
    try:
        text = json.dumps(data, separators=(",", ":"))  # key order too: it is shown
    except (TypeError, ValueError):
        return cls.load(data)  # type: ignore[attr-defined]
    key = (cls, hashlib.blake2b(text.encode(), digest_size=20).digest())
    with _stored_lock:
        if key in _stored:
            _stored.move_to_end(key)
            return _stored[key]
    loaded = cls.load(data)  # type: ignore[attr-defined]  (a payload type's own, if any)
    with _stored_lock:
        _stored[key] = loaded
        while len(_stored) > STORED_CACHE_SIZE:
            _stored.popitem(last=False)
    return loaded


def _convert(kind: Any, value: Any) -> Any:
    """``value`` as the type hint ``kind`` says, or None when it cannot be."""
    origin = typing.get_origin(kind)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return _convert(options[0], value) if len(options) == 1 else value
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return load(kind, value) if isinstance(value, Mapping) else None
    if origin is tuple:
        item = typing.get_args(kind)[0]
        return tuple(_convert(item, v) for v in value) if isinstance(value, list | tuple) else ()
    if origin in (dict, Mapping):
        item = typing.get_args(kind)[1]
        if not isinstance(value, Mapping):
            return {}
        return {str(k): _convert(item, v) for k, v in value.items()}
    if kind is float:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return float(value) if number else None
    if kind is int:
        whole = isinstance(value, int | float) and not isinstance(value, bool)
        return int(value) if whole else None
    if kind is bool:
        return bool(value)
    if kind is str:
        return str(value) if value is not None else None
    return value


def row(obj: Any, **extra: Any) -> dict[str, Any]:
    """A dataclass as one CSV row: its fields in declaration order, then ``extra``."""
    out = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return {**out, **extra}


@dataclasses.dataclass(frozen=True)
class ResultWarning:
    """A coded plausibility warning (:mod:`.plausibility`); the fields it uses are set."""

    code: str = ""
    estimate: float | None = None
    registered: int | None = None
    what: str | None = None
    group: str | None = None
    months: int | None = None
    n: int | None = None
    population: str | None = None
    expected: str | None = None
    #: A sentence of its own (a Bayesian posterior's warnings: ``grid_edge``, R-hat ...).
    message: str | None = None
    #: A synthesis's inputs: pairs that do not overlap, unapproved jobs, Cochran's Q.
    pairs: tuple[tuple[int, ...], ...] = ()
    jobs: tuple[int, ...] = ()
    p: float | None = None
    i_squared: float | None = None
    #: A MIM regression on few anchors: how many, and its residual degrees of freedom.
    anchors: int | None = None
    df: int | None = None
    #: Capture-recapture: the heterogeneity model that fits better (its name, estimate and
    #: AIC gain), the two averages that disagree, the weight on near-saturated models.
    model: str | None = None
    abundance: float | None = None
    aic_gain: float | None = None
    aic_average: float | None = None
    bic_low: float | None = None
    bic_high: float | None = None
    weight: float | None = None
    #: Capture-recapture: the result's interval, which the heterogeneity model's estimate
    #: lies outside (``heterogeneity_disagrees``).
    low: float | None = None
    high: float | None = None
    #: Capture-recapture: list A (nearly) contained in list B (the histories' names), the
    #: share of A's people on B (None: withheld), all of them, or the same people both.
    list_a: str | None = None
    list_b: str | None = None
    share: float | None = None
    exact: bool | None = None
    mutual: bool | None = None


@dataclasses.dataclass(frozen=True)
class Payload:
    """What every result holds, whatever its method."""

    method: str = ""
    #: The parameters as run, defaults filled in (added by the service).
    parameters: Mapping[str, Any] | None = None
    #: Its plausibility warnings; None for a result computed before results were checked.
    warnings: tuple[ResultWarning, ...] | None = None

    @classmethod
    def load(cls: type[T], data: Any) -> T:
        """The stored JSON ``data`` as this payload type (tolerant: see :func:`load`)."""
        return load(cls, data)

    @property
    def predates_checks(self) -> bool:
        """True for a result stored before results carried warnings and their population."""
        return self.warnings is None

    @property
    def population(self) -> str | None:
        """Which population the result's estimate is of (None: none, or not recorded)."""
        return None


@dataclasses.dataclass(frozen=True)
class EstimateEntry:
    """An estimate of a number of people with its interval (a model row has more fields)."""

    name: str | None = None
    abundance: float | None = None
    stderr: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    interval: str | None = None
    #: Why the estimate may be off: the fit's status (``"ok"`` ...) and message.
    status: str | None = None
    message: str | None = None


@dataclasses.dataclass(frozen=True)
class EstimatingPayload(Payload):
    """The result of a method that estimates a population (``estimates_population``)."""

    observed: int | None = None
    registered: int | None = None
    estimate: EstimateEntry | None = None
    #: Which population the estimate is of; None: computed before estimates recorded it.
    key_population: str | None = None
    registered_users: int | None = None
    registered_on: str | None = None
    per_registered: float | None = None
    per_registered_ci: tuple[float | None, ...] | None = None
    #: ``"register_at_period_end"``; None: an older ratio with another denominator.
    per_registered_denominator: str | None = None

    @property
    def population(self) -> str | None:
        return self.key_population


__all__ = [
    "EstimateEntry",
    "EstimatingPayload",
    "Payload",
    "ResultWarning",
    "load",
    "row",
]
