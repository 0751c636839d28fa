"""The opportunities board: job offers, fairs, and funding and seed-capital calls that the
programme team and tutors post. Pure rules: what kinds exist, which are still open, and the order
a participant sees them in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

KINDS = ("job", "job-fair", "entrepreneurship-fair", "funding", "seed-capital")
PATHWAYS = ("employment", "entrepreneurship")
NOT_FOR_HER = 3


@dataclass(frozen=True)
class Facts:
    """What the board's order needs to know about one opportunity."""

    region: str | None  # None: the whole country
    pathway: str | None  # None: both pathways
    closes_on: date


T = TypeVar("T")


def is_open(closes_on: date, today: date) -> bool:
    """Open through its closing day (Chile's date); gone from the board the day after."""
    return closes_on >= today


def rank(facts: Facts, pathway: str | None, region: str | None) -> int:
    """0: made for her pathway and her region; 1: for one of them and open on the other;
    2: open to every pathway and the whole country; NOT_FOR_HER (3): another pathway or another
    region."""
    fits_pathway = facts.pathway is None or facts.pathway == pathway
    fits_region = facts.region is None or facts.region == region
    if not (fits_pathway and fits_region):
        return NOT_FOR_HER
    return 2 - (facts.pathway is not None) - (facts.region is not None)


def board(
    items: Sequence[tuple[T, Facts]], pathway: str | None, region: str | None, today: date
) -> tuple[list[T], list[T]]:
    """(for her, the others), open ones only: hers first by how closely they fit, then by the
    closer closing date; the others by closing date."""
    kept = [(rank(f, pathway, region), f.closes_on, n, item) for n, (item, f) in enumerate(items)
            if is_open(f.closes_on, today)]  # fmt: skip
    kept.sort(key=lambda row: row[:3])
    mine = [row[3] for row in kept if row[0] < NOT_FOR_HER]
    others = [row[3] for row in kept if row[0] == NOT_FOR_HER]
    return mine, others
