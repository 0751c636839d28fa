"""Help with the barriers that push women out of training: what she can ask for, how she wants
to be contacted, how a request moves to closure, and which support leads may see it.

Pure rules; the requests themselves are sensitive and live behind the privacy boundary
(`lti_tool/services/privacy/support.py`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

# What she may ask for, in the order the form shows them (the seed's barriers: care of children,
# elders and people with a disability, transport, a device or data, violence, housing, money,
# health, anything else).
NEEDS = (
    "childcare",
    "elder-care",
    "transport",
    "device",
    "violence",
    "housing",
    "money",
    "health",
    "other",
)
# How she prefers to be contacted. Only the phone and WhatsApp channels store a number, and only
# the number she writes.
CONTACT_CHANNELS = ("senda", "phone", "whatsapp")
CHANNELS_WITH_NUMBER = frozenset({"phone", "whatsapp"})

OPEN = "open"
IN_PROGRESS = "in-progress"
CLOSED = "closed"
STATUSES = (OPEN, IN_PROGRESS, CLOSED)
# Who may move a request where: the support team along the whole way (and back, when a closed
# request needs more work); she may only close her own request, or reopen it.
_TEAM_MOVES = {
    OPEN: (IN_PROGRESS, CLOSED),
    IN_PROGRESS: (OPEN, CLOSED),
    CLOSED: (IN_PROGRESS,),
}
_PARTICIPANT_MOVES = {OPEN: (CLOSED,), IN_PROGRESS: (CLOSED,), CLOSED: (OPEN,)}

MAX_DETAILS = 2000
MAX_MESSAGE = 2000


class InvalidMove(ValueError):
    """A status change that the rules do not allow."""


def team_can_move(current: str, new: str) -> bool:
    return new in _TEAM_MOVES.get(current, ())


def participant_can_move(current: str, new: str) -> bool:
    return new in _PARTICIPANT_MOVES.get(current, ())


def participant_already_has(current: str, wanted: str) -> bool:
    """Her request already is where she asks to move it: the same status (a second tap), or
    "open again" while the team is working on it (a page from before the team's move)."""
    return wanted == current or (wanted == OPEN and current == IN_PROGRESS)


def clean_needs(chosen: Iterable[str]) -> tuple[str, ...]:
    """Her choices in the form's order, without repeats; unknown values are refused."""
    wanted = set(chosen)
    unknown = wanted - set(NEEDS)
    if unknown:
        raise ValueError(f"unknown needs: {sorted(unknown)}")
    return tuple(n for n in NEEDS if n in wanted)


def clean_phone(raw: str) -> str | None:
    """A Chilean or international phone number as she typed it, kept only if it looks like one:
    digits with spaces, dashes, dots, brackets and one leading +; 8 to 15 digits."""
    text = " ".join(raw.split())
    if not text:
        return None
    allowed = set("0123456789 -.()")
    body = text[1:] if text.startswith("+") else text
    digits = sum(c.isdigit() for c in body)
    if not set(body) <= allowed or not 8 <= digits <= 15:
        return None
    return text


def lead_sees(request_region: str | None, grant_regions: Collection[str | None]) -> bool:
    """A support lead with a grant for the whole programme (region None) sees every request of
    the programme; one whose grants name regions sees the requests of those regions only. A
    request with no region goes to the whole-programme leads."""
    if None in grant_regions:
        return True
    return request_region is not None and request_region in grant_regions
