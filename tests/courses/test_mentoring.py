"""Mentoring rules: sign-up, places and waiting list, mentor eligibility, volunteer hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from courses.mentoring import (
    Allocation,
    HeldSession,
    MentorRule,
    SeatRequest,
    SignUpRule,
    allocate,
    due_for_reminder,
    may_offer,
    may_rate,
    may_sign_up,
    mentor_eligibility,
    open_for_sign_up,
    sessions_in_month,
    volunteer_hours,
)

SANTIAGO = ZoneInfo("America/Santiago")
T0 = datetime(2025, 3, 10, 9, 0, tzinfo=SANTIAGO)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


# ----------------------------------------------------------------------------- sign-up rule
def test_rule_from_content_pathway_complete() -> None:
    rule = SignUpRule.from_content("pathway-complete")
    assert rule == SignUpRule(pathway_complete=True)
    assert may_sign_up(rule, pathway_complete=True, completed_course_ids=[])
    assert not may_sign_up(rule, pathway_complete=False, completed_course_ids=["ent-plan"])


def test_rule_from_content_course_list_needs_every_course() -> None:
    rule = SignUpRule.from_content(["ent-plan", "ent-ecommerce", "ent-plan"])
    assert rule.course_ids == ("ent-plan", "ent-ecommerce")
    assert may_sign_up(rule, False, ["ent-ecommerce", "ent-plan", "other"])
    assert not may_sign_up(rule, True, ["ent-plan"])


def test_empty_course_list_lets_anyone_sign_up() -> None:
    assert may_sign_up(SignUpRule.from_content([]), False, [])


def test_anyone_in_content_lets_anyone_sign_up() -> None:
    rule = SignUpRule.from_content("anyone")
    assert rule == SignUpRule()
    assert may_sign_up(rule, pathway_complete=False, completed_course_ids=[])


def test_completed_ids_may_be_a_one_shot_iterator() -> None:
    rule = SignUpRule(course_ids=("a", "b"))
    assert may_sign_up(rule, False, iter(["b", "a"]))


@pytest.mark.parametrize("requires", ["pathway_complete", "", "all", ["ok", ""]])
def test_rule_from_content_rejects_anything_else(requires: str | list[str]) -> None:
    with pytest.raises(ValueError, match="requires"):
        SignUpRule.from_content(requires)


def test_rule_cannot_ask_for_both_pathway_and_courses() -> None:
    with pytest.raises(ValueError, match="not both"):
        SignUpRule(pathway_complete=True, course_ids=("ent-plan",))


# ----------------------------------------------------------------------------- places
def test_places_in_request_order_then_waiting_list() -> None:
    requests = [
        SeatRequest("carla", at(5)),
        SeatRequest("ana", at(0)),
        SeatRequest("dora", at(9)),
        SeatRequest("bea", at(2)),
    ]
    allocation = allocate(2, requests)
    assert allocation.booked == ("ana", "bea")
    assert allocation.waiting == ("carla", "dora")
    assert allocation.position("carla") == 1
    assert allocation.position("dora") == 2
    assert allocation.position("ana") is None
    assert allocation.is_booked("ana") and not allocation.is_booked("carla")
    assert allocation.free_places == 0


def test_cancellation_frees_a_place_for_the_first_waiting() -> None:
    requests = [
        SeatRequest("ana", at(0), cancelled_at=at(60)),
        SeatRequest("bea", at(1)),
        SeatRequest("carla", at(2)),
        SeatRequest("dora", at(3)),
    ]
    allocation = allocate(2, requests)
    assert allocation.booked == ("bea", "carla")
    assert allocation.waiting == ("dora",)
    assert allocation.position("ana") is None and not allocation.is_booked("ana")


def test_person_requesting_twice_counts_once_at_her_earliest_live_request() -> None:
    requests = [
        SeatRequest("bea", at(1)),
        SeatRequest("ana", at(10)),
        SeatRequest("ana", at(0)),
        SeatRequest("carla", at(2)),
    ]
    allocation = allocate(2, requests)
    assert allocation.booked == ("ana", "bea")
    assert allocation.waiting == ("carla",)


def test_cancelled_then_asking_again_goes_to_the_back() -> None:
    requests = [
        SeatRequest("ana", at(0), cancelled_at=at(3)),
        SeatRequest("bea", at(1)),
        SeatRequest("carla", at(2)),
        SeatRequest("ana", at(4)),
    ]
    allocation = allocate(2, requests)
    assert allocation.booked == ("bea", "carla")
    assert allocation.waiting == ("ana",)


def test_capacity_zero_everyone_waits() -> None:
    allocation = allocate(0, [SeatRequest("ana", at(0)), SeatRequest("bea", at(1))])
    assert allocation == Allocation(0, (), ("ana", "bea"))
    assert allocation.position("ana") == 1


def test_fewer_requests_than_places() -> None:
    allocation = allocate(10, [SeatRequest("ana", at(0))])
    assert allocation.booked == ("ana",) and allocation.waiting == ()
    assert allocation.free_places == 9


def test_no_requests() -> None:
    assert allocate(3, []) == Allocation(3, (), ())


def test_same_instant_keeps_the_order_given() -> None:
    allocation = allocate(1, [SeatRequest("zoe", at(0)), SeatRequest("ana", at(0))])
    assert allocation.booked == ("zoe",) and allocation.waiting == ("ana",)


def test_requests_in_different_time_zones_are_ranked_by_instant() -> None:
    # 12:00 UTC is 09:00 in Santiago in March (UTC-3): Ana at 08:59 Santiago asked first.
    requests = [
        SeatRequest("bea", datetime(2025, 3, 10, 12, 0, tzinfo=UTC)),
        SeatRequest("ana", datetime(2025, 3, 10, 8, 59, tzinfo=SANTIAGO)),
    ]
    assert allocate(1, requests).booked == ("ana",)


def test_negative_capacity_is_an_error() -> None:
    with pytest.raises(ValueError, match="capacity"):
        allocate(-1, [])


def test_naive_request_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SeatRequest("ana", datetime(2025, 3, 10, 9, 0))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        SeatRequest("ana", T0, cancelled_at=datetime(2025, 3, 10, 9, 0))  # noqa: DTZ001


# ----------------------------------------------------------------------------- mentors
RULE = MentorRule(course_ids=("gender-training", "mentor-school"), volunteer_hours=8)


def test_eligible_with_courses_and_hours() -> None:
    result = mentor_eligibility(RULE, ["mentor-school", "gender-training", "ls"], 8.0)
    assert result.eligible
    assert result.missing_courses == () and result.missing_hours == 0


def test_more_hours_than_needed_is_fine() -> None:
    assert mentor_eligibility(RULE, ["gender-training", "mentor-school"], 12.5).eligible


def test_missing_courses_in_rule_order_and_missing_hours() -> None:
    result = mentor_eligibility(RULE, ["ls"], 5.75)
    assert not result.eligible
    assert result.missing_courses == ("gender-training", "mentor-school")
    assert result.missing_hours == pytest.approx(2.25)


def test_only_hours_missing() -> None:
    result = mentor_eligibility(RULE, ["gender-training", "mentor-school"], 7.75)
    assert not result.eligible
    assert result.missing_courses == () and result.missing_hours == pytest.approx(0.25)


def test_only_a_course_missing() -> None:
    result = mentor_eligibility(RULE, ["mentor-school"], 20)
    assert not result.eligible
    assert result.missing_courses == ("gender-training",) and result.missing_hours == 0


def test_rule_with_nothing_required() -> None:
    assert mentor_eligibility(MentorRule((), 0), [], 0).eligible


def test_negative_hours_are_errors() -> None:
    with pytest.raises(ValueError, match="hours"):
        mentor_eligibility(RULE, [], -1)
    with pytest.raises(ValueError, match="volunteer_hours"):
        MentorRule((), -0.5)


# ----------------------------------------------------------------------------- volunteer hours
def session(minutes: int, held: bool = True, role: str = "lead") -> HeldSession:
    return HeldSession(T0, held, role, ends_at=T0 + timedelta(minutes=minutes))  # type: ignore[arg-type]


def test_held_sessions_count_both_roles() -> None:
    sessions = [session(120, role="lead"), session(120, role="co-lead")]
    assert volunteer_hours(sessions) == 4.0


def test_sessions_not_held_count_nothing() -> None:
    assert volunteer_hours([session(120), session(120, held=False)]) == 2.0
    assert volunteer_hours([session(120, held=False)]) == 0.0


def test_duration_in_minutes_instead_of_end() -> None:
    assert volunteer_hours([HeldSession(T0, True, "lead", duration_minutes=90)]) == 1.5


@pytest.mark.parametrize(
    ("minutes", "hours"),
    [
        (0, 0.0),
        (7, 0.0),  # under half a quarter rounds down
        (8, 0.25),  # 7.5 minutes or more rounds up
        (119, 2.0),
        (127, 2.0),
        (128, 2.25),
        (100, 1.75),
    ],
)
def test_total_rounded_to_quarter_hours(minutes: int, hours: float) -> None:
    assert volunteer_hours([HeldSession(T0, True, "lead", duration_minutes=minutes)]) == hours


def test_rounding_applies_to_the_total_not_each_session() -> None:
    # Four sessions of 5 minutes each would round to 0 one by one; together they are 20 minutes.
    sessions = [HeldSession(T0, True, "co-lead", duration_minutes=5) for _ in range(4)]
    assert volunteer_hours(sessions) == 0.25


def test_no_sessions() -> None:
    assert volunteer_hours([]) == 0.0


def test_session_across_the_night_chile_turns_clocks_back() -> None:
    # On 6-7 April 2024 Chile went from UTC-3 to UTC-4 at midnight: 22:00 to 00:00 is 3 hours.
    start = datetime(2024, 4, 6, 22, 0, tzinfo=SANTIAGO)
    end = datetime(2024, 4, 7, 0, 0, tzinfo=SANTIAGO)
    assert volunteer_hours([HeldSession(start, True, "lead", ends_at=end)]) == 3.0


def test_start_and_end_in_different_zones() -> None:
    start = datetime(2025, 3, 10, 18, 0, tzinfo=SANTIAGO)  # 21:00 UTC
    end = datetime(2025, 3, 10, 23, 0, tzinfo=UTC)
    assert volunteer_hours([HeldSession(start, True, "lead", ends_at=end)]) == 2.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "host", "duration_minutes": 60}, "role"),
        ({"role": "lead"}, "exactly one"),
        ({"role": "lead", "duration_minutes": 60, "ends_at": T0}, "exactly one"),
        ({"role": "lead", "ends_at": T0 - timedelta(minutes=1)}, "before"),
        ({"role": "lead", "duration_minutes": -5}, "duration_minutes"),
        ({"role": "lead", "ends_at": datetime(2025, 3, 10, 11, 0)}, "timezone-aware"),  # noqa: DTZ001
    ],
)
def test_invalid_sessions_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HeldSession(T0, True, **kwargs)  # type: ignore[arg-type]


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        HeldSession(datetime(2025, 3, 10, 9, 0), True, "lead", duration_minutes=60)  # noqa: DTZ001


# ----------------------------------------------------------------------------- sessions
def test_sign_up_and_cancel_close_when_the_session_starts() -> None:
    assert open_for_sign_up(at(60), now=at(59))
    assert not open_for_sign_up(at(60), now=at(60))
    assert not open_for_sign_up(at(60), now=at(61))


def test_rating_needs_a_place_and_a_started_session() -> None:
    start = at(0)
    assert may_rate(start, now=at(0), booked=True, attended=None)
    assert may_rate(start, now=at(200), booked=True, attended=True)
    assert not may_rate(start, now=at(-1), booked=True, attended=None)  # not started yet
    assert not may_rate(start, now=at(200), booked=False, attended=None)  # she was waiting
    assert not may_rate(start, now=at(200), booked=True, attended=False)  # marked absent


def test_reminder_for_sessions_in_the_next_seven_days() -> None:
    assert due_for_reminder(at(60), now=at(0))
    assert due_for_reminder(T0 + timedelta(days=7), now=T0)
    assert not due_for_reminder(T0 + timedelta(days=7, minutes=1), now=T0)
    assert not due_for_reminder(at(-1), now=at(0))  # already started


def test_sessions_in_a_month_count_in_chile_time() -> None:
    # 31 March 2025 at 22:00 in Santiago is already 1 April in UTC: it is a March session.
    march_night = datetime(2025, 3, 31, 22, 0, tzinfo=SANTIAGO)
    assert march_night.astimezone(UTC).month == 4
    starts = [march_night, datetime(2025, 3, 3, 18, 0, tzinfo=SANTIAGO)]
    assert sessions_in_month(starts, datetime(2025, 3, 15, 12, 0, tzinfo=SANTIAGO)) == 2
    assert sessions_in_month(starts, datetime(2025, 4, 1, 12, 0, tzinfo=SANTIAGO)) == 0


def test_a_mentor_offers_no_more_sessions_a_month_than_she_said() -> None:
    march = [datetime(2025, 3, d, 18, 0, tzinfo=SANTIAGO) for d in (3, 10)]
    new = datetime(2025, 3, 24, 18, 0, tzinfo=SANTIAGO)
    assert may_offer(3, march, new)
    assert not may_offer(2, march, new)
    assert may_offer(2, march, datetime(2025, 4, 7, 18, 0, tzinfo=SANTIAGO))
    assert not may_offer(0, [], new)  # 0: she is not offering sessions for now
    with pytest.raises(ValueError, match="per_month"):
        may_offer(-1, [], new)


def test_session_rules_refuse_naive_datetimes() -> None:
    naive = datetime(2025, 3, 10, 9, 0)  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        open_for_sign_up(naive, T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        sessions_in_month([naive], T0)
