"""Study data for web tests: three uploaded code lists, a duplicate pair and a finished job.

``study_records`` uploads three CSV lists of client codes through the upload service
(a closed population of 600 people caught independently, seeded), an identifier list
holding two near-identical names (one pending duplicate pair), creates a model-search
study on the three code lists and runs it the way the worker does
(:func:`registry.services.studies.compute_result`), so the result pages show a real
payload without a worker. Import the fixture into a test module to use it.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import numpy as np
import pytest

from registry.extensions import db

#: People of the simulated population and each list's chance to catch one of them.
POPULATION = 600
PROBABILITIES = (0.3, 0.25, 0.2)
SOURCES = ("police", "ngo", "hospital")


@dataclass(frozen=True)
class StudyRecords:
    """Ids of the uploads, the duplicate pair and the finished job."""

    list_id: int
    list_ids: tuple[int, ...]
    identifier_list_id: int
    candidate_id: int
    job_id: int


def code_of(person: int) -> str:
    """A stand-in client code (64 hex digits) for simulated person ``person``."""
    return hashlib.sha256(f"person-{person}".encode()).hexdigest()


def code_lists(seed: int = 2003) -> list[list[str]]:
    """Three lists of codes drawn from the simulated population."""
    rng = np.random.default_rng(seed)
    caught = rng.random((POPULATION, len(PROBABILITIES))) < np.array(PROBABILITIES)
    return [[code_of(p) for p in np.flatnonzero(caught[:, j])] for j in range(caught.shape[1])]


def codes_csv(codes: list[str]) -> bytes:
    """A code-list upload file."""
    return ("code\n" + "".join(f"{code}\n" for code in codes)).encode()


IDENTIFIERS_CSV = (
    "family_name;given_name;birth_date;sex\n"
    "Жумабеков;Эрлан;1985-07-21;M\n"
    "Жамабеков;Эрлан;21.07.1985;M\n"
    "Садыкова;Айгуль;1990-13-01;F\n"
    ";Азамат;1988-01-01;M\n"
    "Осмонов;Нурлан;1979-02-02;X\n"
).encode()


def run_job(job_id: int) -> None:
    """Do what the worker does for job ``job_id`` (in the caller's app context)."""
    from registry.models import EstimationJob
    from registry.models.base import utcnow
    from registry.services.studies import compute_result

    job = db.session.get(EstimationJob, job_id)
    job.state = "running"
    job.started_at = utcnow()
    db.session.add(compute_result(job))
    job.state = "succeeded"
    job.finished_at = utcnow()
    db.session.commit()


@pytest.fixture
def study_records(app, registry_data) -> StudyRecords:
    """Three code uploads, one identifier upload, a finished model-search job."""
    from registry.models import DuplicateCandidate, User
    from registry.services.studies import create_study
    from registry.services.uploads import upload_code_list, upload_identifier_list

    with app.app_context():
        epi = db.session.get(User, registry_data.users["epi"])
        ids = []
        for name, codes in zip(SOURCES, code_lists(), strict=True):
            source = upload_code_list(
                io.BytesIO(codes_csv(codes)),
                source_name=name,
                period="2003",
                area_code="KG",
                actor=epi,
            )
            ids.append(source.id)
        people = upload_identifier_list(
            io.BytesIO(IDENTIFIERS_CSV),
            source_name="outreach",
            period="2003",
            area_code="KG-GB",
            actor=epi,
            key=app.config["LINKAGE_KEY"],
        )
        job = create_study(
            {
                "title": "Police, NGO, hospital 2003",
                "method": "capture_recapture",
                "parameters": {"analysis": "search"},
                "lists": [f"upload:{i}" for i in ids],
                "period": "2003",
                "area_code": "KG",
                "strata": None,
            },
            actor=epi,
        )
        db.session.commit()
        run_job(job.id)
        candidate = db.session.scalars(db.select(DuplicateCandidate)).first()
        return StudyRecords(ids[0], tuple(ids), people.id, candidate.id, job.id)
