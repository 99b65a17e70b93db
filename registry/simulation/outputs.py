"""What leaves the simulator besides the registry: external lists (CSV) and the truth (JSON).

* Police, prison-health and AIDS-centre HIV-testing lists are CSV files of client codes, one
  row per contact (police contacts repeat within a year), coded from identifiers typed at
  each contact -- what an estimation job would import.
* The truth (true users, injectors, HIV among injectors per region and year, people on the
  dispensary register at the year's end and people admitted to treatment in the year, the
  model's parameters) goes only to the ``--truth-out`` JSON file, never into
  the registry.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from registry.simulation.identities import Coder
from registry.simulation.register import PROGRAMME as REGISTRATION
from registry.simulation.simulate import Simulation

LIST_SOURCES = {
    # source: (person array, date array) attribute names on Contacts
    "police": ("police_person", "police_date"),
    "prison": ("prison_person", "prison_date"),
    "hiv_testing": ("hiv_test_person", "hiv_test_date"),
}


def _contacts(sim: Simulation, source: str, year: int | None = None) -> Iterator[tuple]:
    """(contact number, person, date) of ``source`` within the reported years (or ``year``)."""
    person_attr, date_attr = LIST_SOURCES[source]
    persons = getattr(sim.contacts, person_attr)
    dates = getattr(sim.contacts, date_attr)
    years = dates.astype("datetime64[Y]").astype(int) + 1970
    low, high = (year, year) if year is not None else (sim.first_year, sim.last_year)
    for k in np.flatnonzero((years >= low) & (years <= high)):
        yield int(k), int(persons[k]), dates[k]


def write_lists(sim: Simulation, key: str, directory: Path, coder: Coder | None = None) -> dict:
    """Write ``police.csv``, ``prison.csv`` and ``hiv_testing.csv``; return row counts."""
    directory.mkdir(parents=True, exist_ok=True)
    coder = coder or Coder(key)
    counts = {}
    for source in LIST_SOURCES:
        path = directory / f"{source}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            header = ["client_code", "contact_date", "region_code"]
            writer.writerow(header + (["result"] if source == "hiv_testing" else []))
            columns = _list_columns(sim, source)
            typing = sim.typing[source]
            for k, person, *rest in zip(*columns, strict=True):
                code = coder.typed_code(sim.identities, person, typing, k)
                writer.writerow([code, *rest])
        counts[source] = len(columns[0])
    return counts


class BackgroundLists:
    """:func:`write_lists` in a forked process, so the lists are coded while the parent
    writes the registry (the simulation is shared copy-on-write, nothing is pickled)."""

    def __init__(self, sim: Simulation, key: str, directory: Path) -> None:
        context = multiprocessing.get_context("fork")
        self._counts, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_send_counts, args=(send, sim, key, directory), daemon=True
        )
        self._process.start()
        send.close()

    def result(self) -> dict:
        """Wait for the lists; their row counts."""
        try:
            counts = self._counts.recv()
        except EOFError:
            raise RuntimeError("writing the external lists failed (see its traceback)") from None
        finally:
            self._process.join()
        return counts

    def cancel(self) -> None:
        """Stop the process (the load failed)."""
        self._process.terminate()
        self._process.join()


def _send_counts(send: Any, sim: Simulation, key: str, directory: Path) -> None:
    send.send(write_lists(sim, key, directory))


def _list_columns(sim: Simulation, source: str) -> list[list]:
    """Contact numbers, people, and the CSV columns after the code, of ``source``'s rows."""
    person_attr, date_attr = LIST_SOURCES[source]
    persons, dates = getattr(sim.contacts, person_attr), getattr(sim.contacts, date_attr)
    years = dates.astype("datetime64[Y]").astype(int) + 1970
    kept = np.flatnonzero((years >= sim.first_year) & (years <= sim.last_year))
    people = persons[kept]
    regions = np.array(sim.region_codes, dtype=object)[sim.population.region[people]]
    columns = [kept.tolist(), people.tolist(), np.datetime_as_string(dates[kept]).tolist(),
               regions.tolist()]  # fmt: skip
    if source == "hiv_testing":
        infected = sim.population.hiv_year[people] <= years[kept]
        columns.append(np.where(infected, "positive", "negative").tolist())
    return columns


def capture_lists(
    sim: Simulation, key: str, year: int, coder: Coder | None = None
) -> dict[str, set[str]]:
    """Client codes seen by each source in ``year``: registry, police, prison, HIV testing.

    The registry's codes are those its admission forms produce (typed per episode); the
    same codes the writer stores, without the database.
    """
    coder = coder or Coder(key)
    episodes = sim.episodes
    admitted = episodes.admission.astype("datetime64[Y]").astype(int) + 1970
    registry = {
        coder.typed_code(sim.identities, int(episodes.person[i]), episodes.typing, int(i))
        for i in np.flatnonzero(admitted == year)
    }
    lists = {"registry": registry}
    for source in LIST_SOURCES:
        lists[source] = {
            coder.typed_code(sim.identities, person, sim.typing[source], k)
            for k, person, _day in _contacts(sim, source, year)
        }
    return lists


def truth(sim: Simulation) -> dict[str, Any]:
    """The known truth of a run: per region and year, nationally, and the parameters."""
    population, episodes = sim.population, sim.episodes
    admitted = episodes.admission.astype("datetime64[Y]").astype(int) + 1970
    registration = np.asarray(episodes.programme.labels)[episodes.programme.codes] == REGISTRATION
    removed = np.where(np.isnat(episodes.discharge), np.datetime64("2200-01-01"),
                       episodes.discharge)  # fmt: skip
    regions: dict[str, dict[str, Any]] = {}
    national: dict[str, Any] = {}
    for year in range(sim.first_year, sim.last_year + 1):
        active = population.active(year)
        injecting = active & population.injects
        hiv = injecting & (population.hiv_year <= year)
        new_hiv = injecting & (population.hiv_year == year)
        treated = np.zeros(len(population), dtype=bool)
        treated[episodes.person[admitted == year]] = True
        end = np.datetime64(f"{year}-12-31")
        registered = np.zeros(len(population), dtype=bool)
        registered[
            episodes.person[registration & (episodes.admission <= end) & (removed > end)]
        ] = True
        by_region = {
            "users": np.bincount(population.region[active], minlength=len(sim.region_codes)),
            "injectors": np.bincount(population.region[injecting], minlength=len(sim.region_codes)),
            "hiv_positive_injectors": np.bincount(population.region[hiv],
                                                  minlength=len(sim.region_codes)),
            "new_hiv_infections": np.bincount(population.region[new_hiv],
                                              minlength=len(sim.region_codes)),
            "registered_people": np.bincount(population.region[registered],
                                             minlength=len(sim.region_codes)),
            "treated_people": np.bincount(population.region[treated],
                                          minlength=len(sim.region_codes)),
        }  # fmt: skip
        for r, code in enumerate(sim.region_codes):
            entry = {name: int(values[r]) for name, values in by_region.items()}
            entry["hiv_prevalence_injectors"] = _ratio(entry["hiv_positive_injectors"],
                                                       entry["injectors"])  # fmt: skip
            regions.setdefault(code, {})[str(year)] = entry
        entry = {name: int(values.sum()) for name, values in by_region.items()}
        entry["hiv_prevalence_injectors"] = _ratio(entry["hiv_positive_injectors"],
                                                   entry["injectors"])  # fmt: skip
        national[str(year)] = entry
    return {
        "country": sim.profile.code,
        "years": [sim.first_year, sim.last_year],
        "scale": sim.scale,
        "seed": sim.seed,
        "national": national,
        "regions": regions,
        "ost_enrolments": len(sim.enrolments),
        "registration_rate": sim.contacts.registration_rate,
        "parameters": sim.params.as_dict(),
    }


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 6) if denominator else None


def write_truth(sim: Simulation, path: Path, extra: dict[str, Any] | None = None) -> None:
    """Write :func:`truth` (plus ``extra``, e.g. load counts) as indented JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**truth(sim), **(extra or {})}, indent=2, default=str) + "\n")
