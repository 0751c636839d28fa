"""An LMS course in Senda's tables whose platform and graded link point at a test gradebook:
the misbehaving one (tests/support/flaky_lms.py) or the bench's simulated LMS (sim_lms.py)."""

from __future__ import annotations

from typing import Any

from lti_tool.lti import keys
from tests.factories import CourseFactory, DeploymentFactory, LinkFactory, PlatformFactory


def graded_course(
    lms_url: str,
    *,
    issuer: str = "https://flaky.example.edu",
    client_id: str = "c-1",
    deployment_id: str = "d-1",
    **link: Any,
) -> dict[str, int]:
    """A platform whose token, login and key-set endpoints are at `lms_url`, its deployment, an
    LMS course and one graded activity in it, as a deep-linked "course:ls" would be (its line
    item `lms_url`/lineitems/1 unless `link` says otherwise), and Senda's signing key to ask for
    tokens with. Their ids, by name."""
    keys.ensure_current_key()
    platform = PlatformFactory(
        issuer=issuer,
        client_id=client_id,
        auth_login_url=lms_url + "/auth",
        auth_token_url=lms_url + "/token",
        key_set_url=lms_url + "/jwks",
    )
    context = CourseFactory(
        deployment=DeploymentFactory(platform=platform, deployment_id=deployment_id)
    )
    made = LinkFactory(course=context, **({"lineitem_url": f"{lms_url}/lineitems/1"} | link))
    return {
        "platform": platform.id,
        "deployment": context.deployment_id,
        "context": context.id,
        "link": made.id,
    }
