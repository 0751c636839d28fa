"""Talking to an LMS's services with pylti1p3: access tokens, line items, scores, rosters.

pylti1p3 builds the client-credentials assertion and the line-item requests and follows NRPS
paging. The score POST, which a grade worker sends by the thousand, is built here exactly as
pylti1p3 builds it and sent through urllib3 directly, over the same session's connections
(`TimeoutSession.post_bytes`). Senda adds: access tokens shared by all workers until shortly
before they expire (pylti1p3's Flask connector keeps them per process), a timeout on every
request, a User-Agent, one re-authentication on 401, and errors sorted into "try again later"
and "give up".
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import requests
import urllib3
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.lineitem import LineItem
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from urllib3.connectionpool import HTTPConnectionPool

from lti_tool.lti import http, keys
from lti_tool.lti.http import USER_AGENT
from lti_tool.models import AccessToken, Platform, db, utcnow

SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
EXPIRY_MARGIN = timedelta(seconds=60)


class Retry(Exception):
    """The LMS is down, slow, busy or refused for now: try again later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GiveUp(Exception):
    """The LMS refused for good (bad request, not allowed, gone): park the score."""


class AlreadyApplied(Exception):
    """409: the LMS already holds a score with this (or a later) timestamp."""


@dataclass(frozen=True)
class ScoreMessage:
    """One score for one person on one line item (AGS 2.0 §3.4.1)."""

    user_id: str  # her `sub` at the platform
    given: float
    maximum: float
    activity_progress: str  # Initialized | Started | InProgress | Submitted | Completed
    timestamp: datetime  # when the progress happened; the LMS keeps the latest
    comment: str = ""
    grading_progress: str = "FullyGraded"  # only FullyGraded scores show in gradebooks


class TimeoutSession(requests.Session):
    """pylti1p3 sends without a timeout; a hung LMS must never hang a worker. Connections pass
    the SSRF guard (lti/http.py) and are kept open for the next request: up to `connections` per
    host, as many as the threads that share the session."""

    def __init__(self, timeout: float, connections: int = 32) -> None:
        super().__init__()
        self.timeout = timeout
        self.trust_env = False
        self.headers["User-Agent"] = USER_AGENT
        self.adapter = http.GuardedAdapter(pool_connections=4, pool_maxsize=max(connections, 4))
        self.mount("https://", self.adapter)
        self.mount("http://", self.adapter)
        self._timeouts = urllib3.Timeout(connect=timeout, read=timeout)  # as requests makes it
        self._pools: dict[str, HTTPConnectionPool] = {}  # by origin, for post_bytes

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", False)
        return super().request(*args, **kwargs)

    def post_bytes(
        self, url: str, body: bytes, headers: Mapping[str, str]
    ) -> urllib3.BaseHTTPResponse:
        """POST straight through urllib3, for the requests a worker makes by the thousand (scores):
        requests' own per-request work (preparing, hooks, cookies, settings merged, the answer
        wrapped) costs more CPU than the request itself. Everything else stays as a request
        through the session has it: its pool and kept-open connections, the SSRF guard,
        certificate checks, the timeout, its User-Agent, no redirects followed, no retries. Raises
        urllib3's errors; the answer is read whole."""
        origin, target = _split_url(url)
        headers = {"User-Agent": USER_AGENT, **headers}
        try:
            return self._pool(origin, url).urlopen(
                "POST", target, body=body, headers=headers, redirect=False,
                assert_same_host=False, retries=False, timeout=self._timeouts,
            )  # fmt: skip
        except urllib3.exceptions.ClosedPoolError:
            # The session closed that pool (it keeps the pools of a few hosts): nothing was
            # sent. Send through the pool it has now.
            self._pools.pop(origin, None)
            return self._pool(origin, url).urlopen(
                "POST", target, body=body, headers=headers, redirect=False,
                assert_same_host=False, retries=False, timeout=self._timeouts,
            )  # fmt: skip

    def _pool(self, origin: str, url: str) -> HTTPConnectionPool:
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = self.adapter.pool_for(url)
        return pool


@functools.lru_cache(maxsize=1024)
def _split_url(url: str) -> tuple[str, str]:
    """A URL's origin (what picks its connection pool) and its request target (path and query)."""
    parts = urllib3.util.parse_url(url)
    return f"{parts.scheme}://{parts.netloc}", parts.request_uri


_memo: dict[str, tuple[str, datetime]] = {}
_memo_lock = threading.Lock()


class SendaServiceConnector(ServiceConnector):
    """Tokens cached in the database (all workers) and in memory (this process). Threads that
    share a connector ask the LMS for a token one at a time: the first that finds none fetches
    it, the others then find it cached (never one token request per thread)."""

    token_requests = 0  # counted for `make bench`

    def __init__(
        self, registration: Registration, platform_id: int, session: TimeoutSession
    ) -> None:
        super().__init__(registration, session)
        self.session = session
        self._platform_id = platform_id
        self._token_lock = threading.Lock()
        self._scope_keys: dict[tuple[str, ...], str] = {}

    def get_access_token(self, scopes: Sequence[str]) -> str:
        # The common case, a token this process holds, without waiting for the other threads.
        found = _memo_token(self._scope_key(scopes))
        if found:
            return found
        with self._token_lock:
            return super().get_access_token(scopes)

    def _scope_key(self, scopes: Any) -> str:
        wanted = tuple(sorted(scopes))
        key = self._scope_keys.get(wanted)
        if key is None:
            joined = "|".join(
                [
                    str(self._platform_id),
                    str(self._registration.get_client_id()),
                    str(self._registration.get_auth_token_url()),
                    *wanted,
                ]
            )
            key = self._scope_keys[wanted] = hashlib.sha256(joined.encode()).hexdigest()
        return key

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        now = utcnow()
        found = _memo_token(scope_key)
        if found:
            return found
        # A connection of its own, closed at once: the caller's session keeps no transaction
        # open (a grade worker's pool thread keeps its app context for a whole round).
        with db.engine.connect() as conn:
            row = conn.execute(
                select(AccessToken.token, AccessToken.expires_at).where(
                    AccessToken.scope_key == scope_key
                )
            ).first()
        if row is not None and row.expires_at - EXPIRY_MARGIN > now:
            with _memo_lock:
                _memo[scope_key] = (row.token, row.expires_at)
            return str(row.token)
        return None

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        type(self).token_requests += 1
        expires_at = utcnow() + timedelta(seconds=float(expires_in or 3600))
        with _memo_lock:
            _memo[scope_key] = (access_token, expires_at)
        dialect = db.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(AccessToken).values(
            platform_id=self._platform_id,
            scope_key=scope_key,
            token=access_token,
            expires_at=expires_at,
            created_at=utcnow(),
        )
        with db.engine.begin() as conn:  # shared at once, whatever the caller's transaction does
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["scope_key"],
                    set_={
                        "token": statement.excluded.token,
                        "expires_at": statement.excluded.expires_at,
                    },
                )
            )

    def forget_token(self, scopes: Any) -> None:
        scope_key = self._scope_key(sorted(scopes))
        with _memo_lock:
            _memo.pop(scope_key, None)
        with db.engine.begin() as conn:
            conn.execute(delete(AccessToken).where(AccessToken.scope_key == scope_key))


def _memo_token(scope_key: str) -> str | None:
    """This process's token for `scope_key`, unless it expires within EXPIRY_MARGIN."""
    with _memo_lock:
        found = _memo.get(scope_key)
    if found and found[1] - EXPIRY_MARGIN > utcnow():
        return found[0]
    return None


def forget_memo() -> None:
    with _memo_lock:
        _memo.clear()


@dataclass
class LmsClient:
    """Services of one platform, for one resource link's AGS claim (or for NRPS)."""

    platform: Platform
    timeout: float
    connections: int = 4  # kept open per host: at least the threads that share this client

    def __post_init__(self) -> None:
        registration = keys.SigningRegistration()
        registration.set_issuer(self.platform.issuer).set_client_id(self.platform.client_id)
        registration.set_auth_token_url(self.platform.auth_token_url)
        if self.platform.auth_audience:
            registration.set_auth_audience(self.platform.auth_audience)
        self.connector = SendaServiceConnector(
            registration, self.platform.id, TimeoutSession(self.timeout, self.connections)
        )

    def _call(self, scopes: list[str], action: Any) -> Any:
        """Run a service call; on 401 get a new token once, then sort errors out."""
        status: int
        headers: Mapping[str, str]
        error: Exception
        for attempt in range(2):
            try:
                return action()
            except LtiServiceException as exc:
                if exc.response.url == self.platform.auth_token_url:
                    # The token endpoint said no: a new token would be refused the same way.
                    raise _classify(
                        exc.response.status_code, exc.response.headers, TOKEN_REFUSED
                    ) from exc
                status, headers, error = exc.response.status_code, exc.response.headers, exc
            except _Refused as exc:
                status, headers, error = exc.status, exc.headers, exc
            except requests.Timeout as exc:
                raise Retry("timeout") from exc
            except (requests.ConnectionError, urllib3.exceptions.NewConnectionError) as exc:
                # (urllib3 counts a failed connection as a connect timeout; requests does not.)
                if http.UNSAFE_MARK in str(exc):
                    raise GiveUp("the service URL is not a public address") from exc
                raise Retry("connection failed") from exc
            except urllib3.exceptions.TimeoutError as exc:
                raise Retry("timeout") from exc
            except urllib3.exceptions.LocationValueError as exc:
                raise GiveUp(f"the LMS's answer could not be used ({type(exc).__name__})") from exc
            except urllib3.exceptions.HTTPError as exc:
                # Reset, TLS, protocol: a connection error to requests too.
                raise Retry("connection failed") from exc
            except (LtiException, ValueError, KeyError) as exc:
                # The LMS's own words may hold its data: keep only what kind of failure it was.
                raise GiveUp(f"the LMS's answer could not be used ({type(exc).__name__})") from exc
            if status == 401 and attempt == 0:
                self.connector.forget_token(scopes)
                continue
            raise _classify(status, headers) from error
        raise Retry("authentication failed twice")  # pragma: no cover - loop always returns

    def ags(
        self, scopes: list[str], lineitem: str | None, lineitems: str | None
    ) -> AssignmentsGradesService:
        data: dict[str, Any] = {"scope": scopes}
        if lineitem:
            data["lineitem"] = lineitem
        if lineitems:
            data["lineitems"] = lineitems
        return AssignmentsGradesService(self.connector, data)  # type: ignore[arg-type]

    def find_or_create_lineitem(
        self,
        scopes: list[str],
        lineitems_url: str,
        resource_link_id: str,
        label: str,
        maximum: float,
        target: str,
    ) -> str:
        """The line item of a link that came without one: found by resource link, or created."""
        service = self.ags(scopes, None, lineitems_url)

        def find_or_create() -> str:
            found = service.find_lineitem_by_resource_link_id(resource_link_id)
            if found is None or not found.get_id():
                new = (
                    LineItem()
                    .set_label(label[:255])
                    .set_score_maximum(maximum)
                    .set_resource_id(target or "pathway")
                    .set_resource_link_id(resource_link_id)
                    .set_tag("senda")
                )
                found = service.create_lineitem(new)
            line_id = found.get_id()
            if not line_id:
                raise GiveUp("the LMS returned a line item without an id")
            return line_id

        result: str = self._call(scopes, find_or_create)
        return result

    def post_score(self, scopes: list[str], lineitem_url: str, score: ScoreMessage) -> None:
        """POST the score to the line item's scores endpoint as pylti1p3's `put_grade` does (the
        same body, headers and checks), through the session's connections without requests'
        per-request work (`TimeoutSession.post_bytes`): a worker sends thousands."""
        body = score_body(score)
        session = self.connector.session

        def post() -> None:
            if SCORE not in scopes:
                raise LtiException("Can't put grade: Missing required scope")
            if not lineitem_url:
                raise LtiException("Can't find lineitem to put grade")
            token = self.connector.get_access_token(scopes)
            answer = session.post_bytes(
                scores_url(lineitem_url),
                body,
                {"Authorization": f"Bearer {token}", "Accept": "application/json",
                 "Content-Type": SCORE_MEDIA_TYPE},
            )  # fmt: skip
            if answer.status >= 400:
                raise _Refused(answer.status, answer.headers)
            if answer.data:
                json.loads(answer.data)  # pylti1p3 reads any answer as JSON: a bad one is an error

        self._call(scopes, post)

    def members(self, memberships_url: str) -> list[dict[str, Any]]:
        """The whole roster, following the LMS's pages (rel="next")."""
        service = NamesRolesProvisioningService(
            self.connector, {"context_memberships_url": memberships_url}
        )
        result: list[dict[str, Any]] = self._call([NRPS], service.get_members)
        return result


class _Refused(Exception):
    """An answer of 400 or more to a request sent without requests (`post_score`)."""

    def __init__(self, status: int, headers: Mapping[str, str]) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.headers = headers


def score_body(score: ScoreMessage) -> bytes:
    """The score as JSON (AGS 2.0 §3.4.1), exactly as pylti1p3's `Grade.get_value` writes it."""
    return json.dumps(
        {
            "scoreGiven": score.given,
            "scoreMaximum": score.maximum,
            "activityProgress": score.activity_progress,
            "gradingProgress": score.grading_progress,
            "timestamp": score.timestamp.isoformat(timespec="milliseconds"),
            "userId": score.user_id,
            "comment": score.comment,
        }
    ).encode()


def scores_url(lineitem_url: str) -> str:
    """The line item's scores endpoint: `/scores` added to its path (before any query), as
    pylti1p3 adds it."""
    path, question, query = lineitem_url.partition("?")
    return f"{path if path.endswith('/') else path + '/'}scores{question}{query}"


def _classify(status: int, headers: Mapping[str, str], prefix: str = "") -> Exception:
    """The status says what to do; the LMS's body is never kept (it may echo names or tokens,
    and errors are shown to facilitators)."""
    if status == 409 and not prefix:
        return AlreadyApplied("HTTP 409")
    if status == 429 or status >= 500 or status == 401:
        retry_after = headers.get("Retry-After")
        seconds = float(retry_after) if retry_after and retry_after.isdigit() else None
        return Retry(f"{prefix}HTTP {status}", seconds)
    return GiveUp(f"{prefix}HTTP {status}")


# What a failed delivery's `last_error` says, sorted into the reasons staff read (in words, on
# the grades page). Every `last_error` is written by Senda (above and in jobs/grade_delivery.py),
# never the LMS's body.
TOKEN_REFUSED = "the LMS refused the access token request: "  # noqa: S105 - a message


class FailureReason(StrEnum):
    TOKEN = "token"  # noqa: S105 - the LMS refused Senda's access token (or the request)
    FORBIDDEN = "forbidden"  # the LMS does not let Senda send grades there
    UNREACHABLE = "unreachable"  # no answer: timeout, connection refused
    LMS_ERROR = "lms-error"  # the LMS failed on its side (5xx)
    BUSY = "busy"  # the LMS asked Senda to slow down (429)
    GONE = "gone"  # the grade column (line item) is gone
    REFUSED = "refused"  # the LMS refused this score (other 4xx)
    NO_COLUMN = "no-column"  # no line item, and no service to create one
    UNSAFE = "unsafe"  # the LMS gave a grades address Senda will not call
    UNREADABLE = "unreadable"  # the LMS answered something Senda could not use
    OTHER = "other"


_STATUS = re.compile(r"HTTP (\d{3})")


def failure_reason(last_error: str) -> FailureReason:
    """The reason behind a delivery's `last_error`, for people."""
    if last_error.startswith(TOKEN_REFUSED) or last_error == "authentication failed twice":
        return FailureReason.TOKEN
    if last_error in ("timeout", "connection failed"):
        return FailureReason.UNREACHABLE
    if "not a public address" in last_error or "not on the platform's hosts" in last_error:
        return FailureReason.UNSAFE
    if "no line item" in last_error:
        return FailureReason.NO_COLUMN
    if last_error.startswith("the LMS's answer could not be used") or "without an id" in last_error:
        return FailureReason.UNREADABLE
    found = _STATUS.match(last_error)
    if found is None:
        return FailureReason.OTHER
    status = int(found.group(1))
    if status == 401:
        return FailureReason.TOKEN
    if status == 403:
        return FailureReason.FORBIDDEN
    if status in (404, 410):
        return FailureReason.GONE
    if status == 429:
        return FailureReason.BUSY
    if status >= 500:
        return FailureReason.LMS_ERROR
    return FailureReason.REFUSED


def failure_status(last_error: str) -> int | None:
    """The HTTP status in a `last_error`, if any (shown as a technical detail)."""
    found = _STATUS.search(last_error)
    return int(found.group(1)) if found else None
