"""The grade outbox against a gradebook that is down, slow, answers 429, 500 or 401, or refuses —
on the score POST, the line-items service, the roster's pages and the token endpoint, each: after
it recovers every change reaches the gradebook exactly once, in order, with the values the LMS
must end up holding; a worker killed between sending and recording loses nothing and doubles
nothing. The fake gradebook records every POST it receives (tests/support/flaky_lms.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from lti_tool.actor import Actor, Role
from lti_tool.jobs import grade_delivery as worker
from lti_tool.lti import ags
from lti_tool.models import (
    LmsContext,
    LtiUser,
    Membership,
    ResourceLink,
    ScoreOutbox,
    db,
    utcnow,
)
from lti_tool.services import grades, learning, roster
from lti_tool.services.cohort import CourseScope
from lti_tool.services.errors import ScoreNotFound
from tests.conftest import override_settings
from tests.factories import (
    CourseFactory,
    LinkFactory,
    MembershipFactory,
    UserFactory,
)
from tests.support.flaky_lms import LINEITEMS, MEMBERSHIPS, SCORES, TOKEN, FlakyLms
from tests.support.graded_course import graded_course
from tests.support.servers import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "lti": {"allow_private_urls": True, "http_timeout_seconds": 1.0},
        "outbox": {
            "backoff_base_seconds": 0.01,
            "backoff_max_seconds": 0.05,
            "max_attempts": 8,
            "lease_seconds": 30,
        },
    }


@pytest.fixture
def lms() -> Iterator[FlakyLms]:
    flaky = FlakyLms(free_port(), slow_seconds=2.0)  # answers after the 1 s timeout, always
    flaky.start()
    yield flaky
    flaky.stop()


@pytest.fixture
def course(app: Flask, lms: FlakyLms, imported: int) -> dict[str, int]:
    return graded_course(lms.url)


def participant(course: dict[str, int], lms: FlakyLms, n: int) -> learning.Journey:
    """A participant of the LMS course with a plan in the test programme."""
    user = UserFactory(platform_id=course["platform"], sub=f"learner-{n}", name=f"Learner {n}")
    MembershipFactory(user_id=user.id, context_id=course["context"])
    actor = Actor(
        user.id,
        course["platform"],
        1,
        course["context"],
        course["link"],
        Role.PARTICIPANT,
        user.name,
    )
    enrolment = learning.enrol(actor, {"goal": ["own-business"]}, None, None)
    return learning.journey_of(enrolment)


def progress(j: learning.Journey, *activity_ids: str) -> None:
    for activity_id in activity_ids:
        activity = j.catalogue.activities[activity_id]
        if activity.kind == "quiz":
            learning.submit_quiz(j, activity, {"q1": ["a"]})
        elif activity.kind == "reflection":
            learning.save_reflection(j, activity, "texto")
        else:
            learning.mark_viewed(j, activity)


def drain(rounds: int = 200) -> None:
    for _ in range(rounds):
        worker.run_once()
        waiting = db.session.scalar(
            select(ScoreOutbox.id).where(ScoreOutbox.status == "pending").limit(1)
        )
        if waiting is None:
            return
        time.sleep(0.02)
    raise AssertionError("the outbox did not drain")


def delivered_scores() -> list[ScoreOutbox]:
    return list(db.session.scalars(select(ScoreOutbox).order_by(ScoreOutbox.id)))


def sent_stamps(j: learning.Journey) -> list[str]:
    """The event times of her scores in the outbox, oldest first, as the LMS receives them."""
    rows = db.session.scalars(
        select(ScoreOutbox)
        .where(ScoreOutbox.user_id == j.enrolment.user_id)
        .order_by(ScoreOutbox.id)
    )
    return [r.event_at.isoformat(timespec="milliseconds") for r in rows]


def test_lms_down_then_recovering_delivers_every_change_once_in_order(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    journeys = [participant(course, lms, n) for n in range(20)]
    for j in journeys:
        progress(j, "ls-welcome", "ls-story")  # coalesced into one waiting score: 2 of 5 steps
    assert len(delivered_scores()) == 20

    lms.stop()  # the gradebook goes down
    result = worker.run_once()
    assert result.retried == 20 and result.delivered == 0

    for j in journeys[:10]:  # learning goes on while it is down: the quiz, 3 of 5 steps
        progress(j, "ls-check")

    lms.start()
    # Faults where they hurt: on the score POST itself (busy, broken, applied but answered too
    # late, token revoked) and on the token endpoint.
    score_faults = ["429", "500", "slow", "401", "500"]
    lms.fail(SCORES, *score_faults)
    lms.fail(TOKEN, "500", "429")
    drain()
    lms.settle()

    rows = delivered_scores()
    assert {r.status for r in rows} == {"delivered"}
    assert len(rows) == 30  # 20 first scores + 10 later changes, none merged into an in-flight one
    # What each column of the gradebook held, in order: the first ten went 60 then 60 (the
    # first score is sent with her committed progress at the moment of sending, the quiz
    # included: 3 of the course's 5 steps), the others 40 (2 of 5).
    history = lms.history()
    assert history == {
        **{(f"learner-{n}", "1"): [60.0, 60.0] for n in range(10)},
        **{(f"learner-{n}", "1"): [40.0] for n in range(10, 20)},
    }
    # Exactly once: each change was applied once, and the only POSTs beyond one per change are
    # the ones a fault answered (each sent again once). Sending a score twice would show here.
    applied = [(r.user_id, r.timestamp) for r in lms.received if r.status == 200]
    assert len(applied) == len(set(applied)) == 30
    refused = [r for r in lms.received if r.status != 200]
    assert len(lms.received) == 30 + len(refused)  # every other POST was refused, none applied
    # Beyond the scripted faults, only the scores in flight when the LMS revoked its tokens
    # (401, several at once with many in flight) and the resend of the late one (409).
    assert all(r.status in (401, 409) for r in refused if not r.fault)
    assert sorted(r.fault for r in lms.received if r.fault) == sorted(score_faults)
    # The POST answered too late was applied by the LMS; its resend met a 409 and no other did.
    refused = [r for r in lms.received if r.status == 409]
    assert len(refused) <= 1
    # In the order of her changes: the timestamps the LMS applied are hers, oldest first.
    for n, j in enumerate(journeys):
        stamps = [a.timestamp for a in lms.accepted if a.user_id == f"learner-{n}"]
        assert stamps == sent_stamps(j) and stamps == sorted(stamps)
    # The token endpoint's faults cost a retry each, and one fresh token after the revocation.
    assert lms.token_requests == 2 + 1 + 1


def test_a_pending_score_takes_the_newer_progress_and_the_lms_receives_it_once(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    """Progress 20, then 40 before the worker runs: the one waiting score holds 40 and the
    time of the newer progress; the LMS receives exactly that, once."""
    j = participant(course, lms, 1)
    progress(j, "ls-welcome")  # 1 of the course's 5 steps: 20
    [waiting] = delivered_scores()
    assert waiting.score_given == 20.0
    first_event = waiting.event_at
    progress(j, "ls-check")  # 2 of 5: 40, before any delivery
    db.session.expire_all()
    [waiting] = delivered_scores()
    assert waiting.score_given == 40.0 and waiting.activity_progress == "InProgress"
    assert waiting.event_at > first_event
    assert "Check" in waiting.comment or "Prueba" in waiting.comment
    newer_event = waiting.event_at.isoformat(timespec="milliseconds")
    drain()
    assert lms.history() == {("learner-1", "1"): [40.0]}
    assert [(r.score_given, r.timestamp, r.status) for r in lms.received] == [
        (40.0, newer_event, 200)
    ]


def test_worker_killed_between_send_and_commit_loses_and_doubles_nothing(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    j = participant(course, lms, 1)
    progress(j, "ls-check")
    [score_id] = worker.claim()

    def crash() -> None:
        raise RuntimeError("SIGKILL")

    with pytest.raises(RuntimeError):
        worker.deliver(score_id, after_send=crash)
    db.session.rollback()
    assert len(lms.accepted) == 1  # the LMS has it; we never recorded that
    assert worker.run_once().claimed == 0  # its lease still holds

    db.session.execute(update(ScoreOutbox).values(locked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert worker.run_once().delivered == 1  # sent again: the LMS answers 409, already applied
    assert lms.posts == 2 and len(lms.accepted) == 1
    assert [r.status for r in lms.received] == [200, 409]
    row = db.session.get(ScoreOutbox, score_id)
    assert row is not None and row.status == "delivered" and "409" in row.last_error


def test_a_newer_change_waits_for_the_one_in_flight(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    j = participant(course, lms, 1)
    progress(j, "ls-welcome")
    [first] = worker.claim()  # a worker holds it...
    progress(j, "ls-check")  # ...when she makes progress again
    assert worker.claim() == []  # another worker must not overtake the first score
    assert worker.deliver(first) == "delivered"
    drain()
    # Both went out, in order; the first already carried her committed progress (sent at that
    # moment, not as queued), and the LMS ends with 2 of the course's 5 steps.
    assert [a.score_given for a in lms.accepted] == [40.0, 40.0]
    stamps = [a.timestamp for a in lms.accepted]
    assert stamps == sorted(stamps) and len(set(stamps)) == 2


def test_permanent_refusal_parks_the_score_and_retry_sends_it(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    j = participant(course, lms, 1)
    progress(j, "ls-check")
    lms.fail(SCORES, "400")
    assert worker.run_once().parked == 1
    runner = app.test_cli_runner()
    status = runner.invoke(args=["outbox", "status"])
    assert "parked=1" in status.output and "HTTP 400" in status.output
    retried = runner.invoke(args=["outbox", "retry", "--all-parked"])
    assert "1 score(s) queued again" in retried.output
    assert worker.run_once().delivered == 1


def test_a_refused_token_and_a_deleted_grade_column_are_told_apart(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    """The grades page says why a score failed: the two causes staff confuse most."""
    j = participant(course, lms, 1)
    progress(j, "ls-check")
    lms.fail(TOKEN, "400")  # the token endpoint refuses Senda's assertion
    assert worker.run_once().parked == 1
    row = delivered_scores()[0]
    assert ags.failure_reason(row.last_error) == ags.FailureReason.TOKEN, row.last_error
    assert ags.failure_status(row.last_error) == 400
    assert grades.retry(row.id)
    lms.fail(SCORES, "404")  # a token this time, then the line item is gone
    assert worker.run_once().parked == 1
    db.session.expire_all()
    row = delivered_scores()[0]
    assert ags.failure_reason(row.last_error) == ags.FailureReason.GONE, row.last_error
    assert "error 404" not in row.last_error  # the LMS's body is never kept


def test_a_score_is_parked_after_the_configured_attempts(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    override_settings(app, outbox={"max_attempts": 3})
    j = participant(course, lms, 1)
    progress(j, "ls-check")
    lms.stop()
    for _ in range(3):
        db.session.execute(update(ScoreOutbox).values(next_attempt_at=utcnow()))
        db.session.commit()
        worker.run_once()
    row = delivered_scores()[0]
    assert row.status == "parked" and row.attempts == 3 and "connection" in row.last_error


def test_401_gets_a_new_token_once_and_tokens_are_reused(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    journeys = [participant(course, lms, n) for n in range(5)]
    for j in journeys:
        progress(j, "ls-check")
    assert worker.run_once().delivered == 5
    assert lms.token_requests == 1  # one token for five scores
    progress(journeys[0], "ls-welcome")
    lms.fail(SCORES, "401")  # the LMS revoked its tokens: the score POST is refused
    assert worker.run_once().delivered == 1
    assert lms.token_requests == 2
    # The refused POST, then the same score again with the new token; nothing else.
    assert [(r.user_id, r.status) for r in lms.received[-2:]] == [
        ("learner-0", 401),
        ("learner-0", 200),
    ]
    assert len(lms.received) == 7


def test_429_waits_at_least_retry_after(app: Flask, lms: FlakyLms, course: dict[str, int]) -> None:
    j = participant(course, lms, 1)
    progress(j, "ls-check")
    lms.fail(SCORES, "429")
    assert worker.run_once().retried == 1
    row = delivered_scores()[0]
    assert row.next_attempt_at > utcnow() - timedelta(seconds=1)
    assert row.attempts == 1 and "429" in row.last_error


def test_backoff_grows_with_jitter_and_is_capped(app: Flask) -> None:
    override_settings(app, outbox={"backoff_base_seconds": 5.0, "backoff_max_seconds": 60.0})
    delays = [worker.backoff(n) for n in (1, 2, 3, 10)]
    assert 2.5 <= delays[0] <= 5 and 5 <= delays[1] <= 10 and 10 <= delays[2] <= 20
    assert 30 <= delays[3] <= 60
    assert worker.backoff(1, retry_after=120) == 120
    assert len({worker.backoff(4) for _ in range(20)}) > 1  # jitter


def test_two_workers_claim_disjoint_scores(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    for n in range(30):
        progress(participant(course, lms, n), "ls-check")
    claimed: list[list[int]] = []
    barrier = threading.Barrier(2)

    def claim() -> None:
        with app.app_context():
            barrier.wait()
            claimed.append(worker.claim(20))
            db.session.remove()

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = claimed
    assert not set(first) & set(second)  # never the same score twice
    assert first or second
    if db.session.get_bind().dialect.name == "postgresql":
        # SKIP LOCKED: the second worker takes the rows the first did not lock.
        assert len(first) + len(second) == 30


def test_scores_never_exceed_the_maximum_and_carry_utc_times(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    j = participant(course, lms, 1)
    progress(j, "ls-check", "ls-welcome")
    drain()
    assert [(a.score_given, a.score_maximum) for a in lms.accepted] == [(40.0, 100.0)]
    assert all(a.timestamp.endswith("+00:00") for a in lms.accepted)
    assert lms.token_requests == 1  # this LMS's own count, not a counter shared across tests


def test_gradebook_never_keeps_a_wrong_score_when_two_activities_finish_at_once(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    """Two requests complete the course's last two activities at the same moment: each computed
    its score without the other's progress (3 of 5 steps), and the later one overwrote the
    waiting score. The score is computed again from committed progress when it is sent."""
    j = participant(course, lms, 1)
    progress(j, "ls-welcome", "ls-story")
    drain()
    # Both requests loaded her journey before either saved.
    one = learning.journey_of(j.enrolment)
    other = learning.journey_of(j.enrolment)
    progress(one, "ls-check")  # 3 of 5 steps, then 4 with the other's
    progress(other, "ls-strengths")  # stale: computes 3 of 5 and overwrites the waiting score
    drain()
    assert lms.latest()[("learner-1", "1")].score_given == 80.0


def test_a_slow_lms_never_receives_a_score_twice(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    """Two workers, a lease shorter than a batch takes on a slow LMS: before, a worker whose
    lease ran out mid-batch still sent what another worker had taken over."""
    override_settings(app, outbox={"lease_seconds": 2, "batch_size": 20})
    for n in range(12):
        progress(participant(course, lms, n), "ls-check")
    lms.latency = 0.4  # 12 scores take ~5 s: longer than the lease

    def worker_loop() -> None:
        with app.app_context():
            for _ in range(40):
                worker.run_once()
                pending = db.session.scalar(
                    select(ScoreOutbox.id).where(ScoreOutbox.status == "pending").limit(1)
                )
                db.session.remove()
                if pending is None:
                    return
                time.sleep(0.1)

    threads = [threading.Thread(target=worker_loop) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.count()).select_from(ScoreOutbox).where(ScoreOutbox.status == "delivered")
        )
        == 12
    )
    assert lms.posts == 12  # each score reached the LMS exactly once


def test_tenants_do_not_hurt_each_other_a_hung_lms_delays_only_its_own_grades(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    """One tenant's LMS answers every score after 3 s; another tenant's scores must not wait
    behind them (before: one worker sent them one after the other, behind the hung LMS)."""
    other = FlakyLms(free_port())
    other.start()
    try:
        fast = graded_course(other.url, issuer="https://fast.example.edu", client_id="c-2")
        for n in range(12):
            progress(participant(course, lms, n), "ls-check")  # the hung tenant's first
        for n in range(12, 15):
            progress(participant(fast, other, n), "ls-check")
        lms.latency = 3.0  # each score times out (1 s here, 5 s by default)
        started = time.monotonic()
        result = worker.run_once()
        assert (result.delivered, result.retried) == (3, 12)
        assert len(other.accepted) == 3
        # Behind the hung tenant, one after the other, they would wait 12 x 1 s = 12 s; the
        # bound leaves room for a loaded machine.
        assert max(a.received for a in other.accepted) - started < 3.0
        # The hung tenant's scores are not lost: they wait for their next attempt.
        waiting = db.session.scalars(select(ScoreOutbox).where(ScoreOutbox.status == "pending"))
        assert {r.platform_id for r in waiting} == {course["platform"]}
    finally:
        other.stop()


def test_line_item_service_faults_are_retried_and_create_the_item_once(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    """A link that came without a line item: Senda finds or creates it through the line-items
    service. That service failing (500, then 429 on the create) delays the score; it never
    creates two line items nor loses the score."""
    link = LinkFactory(
        course=db.session.get(LmsContext, course["context"]),
        lineitem_url=None,
        lineitems_url=f"{lms.url}/lineitems",
        ags_scopes=" ".join([ags.SCORE, ags.LINEITEM]),
    )
    db.session.commit()
    j = participant(course, lms, 1)
    progress(j, "ls-check")
    lms.fail(LINEITEMS, "500")  # the search for her link's item fails
    result = worker.run_once()
    assert (result.delivered, result.retried) == (1, 1)  # the other link's score is not held up
    lms.fail(LINEITEMS, "ok", "429")  # then the search works and the create is refused, once
    drain()
    assert lms.lineitem_requests == ["GET", "GET", "POST", "GET", "POST"]
    assert len(lms.lineitems) == 1
    item = lms.lineitems[0]
    assert item["resourceLinkId"] == link.resource_link_id and item["scoreMaximum"] == 100
    db.session.expire_all()
    saved = db.session.get(ResourceLink, link.id)
    assert saved is not None and saved.lineitem_url == item["id"]
    assert lms.history() == {("learner-1", "1"): [20.0], ("learner-1", "101"): [20.0]}
    # Her next change goes straight to the item found: no new search.
    progress(j, "ls-welcome")
    drain()
    assert lms.lineitem_requests == ["GET", "GET", "POST", "GET", "POST"]
    assert lms.history() == {
        ("learner-1", "1"): [20.0, 40.0],
        ("learner-1", "101"): [20.0, 40.0],
    }


def test_roster_page_faults_record_nothing_until_every_page_is_read(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    """The roster comes in pages; a fault on the second page (or a revoked token on the first)
    must not leave half a roster recorded, and a later sync records everyone once."""
    context = db.session.get(LmsContext, course["context"])
    assert context is not None
    context.memberships_url = f"{lms.url}/memberships"
    db.session.commit()
    learner = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
    lms.members = [
        {"user_id": f"roster-{n}", "name": f"Person {n}", "roles": [learner], "status": "Active"}
        for n in range(5)
    ]
    scope = CourseScope(course["context"])

    def listed() -> set[str]:
        db.session.expire_all()
        return set(
            db.session.scalars(
                select(LtiUser.sub)
                .join(Membership, Membership.user_id == LtiUser.id)
                .where(Membership.context_id == course["context"])
            )
        )

    lms.fail(MEMBERSHIPS, "ok", "500")  # page 1 fine, page 2 broken
    with pytest.raises(roster.LmsUnavailable):
        roster.sync(scope)
    assert lms.roster_requests == [1, 2]
    assert listed() == set()

    lms.fail(MEMBERSHIPS, "ok", "429")
    with pytest.raises(roster.LmsUnavailable):
        roster.sync(scope)
    assert listed() == set()

    lms.fail(MEMBERSHIPS, "401")  # the token was revoked: a new one, once, and all pages
    assert roster.sync(scope) == 5
    assert lms.roster_requests == [1, 2, 1, 2, 1, 1, 2, 3]
    assert listed() == {f"roster-{n}" for n in range(5)}
    assert roster.sync(scope) == 5  # a second sync adds nobody twice
    assert len(listed()) == 5


def test_token_endpoint_faults_delay_scores_and_never_send_without_a_token(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    journeys = [participant(course, lms, n) for n in range(3)]
    for j in journeys:
        progress(j, "ls-check")
    lms.fail(TOKEN, "500", "429", "slow")
    result = worker.run_once()  # each score asks for a token, and each request fails
    assert (result.delivered, result.retried) == (0, 3) and lms.token_requests == 3
    assert lms.received == []  # no score POST went out without a token
    drain()
    assert lms.token_requests == 4
    assert lms.history() == {(f"learner-{n}", "1"): [20.0] for n in range(3)}
    assert [r.status for r in lms.received] == [200, 200, 200]


def test_outbox_commands_count_exactly_and_the_facilitators_retry_is_scoped(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    """What the `outbox` commands and the facilitator's retry button rely on: a claim takes the
    batch size asked for, counts are per status, the parked list is bounded, and a facilitator
    retries only her own course's parked scores."""
    for n in range(4):
        progress(participant(course, lms, n), "ls-check")
    assert len(worker.claim(3)) == 3  # the batch asked for, not the configured one
    db.session.execute(update(ScoreOutbox).values(locked_until=None, claim=None))
    lms.fail(SCORES, "400", "400")
    drain()
    assert grades.status_counts() == {"delivered": 2, "parked": 2}
    assert len(grades.parked(limit=1)) == 1 and len(grades.parked()) == 2
    parked_ids = grades.parked_ids()
    assert len(parked_ids) == 2

    mine = Actor(0, course["platform"], 1, course["context"], course["link"], Role.FACILITATOR, "")
    other_course = CourseFactory(deployment_id=course["deployment"])
    stranger = Actor(0, course["platform"], 1, other_course.id, None, Role.FACILITATOR, "")
    with pytest.raises(ScoreNotFound):
        grades.retry(parked_ids[0], stranger)  # another course's score: not found
    delivered = db.session.scalar(select(ScoreOutbox.id).where(ScoreOutbox.status == "delivered"))
    assert delivered is not None and grades.retry(delivered, mine) is False  # not parked
    assert grades.retry(parked_ids[0], mine) is True
    row = db.session.get(ScoreOutbox, parked_ids[0])
    assert row is not None and (row.status, row.attempts) == ("pending", 0)
    assert grades.status_counts() == {"delivered": 2, "parked": 1, "pending": 1}


def test_backoff_without_retry_after_stays_within_its_bounds(app: Flask) -> None:
    override_settings(app, outbox={"backoff_base_seconds": 0.2, "backoff_max_seconds": 1.0})
    assert all(0.1 <= worker.backoff(1) <= 0.2 for _ in range(20))
    assert worker.backoff(1, retry_after=0.0) <= 0.2
