"""Large identifier uploads: coded in the request, paired by the job worker.

Public interface::

    stage_upload(source: SourceList, counts: Counter[str],
                 attributes: dict[str, tuple[str, int]], keys: dict[str, str], *,
                 key: str, actor: User) -> EstimationJob
    run_upload_job(job: EstimationJob, checkpoint: Callable[..., None]) -> None
    discard_staging(list_id: int) -> None
    block_hashes(slk: str, digest) -> str

Names and dates of birth are never stored, not even for the worker. The request (see
:func:`registry.services.uploads.upload_identifier_list`) reads the file, codes each row,
and searches the registry clients' codes (that search needs the SLK-581 key itself);
for an upload of more than ``UPLOAD_BACKGROUND_ROWS`` rows it then stores one
:class:`~registry.models.UploadStaging` row per code -- the code, its occurrences, sex,
birth year, the keyed hashes of its five blocking keys and its registry matches -- and
an :class:`~registry.models.EstimationJob` with ``source_list_id`` set, queued at commit.

A blocking key is the SLK with one letter position masked (see
:func:`registry.services.duplicates.upload_pairs`); it is stored as the first 16 hex
digits of its HMAC under the ``LINKAGE_KEY``, so two codes share a stored block exactly
when their keys do (a false share needs a 64-bit collision). The job groups the codes by
block, reporting its progress through the checkpoint, then writes the list's codes and
its pending duplicate pairs and deletes the staging rows, in the transaction the runner
commits: a failed or cancelled job leaves no code or pair (the runner then deletes the
staging rows), and the list shows the job's state (:attr:`SourceList.state`).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import combinations

from sqlalchemy import delete, select

from registry.extensions import db
from registry.models import EstimationJob, SourceList, SourceListCode, UploadStaging, User
from registry.services import audit
from registry.services.bulk import insert_rows
from registry.services.client_codes import keyed_hasher
from registry.services.duplicates import VARIANT_LIMIT, registry_pairs, store_pairs
from registry.services.job_queue import queue_after_commit

#: Staging rows grouped between two progress reports.
PROGRESS_STEP = 10_000
#: Hex digits kept of each blocking key's HMAC.
BLOCK_DIGITS = 16
_REASONS = ("family_name",) * 3 + ("given_name",) * 2


def block_hashes(slk: str, digest: Callable[[bytes], bytes]) -> str:
    """The five blocking keys of ``slk`` as truncated keyed hashes, space separated."""
    return " ".join(
        digest(f"block:{slk[:position]}*{slk[position + 1 :]}".encode()).hex()[:BLOCK_DIGITS]
        for position in range(5)
    )


def stage_upload(
    source: SourceList,
    counts: Counter[str],
    attributes: dict[str, tuple[str, int]],
    keys: dict[str, str],
    *,
    key: str,
    actor: User,
) -> EstimationJob:
    """Store the staging rows of a flushed ``source`` and queue its job (not committed)."""
    matches: dict[str, list[list[str]]] = defaultdict(list)
    if len(keys) <= VARIANT_LIMIT:
        for (a, b), reason in sorted(registry_pairs(keys, key=key).items()):
            matches[a if a in counts else b].append([a, b, reason])
    digest = keyed_hasher(key)
    blocks = {code: block_hashes(slk, digest) for slk, code in keys.items()}
    insert_rows(
        UploadStaging.__table__,
        ("list_id", "code", "occurrences", "sex", "birth_year", "blocks", "registry_pairs"),
        [(source.id, code, number, *attributes[code], blocks[code],
          json.dumps(matches.get(code, [])))
         for code, number in sorted(counts.items())],
    )  # fmt: skip
    job = EstimationJob(source_list_id=source.id, created_by_id=actor.id)
    db.session.add(job)
    queue_after_commit(job)
    audit.record_event(actor, "create", "estimation_job", job.id, detail=f"upload={source.id}")
    return job


def run_upload_job(job: EstimationJob, checkpoint: Callable[..., None]) -> None:
    """Pair the staged codes of the job's upload and store codes and pairs (not committed)."""
    list_id = job.source_list_id
    rows = db.session.execute(
        select(
            UploadStaging.code,
            UploadStaging.occurrences,
            UploadStaging.sex,
            UploadStaging.birth_year,
            UploadStaging.blocks,
            UploadStaging.registry_pairs,
        )
        .where(UploadStaging.list_id == list_id)
        .order_by(UploadStaging.code)
    ).all()
    total = len(rows)
    checkpoint(0, total)  # progress before this job's writes (see job_checkpoint)
    first: dict[tuple[int, str], str] = {}
    shared: dict[tuple[int, str], list[str]] = defaultdict(list)
    for done, row in enumerate(rows, start=1):
        for position, block in enumerate(row.blocks.split()):
            if (position, block) in first:
                shared[(position, block)].append(row.code)
            else:
                first[(position, block)] = row.code
        if done % PROGRESS_STEP == 0:
            checkpoint(done, total)
    checkpoint(total, total)
    pairs: dict[tuple[str, str], tuple[str, str]] = {}
    for (position, block), others in shared.items():
        for a, b in combinations(sorted([first[(position, block)], *others]), 2):
            pairs[(a, b)] = ("upload", _REASONS[position])
    for row in rows:
        for a, b, reason in json.loads(row.registry_pairs):
            pairs.setdefault((a, b), ("registry", reason))
    insert_rows(
        SourceListCode.__table__,
        ("list_id", "code", "occurrences", "sex", "birth_year"),
        [(list_id, row.code, row.occurrences, row.sex, row.birth_year) for row in rows],
    )
    store_pairs(list_id, pairs)  # type: ignore[arg-type]
    discard_staging(list_id)  # type: ignore[arg-type]


def discard_staging(list_id: int) -> None:
    """Delete the staging rows of list ``list_id`` (in this session's transaction)."""
    db.session.execute(delete(UploadStaging).where(UploadStaging.list_id == list_id))
