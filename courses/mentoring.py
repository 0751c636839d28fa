"""Mentoring after training: who may sign up for a session, who gets a place and who waits, who
may become a volunteer mentor, and how many volunteer hours a mentor has given.

Pure functions over plain values: the app layer loads sign-ups and sessions from the database and
passes them in, so the programme's rules can be read and tested here on their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from courses.schools import CHILE

PATHWAY_COMPLETE = "pathway-complete"
ANYONE = "anyone"

Role = Literal["lead", "co-lead"]
ROLES: tuple[Role, ...] = ("lead", "co-lead")


def _require_aware(value: datetime, name: str) -> None:
    """Naive datetimes are ambiguous across Chile's daylight-saving changes: refuse them."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


# ----------------------------------------------------------------------------- sign-up rule
@dataclass(frozen=True)
class SignUpRule:
    """Who may sign up for a mentoring session, as the content states it.

    Either the whole pathway must be complete (`requires: "pathway-complete"`) or every course in
    `course_ids` (`requires: [course-id, ...]`). An empty list, or `requires: "anyone"`, means
    anyone may sign up.
    """

    pathway_complete: bool = False
    course_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.pathway_complete and self.course_ids:
            raise ValueError("a sign-up rule asks for the pathway or for courses, not both")

    @classmethod
    def from_content(cls, requires: str | Sequence[str]) -> SignUpRule:
        """Build the rule from the content's `requires` value; raise ValueError if it is not
        `"pathway-complete"`, `"anyone"` or a list of course ids."""
        if isinstance(requires, str):
            if requires == ANYONE:
                return cls()
            if requires != PATHWAY_COMPLETE:
                raise ValueError(
                    f"requires must be {PATHWAY_COMPLETE!r}, {ANYONE!r} or a list of course ids, "
                    f"got {requires!r}"
                )
            return cls(pathway_complete=True)
        ids = tuple(requires)
        if not all(isinstance(i, str) and i for i in ids):
            raise ValueError(f"requires must list course ids, got {ids!r}")
        return cls(course_ids=tuple(dict.fromkeys(ids)))


def may_sign_up(
    rule: SignUpRule, pathway_complete: bool, completed_course_ids: Iterable[str]
) -> bool:
    """True when she has finished what the session asks for."""
    if rule.pathway_complete:
        return pathway_complete
    completed = set(completed_course_ids)
    return all(c in completed for c in rule.course_ids)


# ----------------------------------------------------------------------------- places
@dataclass(frozen=True)
class SeatRequest:
    """One sign-up for a session: when she asked, and when she cancelled (None if she did not)."""

    person_id: str
    requested_at: datetime
    cancelled_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_aware(self.requested_at, "requested_at")
        if self.cancelled_at is not None:
            _require_aware(self.cancelled_at, "cancelled_at")


@dataclass(frozen=True)
class Allocation:
    """Who has a place and who waits, each in order of request."""

    capacity: int
    booked: tuple[str, ...]
    waiting: tuple[str, ...]

    def is_booked(self, person_id: str) -> bool:
        return person_id in self.booked

    def position(self, person_id: str) -> int | None:
        """Her place in the waiting list (1 = she gets the next free place); None if she has a
        place already or no live request."""
        try:
            return self.waiting.index(person_id) + 1
        except ValueError:
            return None

    @property
    def free_places(self) -> int:
        return self.capacity - len(self.booked)


def allocate(capacity: int, requests: Sequence[SeatRequest]) -> Allocation:
    """Places go to live (not cancelled) requests in the order they were made; the rest wait.

    A cancellation frees a place and the first person waiting takes it, which is the same as
    ranking the live requests only. A person who asked twice counts once, at her earliest live
    request (a cancelled request keeps no place). Requests made at the same instant keep the order
    they are passed in. Capacity 0 means everyone waits.
    """
    if capacity < 0:
        raise ValueError(f"capacity must be 0 or more, got {capacity}")
    live = sorted(
        (r.requested_at, index, r.person_id)
        for index, r in enumerate(requests)
        if r.cancelled_at is None
    )
    order = tuple(dict.fromkeys(person_id for _, _, person_id in live))
    return Allocation(capacity, order[:capacity], order[capacity:])


# ----------------------------------------------------------------------------- mentors
@dataclass(frozen=True)
class MentorRule:
    """What a graduate needs to become a volunteer mentor: these courses complete (gender
    training, the Mentor Training School) and this many volunteer hours."""

    course_ids: tuple[str, ...]
    volunteer_hours: float

    def __post_init__(self) -> None:
        if self.volunteer_hours < 0:
            raise ValueError(f"volunteer_hours must be 0 or more, got {self.volunteer_hours}")


@dataclass(frozen=True)
class Eligibility:
    """The answer, with what is still missing so the programme team can tell her."""

    eligible: bool
    missing_courses: tuple[str, ...] = ()
    missing_hours: float = 0.0


def mentor_eligibility(
    rule: MentorRule, completed_course_ids: Iterable[str], hours: float
) -> Eligibility:
    """Whether she may become a mentor; missing courses keep the rule's order."""
    if hours < 0:
        raise ValueError(f"hours must be 0 or more, got {hours}")
    completed = set(completed_course_ids)
    missing = tuple(c for c in dict.fromkeys(rule.course_ids) if c not in completed)
    missing_hours = max(0.0, float(rule.volunteer_hours) - float(hours))
    return Eligibility(not missing and missing_hours == 0, missing, missing_hours)


# ----------------------------------------------------------------------------- volunteer hours
@dataclass(frozen=True)
class HeldSession:
    """A mentoring session she led or co-led. Give `ends_at` or `duration_minutes`."""

    starts_at: datetime
    held: bool
    role: Role
    ends_at: datetime | None = None
    duration_minutes: int | None = None

    def __post_init__(self) -> None:
        _require_aware(self.starts_at, "starts_at")
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, got {self.role!r}")
        if (self.ends_at is None) == (self.duration_minutes is None):
            raise ValueError("give exactly one of ends_at and duration_minutes")
        if self.ends_at is not None:
            _require_aware(self.ends_at, "ends_at")
            if self.ends_at < self.starts_at:
                raise ValueError("ends_at is before starts_at")
        if self.duration_minutes is not None and self.duration_minutes < 0:
            raise ValueError(f"duration_minutes must be 0 or more, got {self.duration_minutes}")

    @property
    def duration(self) -> timedelta:
        """Elapsed time. Aware datetimes in the same zone subtract as wall-clock time in Python,
        which is wrong on the night Chile changes its clocks, so both ends go to UTC first."""
        if self.duration_minutes is not None:
            return timedelta(minutes=self.duration_minutes)
        assert self.ends_at is not None
        return self.ends_at.astimezone(UTC) - self.starts_at.astimezone(UTC)


def volunteer_hours(sessions: Iterable[HeldSession]) -> float:
    """Hours given in sessions that were held, as lead or co-lead alike, rounded to the nearest
    quarter hour (half a quarter rounds up). Cancelled sessions count nothing."""
    seconds = sum(int(s.duration.total_seconds()) for s in sessions if s.held)
    quarters = (seconds + 450) // 900
    return quarters / 4


# ----------------------------------------------------------------------------- sessions
# The programme's sessions last two hours, for small groups (usually 3 to 8 women).
SESSION_MINUTES = 120
MIN_CAPACITY, MAX_CAPACITY = 1, 20
MIN_MINUTES, MAX_MINUTES = 30, 240
# A one-tap rating: 3 "it helped me a lot", 2 "it helped a little", 1 "it did not help".
RATINGS = (3, 2, 1)
# Her sessions in the next days are shown as a reminder when she opens Senda.
REMINDER_DAYS = 7


def open_for_sign_up(starts_at: datetime, now: datetime) -> bool:
    """Sign-ups (and cancellations) are open until the session starts."""
    _require_aware(starts_at, "starts_at")
    _require_aware(now, "now")
    return now < starts_at


def may_rate(starts_at: datetime, now: datetime, booked: bool, attended: bool | None) -> bool:
    """She may rate a session she had a place in, once it has started, unless the mentor
    recorded that she was not there."""
    _require_aware(starts_at, "starts_at")
    _require_aware(now, "now")
    return booked and now >= starts_at and attended is not False


def due_for_reminder(starts_at: datetime, now: datetime, days: int = REMINDER_DAYS) -> bool:
    """A session she has a place in, starting within the next `days` days."""
    _require_aware(starts_at, "starts_at")
    _require_aware(now, "now")
    return now <= starts_at <= now + timedelta(days=days)


def _month(value: datetime) -> tuple[int, int]:
    local = value.astimezone(CHILE)
    return local.year, local.month


def sessions_in_month(starts: Iterable[datetime], when: datetime) -> int:
    """How many of `starts` fall in the same calendar month as `when`, in Chile's time."""
    _require_aware(when, "when")
    month = _month(when)
    count = 0
    for start in starts:
        _require_aware(start, "start")
        count += _month(start) == month
    return count


def may_offer(per_month: int, existing_starts: Iterable[datetime], new_start: datetime) -> bool:
    """A mentor offers at most `per_month` sessions in a calendar month (her own limit, from her
    profile); 0 means she is not offering sessions for now."""
    if per_month < 0:
        raise ValueError(f"per_month must be 0 or more, got {per_month}")
    return sessions_in_month(existing_starts, new_start) < per_month
