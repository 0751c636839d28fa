"""The non-sensitive side of help: the referral directory designers keep as content
(`content/support/referrals.yaml`), by region and kind. Help requests themselves are sensitive
and live behind the privacy boundary (`services/privacy/support.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from courses.programme_data import NATIONAL, REFERRAL_KINDS, Referral, referrals_for
from lti_tool.services import content

# The directory opens with what cannot wait.
KIND_ORDER = ("emergency", "violence", "police", *[
    k for k in REFERRAL_KINDS if k not in ("emergency", "violence", "police")
])  # fmt: skip


@dataclass(frozen=True)
class Directory:
    region: str | None
    groups: list[tuple[str, list[Referral]]]  # (kind, services: her region's first)
    regions: tuple[str, ...]  # regions with services of their own
    oldest_check: date | None


def directory(region: str | None) -> Directory:
    """The services for a woman of `region` (national ones for everyone), grouped by kind."""
    found = content.latest_catalogue()
    referrals = found[1].referrals if found else ()
    regions = tuple(sorted({r.region for r in referrals if r.region != NATIONAL}))
    if region not in regions:
        region = None
    shown = referrals_for(referrals, region)
    groups = [(kind, [r for r in shown if r.kind == kind]) for kind in KIND_ORDER]
    return Directory(
        region,
        [(kind, items) for kind, items in groups if items],
        regions,
        min((r.checked_on for r in shown), default=None),
    )
