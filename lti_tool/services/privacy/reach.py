"""Consented demographics counted for the programme's reach reports, never row by row.

Demographics are Sealed (deterministic encryption): SQL groups and counts the ciphertexts, and
only the few distinct group keys are decrypted here. After a key rotation one value may exist
under two ciphertexts, so groups are merged by plaintext. A filter by region matches every
ciphertext of that region.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from typing import Any

from sqlalchemy import String, func, select, type_coerce

from lti_tool.models import db
from lti_tool.models.encryption import keyring
from lti_tool.models.private import Demographics
from lti_tool.services.privacy.core import log

# A woman in the report without consented demographics (or who withdrew them).
NOT_GIVEN = ""

_raw_region = type_coerce(Demographics.region, String())


def users_in_regions(regions: Collection[str]) -> Any:
    """A SELECT of the ids of the women whose consented region is one of `regions` (one query
    now, to find the region's ciphertexts; the SELECT runs inside the report's queries)."""
    ring = keyring()
    wanted = set(regions)
    sealed = [
        raw
        for raw in db.session.scalars(select(_raw_region).distinct())
        if raw is not None and ring.unseal(raw) in wanted
    ]
    return select(Demographics.user_id).where(_raw_region.in_(sealed))


Key = tuple[str, str, str, str]  # region, municipality, migrant, indigenous ("" = not given)


def reach_counts(population: Any) -> Counter[Key]:
    """How many women of `population` (a SELECT of distinct user ids) have each combination of
    region, municipality (CUT code), migrant and indigenous; women without consented
    demographics count under ("", "", "", ""). One aggregate query; the caller logs the read
    with `log_aggregate_read`."""
    women = population.subquery()
    columns = [
        type_coerce(getattr(Demographics, name), String())
        for name in ("region", "municipality", "migrant", "indigenous")
    ]
    rows = db.session.execute(
        select(*columns, func.count())
        .select_from(women)
        .outerjoin(Demographics, Demographics.user_id == women.c.user_id)
        .group_by(*columns)
    ).all()
    ring = keyring()
    opened: dict[str, str] = {}

    def plain(raw: str | None) -> str:
        if raw is None:
            return NOT_GIVEN
        if raw not in opened:
            opened[raw] = ring.unseal(raw)
        return opened[raw]

    counts: Counter[Key] = Counter()
    for region, municipality, migrant, indigenous, n in rows:
        key = (plain(region), plain(municipality), plain(migrant), plain(indigenous))
        counts[key] += int(n)
    return counts


def log_aggregate_read(reader_id: int, why: str) -> None:
    """One access-log line for a report: demographics and follow-up answers read in aggregate
    (counts only, no person's row)."""
    log(reader_id, None, "aggregates", "read", why)
