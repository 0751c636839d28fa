"""The score POST goes out without requests' per-request work (`TimeoutSession.post_bytes`), and
must stay what pylti1p3's `put_grade` sent: the same body, path and headers, over the session's
own connections, and the LMS's answers and failures sorted as before."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask, Response, request
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.grade import Grade

from lti_tool.lti import ags, http, keys
from tests.factories import PlatformFactory
from tests.support.flaky_lms import FlakyLms
from tests.support.servers import free_port

MESSAGE = ags.ScoreMessage(
    user_id="carmen-7",
    given=3.0,
    maximum=5.0,
    activity_progress="InProgress",
    timestamp=datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=UTC),
    comment="Paso 3 de 5: «Mi idea de negocio»",
)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"lti": {"allow_private_urls": True, "http_timeout_seconds": 0.5}}


@dataclass
class Gradebook(FlakyLms):
    """FlakyLms's token endpoint, and a score endpoint that records each POST as it came (path,
    headers, raw body) and answers with the next scripted answer (else 200, empty)."""

    answers: list[tuple[int, dict[str, str], bytes, float]] = field(default_factory=list)
    raw_posts: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    def app(self) -> Flask:
        lms = super().app()

        def scores(item: str) -> Any:
            with self._lock:
                self.raw_posts.append(
                    (request.full_path, dict(request.headers), request.get_data())
                )
                status, headers, body, delay = (
                    self.answers.pop(0) if self.answers else (200, {}, b"", 0)
                )
            time.sleep(delay)
            return Response(body, status=status, headers=headers)

        lms.view_functions["scores"] = scores
        return lms


@pytest.fixture
def gradebook() -> Iterator[Gradebook]:
    book = Gradebook(free_port())
    book.start()
    yield book
    book.stop()


@pytest.fixture
def client(app: Flask, gradebook: Gradebook) -> ags.LmsClient:
    keys.ensure_current_key()
    platform = PlatformFactory(auth_token_url=f"{gradebook.url}/token")
    return ags.LmsClient(platform, timeout=0.5)


def test_the_score_post_is_what_pylti1p3_sent(client: ags.LmsClient, gradebook: Gradebook) -> None:
    lineitem = f"{gradebook.url}/lineitems/7?type=grade"
    client.post_score([ags.SCORE], lineitem, MESSAGE)
    client.post_score([ags.SCORE], lineitem, MESSAGE)
    [(path, headers, body), second] = gradebook.raw_posts
    grade = (
        Grade()
        .set_user_id(MESSAGE.user_id)
        .set_score_given(MESSAGE.given)
        .set_score_maximum(MESSAGE.maximum)
        .set_activity_progress(MESSAGE.activity_progress)
        .set_grading_progress(MESSAGE.grading_progress)
        .set_timestamp(MESSAGE.timestamp.isoformat(timespec="milliseconds"))
        .set_comment(MESSAGE.comment)
    )
    assert body == grade.get_value().encode()  # byte for byte
    assert path == "/lineitems/7/scores?type=grade"
    assert headers["Content-Type"] == "application/vnd.ims.lis.v1.score+json"
    assert headers["Accept"] == "application/json"
    assert headers["Authorization"] == "Bearer token-1"
    assert headers["User-Agent"] == http.USER_AGENT
    assert gradebook.token_requests == 1 and second[0] == path
    # (Connections kept open and shared with the token request: test_grade_delivery.py, over a
    # keep-alive server; Werkzeug's closes each one.)


@pytest.mark.parametrize(
    "lineitem",
    [
        "https://lms.example.edu/api/lti/courses/3/line_items/9",
        "https://lms.example.edu/api/lti/courses/3/line_items/9/",
        "https://lms.example.edu/mod/lti/services.php/2/lineitems/5/lineitem?type_id=1",
        "https://lms.example.edu/li/5/?a=1&b=2",
    ],
)
def test_the_scores_endpoint_is_found_as_pylti1p3_finds_it(lineitem: str) -> None:
    assert ags.scores_url(lineitem) == AssignmentsGradesService._add_url_path_ending(
        lineitem, "scores"
    )


@pytest.mark.parametrize("comment", ["", "plain", 'ñandú «» \u2028 "quoted" \\ tab\t'])
def test_the_score_body_is_pylti1p3s_for_any_comment(comment: str) -> None:
    message = ags.ScoreMessage("u", 0.0, 1.5, "Completed", MESSAGE.timestamp, comment, "Pending")
    grade = (
        Grade()
        .set_user_id("u")
        .set_score_given(0.0)
        .set_score_maximum(1.5)
        .set_activity_progress("Completed")
        .set_grading_progress("Pending")
        .set_timestamp(MESSAGE.timestamp.isoformat(timespec="milliseconds"))
        .set_comment(comment)
    )
    assert ags.score_body(message) == grade.get_value().encode()


@pytest.mark.parametrize(
    ("answer", "raised", "error", "retry_after"),
    [
        ((409, {}, b"older", 0), ags.AlreadyApplied, "HTTP 409", None),
        ((503, {"Retry-After": "7"}, b"busy", 0), ags.Retry, "HTTP 503", 7.0),
        ((429, {}, b"", 0), ags.Retry, "HTTP 429", None),
        ((404, {}, b"no such item", 0), ags.GiveUp, "HTTP 404", None),
        ((400, {}, b"bad", 0), ags.GiveUp, "HTTP 400", None),
        ((200, {}, b"<html>ok</html>", 0), ags.GiveUp, "could not be used (JSONDecodeError)", None),
        ((200, {}, b"", 2.0), ags.Retry, "timeout", None),  # answered after the timeout
    ],
)
def test_the_lmss_answers_are_sorted_as_before(
    client: ags.LmsClient,
    gradebook: Gradebook,
    answer: tuple[int, dict[str, str], bytes, float],
    raised: type[Exception],
    error: str,
    retry_after: float | None,
) -> None:
    gradebook.answers.append(answer)
    with pytest.raises(raised) as caught:
        client.post_score([ags.SCORE], f"{gradebook.url}/lineitems/1", MESSAGE)
    assert str(caught.value) == error or error in str(caught.value)
    assert getattr(caught.value, "retry_after", None) == retry_after
    assert len(gradebook.raw_posts) == 1  # never sent twice


def test_a_json_answer_and_a_redirect_are_accepted_as_before(
    client: ags.LmsClient, gradebook: Gradebook
) -> None:
    gradebook.answers.append((200, {"Content-Type": "application/json"}, b'{"ok": true}', 0))
    gradebook.answers.append((302, {"Location": "https://elsewhere.example.com/"}, b"", 0))
    client.post_score([ags.SCORE], f"{gradebook.url}/lineitems/1", MESSAGE)
    client.post_score([ags.SCORE], f"{gradebook.url}/lineitems/1", MESSAGE)  # not followed
    assert len(gradebook.raw_posts) == 2


def test_a_revoked_token_is_renewed_once_then_the_score_waits(
    client: ags.LmsClient, gradebook: Gradebook
) -> None:
    gradebook.answers.extend([(401, {}, b"", 0), (200, {}, b"", 0)])
    client.post_score([ags.SCORE], f"{gradebook.url}/lineitems/1", MESSAGE)
    assert [p[1]["Authorization"] for p in gradebook.raw_posts] == [
        "Bearer token-1",
        "Bearer token-2",
    ]
    gradebook.answers.extend([(401, {}, b"", 0), (401, {}, b"", 0)])
    with pytest.raises(ags.Retry, match="HTTP 401"):
        client.post_score([ags.SCORE], f"{gradebook.url}/lineitems/1", MESSAGE)
    assert gradebook.token_requests == 3 and len(gradebook.raw_posts) == 4


def test_an_lms_that_is_down_is_tried_again_later(client: ags.LmsClient) -> None:
    client.connector.get_access_token([ags.SCORE])  # a token, then the LMS goes away
    with pytest.raises(ags.Retry, match="connection failed"):
        client.post_score([ags.SCORE], f"http://127.0.0.1:{free_port()}/lineitems/1", MESSAGE)


def test_a_score_for_a_link_without_the_score_scope_is_refused_as_before(
    client: ags.LmsClient, gradebook: Gradebook
) -> None:
    with pytest.raises(ags.GiveUp, match="LtiException"):
        client.post_score([ags.LINEITEM], f"{gradebook.url}/lineitems/1", MESSAGE)
    assert gradebook.raw_posts == []


def test_a_score_to_a_private_address_is_refused_where_it_connects(
    app: Flask, client: ags.LmsClient
) -> None:
    """A token already held (so only the score POST connects), a grades URL inside our network:
    the connection refuses it, and the score is never sent."""
    from tests.conftest import override_settings

    override_settings(app, lti={"allow_private_urls": False})
    ags._memo[client.connector._scope_key(sorted([ags.SCORE]))] = (
        "t-held",
        datetime(2100, 1, 1, tzinfo=UTC),
    )
    with pytest.raises(ags.GiveUp, match="not a public address"):
        client.post_score([ags.SCORE], "https://gradebook.internal.example/lineitems/1", MESSAGE)
