"""What every estimation method module exposes, and the helpers they share.

A method is one module of this package with the same members (see
:class:`Method`): its parameters schema (the only source of defaults), the check of a new
study against registry data, ``run``, the CSV rows, the population estimate it holds (if
any), its plots, and its template partials. :data:`registry.services.methods.METHODS`
maps each name to its :class:`Method`; callers dispatch through it, never by name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, missing

from registry.schemas.base import UNKNOWN_FIELD, number
from registry.services.methods.payload import (
    EstimateEntry,
    EstimatingPayload,
    Payload,
    load_stored,
)

if TYPE_CHECKING:
    from registry.models import Study

#: Largest id of an integer primary key (PostgreSQL ``integer``).
MAX_ID = 2**31 - 1
#: The ``name`` of an estimate a payload holds but which must not be published
#: (:attr:`Method.regional_estimates`; the analytics answer shows it as suppressed).
WITHHELD = "withheld"
#: The seed of every random draw unless a study names another (the same seed on
#: unchanged data gives the same numbers).
DEFAULT_SEED = 20030101


class ParametersSchema(Schema):
    """Base of every method's parameters schema: unknown parameters are refused."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": UNKNOWN_FIELD, "type": _l("Invalid value.")}


def alpha_field() -> Any:
    """``alpha``: one minus the confidence level of the intervals (0.05: 95%)."""
    return number(0.001, 0.5, default=0.05)


def defaults(schema: Schema) -> dict[str, Any]:
    """The schema's own defaults (``load_default``), the one source of them."""
    out = {}
    for name, schema_field in schema.fields.items():
        value = schema_field.load_default
        if value is missing:
            continue
        out[name] = value() if callable(value) else value
    return out


def load_parameters(schema: Schema, parameters: Any) -> dict[str, Any]:
    """Validate ``parameters`` with ``schema``; errors nested under ``parameters``.

    Returns plain JSON values (dates as ISO strings), as the study stores them.
    """
    if not isinstance(parameters, Mapping):
        raise ValidationError({"parameters": [_l("Invalid value.")]})
    try:
        loaded = schema.load(parameters)
    except ValidationError as error:
        raise ValidationError({"parameters": error.messages}) from error
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in loaded.items()}


def parameter_error(name: str, message: Any) -> ValidationError:
    """A study parameter's error, nested as the request holds it: ``parameters/<name>``."""
    return ValidationError({"parameters": {name: [message]}})


def num(value: float | None) -> float | None:
    """``value`` as a float, or None when missing or not finite (JSON has no NaN)."""
    return None if value is None or not math.isfinite(value) else float(value)


def check_interval(data: dict[str, Any], value: str, *, above: Any, below: Any) -> None:
    """Refuse ``<value>_low`` above ``<value>`` (message ``above``) or ``<value>_high`` below
    it (message ``below``); a missing value or bound is not checked."""
    middle, low, high = data.get(value), data.get(f"{value}_low"), data.get(f"{value}_high")
    if middle is None:
        return
    if low is not None and low > middle:
        raise ValidationError(above, field_name=f"{value}_low")
    if high is not None and high < middle:
        raise ValidationError(below, field_name=f"{value}_high")


@dataclass(frozen=True)
class Estimate:
    """The population estimate a result holds: what coverage and projection build on."""

    abundance: float
    ci_low: float | None
    ci_high: float | None
    name: str = ""
    #: Which population it is of (:data:`.population.KEY_POPULATIONS`; None: results
    #: computed before estimates recorded it).
    key_population: str | None = None

    @classmethod
    def of(cls, entry: EstimateEntry | None, key_population: str | None = None) -> Estimate | None:
        """The estimate of a payload's ``estimate`` entry (None without an abundance)."""
        if entry is None or not entry.abundance:
            return None
        return cls(entry.abundance, entry.ci_low, entry.ci_high, entry.name or "",
                   key_population)  # fmt: skip

    @classmethod
    def of_payload(cls, payload: EstimatingPayload) -> Estimate | None:
        """The estimate of a population-estimating method's payload, with its population."""
        return cls.of(payload.estimate, payload.key_population)


class Computed(NamedTuple):
    """What ``run`` returns: the payload, the counts kept as provenance, the hash basis.

    ``basis`` is ``{"lists": [{"ref", "digest"}, ...]}``, as
    :func:`registry.services.studies.input_hash` takes it.
    """

    payload: dict[str, Any]
    history_counts: dict[str, Any]
    basis: dict[str, Any]


Checkpoint = Callable[[], None]


@dataclass(frozen=True)
class Method:
    """One estimation method: the members every method module gives.

    ``check(lists, parameters, *, actor, period)`` returns the lists the study will use
    (the parameters are already loaded by ``parameters``) or raises ``ServiceError`` on
    ``lists`` / ``ValidationError`` on ``parameters/<name>``. ``run(study, checkpoint)``
    computes on today's data. ``rows(payload)`` are the CSV rows, ``estimate(payload)``
    the population estimate (None unless ``estimates_population``), ``plots(payload)``
    the names of the plots it can draw and ``draw(name, payload)`` one as PNG,
    ``warnings(payload)`` its coded plausibility warnings. Each of these takes the typed
    payload, ``read(stored JSON)``: an instance of ``payload`` (:mod:`.payload`). A method
    with ``checks_area`` gets the study's area too: ``check(..., period, area)`` (an
    :class:`OrgUnit`); one that ``takes_strata`` its strata: ``check(..., strata=)``. A
    combination the computation cannot run is refused there, never when the job runs.
    """

    name: str
    label: Any
    parameters: type[ParametersSchema]
    check: Callable[..., list[str]]
    run: Callable[[Study, Checkpoint | None], Computed]
    rows: Callable[[Any], list[dict[str, Any]]]
    #: Its typed result payload (a :class:`.payload.Payload` dataclass). None only for a
    #: method not yet given one: its readers then get the stored JSON as a dict.
    payload: type[Payload] | None = None
    estimate: Callable[[Any], Estimate | None] = lambda payload: None
    plots: Callable[[Any], list[str]] = lambda payload: []
    draw: Callable[[str, Any], bytes] | None = None
    #: Its result is a population size that coverage and projection may build on.
    estimates_population: bool = False
    #: It may run without a chosen list (a typed benchmark, the OST records, none).
    listless: bool = False
    #: It takes strata (capture-recapture only).
    takes_strata: bool = False
    #: Its ``check`` takes the study's area as ``area`` (synthesis: inputs of that area).
    checks_area: bool = False
    #: Its plots' captions, by plot name.
    plot_titles: Mapping[str, Any] = field(default_factory=dict)
    #: The labelled choices of its coded parameters (what the form's selects offer).
    choices: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: Its plausibility warnings on a payload (:mod:`.plausibility`), kept in the
    #: payload's ``warnings``.
    warnings: Callable[[Any], list[dict[str, Any]]] = lambda payload: []
    #: Checks the study's data once its lists are known to exist, before it is stored
    #: (capture-recapture: a list wholly inside another); raises like ``check``.
    #: Called as ``check_lists(lists, parameters, period=<ISO>, area=<OrgUnit>, strata=)``.
    check_lists: Callable[..., None] | None = None
    #: The parameters that apply to a result's analysis, with the values it used
    #: (defaults resolved), ``{name: value}`` in display order; None: the stored ones.
    parameters_used: Callable[[Any], Mapping[str, Any] | None] | None = None
    #: Estimates of areas other than the study's own that a payload holds, by org unit
    #: code (MIM: the regions under the study's area); the ministry outputs publish them
    #: once the result is approved, except an estimate named :data:`WITHHELD`.
    regional_estimates: Callable[[Any], dict[str, Estimate]] = lambda payload: {}

    @property
    def result_template(self) -> str:
        """The result page's section of this method."""
        return f"studies/results/_{self.name}.html"

    @property
    def form_template(self) -> str:
        """The new-study form's fieldset of this method's parameters."""
        return f"studies/parameters/_{self.name}.html"

    def read(self, stored: Any) -> Any:
        """A stored result payload (JSON) as this method's typed payload."""
        if self.payload is None:
            return dict(stored or {})
        return load_stored(self.payload, stored)

    def load(self, parameters: Any) -> dict[str, Any]:
        """``parameters`` validated by the method's schema (errors on ``parameters``)."""
        return load_parameters(self.parameters(), parameters)

    def defaults(self) -> dict[str, Any]:
        """The parameters a study gets when it names none."""
        return defaults(self.parameters())


__all__ = [
    "DEFAULT_SEED",
    "MAX_ID",
    "WITHHELD",
    "Computed",
    "Estimate",
    "Method",
    "ParametersSchema",
    "alpha_field",
    "check_interval",
    "load_parameters",
    "num",
    "parameter_error",
]
